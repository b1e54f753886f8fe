/*
 * native_map.h is the native baseline's stand-in for a BPF hash map: a fixed-size open-addressing table (linear
 * probing, FNV-1a over the key bytes) with the bpf_map_lookup_elem / bpf_map_update_elem calls the BPF build makes.
 * It is what a C programmer would write for the same job, not the kernel's htab; deletion is not supported.
 */
#ifndef NATIVE_MAP_H
#define NATIVE_MAP_H

#include <string.h>

#define BPF_ANY 0

/* native_map is one table: `slots` holds `cap` entries of (used byte, key, value). */
struct native_map {
  unsigned key_size, value_size, max_entries, cap, count;
  unsigned char *slots;
};

static inline unsigned native_map_hash(const unsigned char *k, unsigned n) {
  unsigned h = 2166136261u;
  for (unsigned i = 0; i < n; i++) h = (h ^ k[i]) * 16777619u;
  return h;
}

/* native_map_slot returns the slot holding `key`, or the empty slot where it would go. */
static inline unsigned char *native_map_slot(struct native_map *m, const void *key) {
  unsigned stride = 1 + m->key_size + m->value_size;
  unsigned i = native_map_hash(key, m->key_size) & (m->cap - 1);
  for (;;) {
    unsigned char *s = m->slots + (unsigned long)i * stride;
    if (!s[0] || memcmp(s + 1, key, m->key_size) == 0) return s;
    i = (i + 1) & (m->cap - 1);
  }
}

static inline void *native_map_lookup(struct native_map *m, const void *key) {
  unsigned char *s = native_map_slot(m, key);
  return s[0] ? s + 1 + m->key_size : 0;
}

static inline long native_map_update(struct native_map *m, const void *key, const void *value, unsigned long flags) {
  (void)flags;
  unsigned char *s = native_map_slot(m, key);
  if (!s[0]) {
    if (m->count == m->max_entries) return -7; /* -E2BIG, as the kernel */
    s[0] = 1;
    memcpy(s + 1, key, m->key_size);
    m->count++;
  }
  memcpy(s + 1 + m->key_size, value, m->value_size);
  return 0;
}

#define bpf_map_lookup_elem(map, key) native_map_lookup((struct native_map *)(map), (key))
#define bpf_map_update_elem(map, key, value, flags) native_map_update((struct native_map *)(map), (key), (value), (flags))

/* BENCH_HASH declares a table of 2 * N slots for N entries (N a power of two), used as `&name` like a BPF map. */
#define BENCH_HASH(name, K, V, N)                                                 \
  static unsigned char name##_slots[(2 * (N)) * (1 + sizeof(K) + sizeof(V))];     \
  static struct native_map name = {sizeof(K), sizeof(V), (N), 2 * (N), 0, name##_slots}
#endif
