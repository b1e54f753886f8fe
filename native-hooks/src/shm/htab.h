/*
 * The lock-free read path of hash maps (hash.c has the design and the write paths), inline so that the program-side
 * lookup in ops.c is one call from a helper.
 */
#ifndef BPFTIME_SHM_HTAB_H
#define BPFTIME_SHM_HTAB_H

#include "internal.h"

#define ELEM_HDR sizeof(struct bpftime_htab_elem)
#define MAX_STEPS_FACTOR 4

static inline struct bpftime_htab_elem *elem(struct bpftime_map *m, uint32_t idx)
{
	return (struct bpftime_htab_elem *)(m->elems + (uint64_t)idx * m->elem_size);
}

static inline uint64_t *elem_key(struct bpftime_htab_elem *e)
{
	return (uint64_t *)((uint8_t *)e + ELEM_HDR);
}

static inline uint8_t *elem_values(struct bpftime_map *m, struct bpftime_htab_elem *e)
{
	return (uint8_t *)e + ELEM_HDR + m->key_stride;
}

static inline uint32_t elem_index(struct bpftime_map *m, struct bpftime_htab_elem *e)
{
	return (uint32_t)(((uint8_t *)e - m->elems) / m->elem_size);
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

/* hash_key_sized hashes a key of `key_size` bytes with a map's seed (hash_key, and the runtime's copy of a map's
 * view); the common 4- and 8-byte keys take one multiplication. */
static inline uint32_t hash_key_sized(uint32_t key_size, uint32_t seed, const void *key)
{
	const uint8_t *p = key;
	uint64_t h, w = 0;
	switch (key_size) {
	case 4: {
		uint32_t k;
		memcpy(&k, p, 4);
		return (uint32_t)(((k ^ (uint64_t)seed) * 0x9e3779b97f4a7c15ull) >> 32);
	}
	case 8:
		memcpy(&w, p, 8);
		w ^= (uint64_t)seed << 32 | seed;
		return (uint32_t)(((w ^ (w >> 29)) * 0x9e3779b97f4a7c15ull) >> 32);
	}
	uint32_t n = key_size;
	h = seed ^ (n * 0x9e3779b97f4a7c15ull);
	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h = (h << 31) | (h >> 33);
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	}
	return (uint32_t)mix(h);
}

/* hash_key hashes a key of the map's key size. */
static inline uint32_t hash_key(const struct bpftime_map *m, const void *key)
{
	return hash_key_sized(m->key_size, m->seed, key);
}

/*
 * key_eq_sized compares an element's key of n bytes with a caller's key (key_eq: of the map's key size). The words
 * are acquire loads so that the reader's second look at `gen` cannot move before them (the seqlock read side without
 * a fence, which TSan does not model).
 */
static inline int key_eq_sized(uint32_t n, struct bpftime_htab_elem *e, const void *key)
{
	const uint64_t *k = elem_key(e);
	const uint8_t *p = key;
	if (n == 4) {
		uint32_t a;
		memcpy(&a, p, 4);
		return (uint32_t)LOAD_ACQ(&k[0]) == a;
	}
	for (; n >= 8; n -= 8, p += 8, k++) {
		uint64_t a;
		memcpy(&a, p, 8);
		if (LOAD_ACQ(k) != a)
			return 0;
	}
	if (n > 0) {
		uint64_t a = 0;
		memcpy(&a, p, n);
		return LOAD_ACQ(k) == a;
	}
	return 1;
}

static inline int key_eq(const struct bpftime_map *m, struct bpftime_htab_elem *e, const void *key)
{
	return key_eq_sized(m->key_size, e, key);
}

/* ---- lookups ---- */

/* find_locked walks a chain whose bucket lock the caller holds; *link_at receives the link that points to it. */
static inline struct bpftime_htab_elem *find_locked(struct bpftime_map *m, uint32_t b, uint32_t hash, const void *key,
					     uint32_t **link_at)
{
	uint32_t *at = &m->buckets[b].head;
	for (uint32_t link = LOAD_RLX(at); !(link & 1); link = LOAD_RLX(at)) {
		struct bpftime_htab_elem *e = elem(m, link >> 1);
		if (e->hash == hash && key_eq(m, e, key)) {
			if (link_at != NULL)
				*link_at = at;
			return e;
		}
		at = &e->next;
	}
	return NULL;
}

/* find_contended looks with the chain locked, when writers keep moving elements under a reader; NULL, *done = 0
 * when the caller holds that lock already (it goes on without it). Out of line: find stays small enough to inline. */
static __attribute__((noinline, cold)) struct bpftime_htab_elem *find_contended(struct bpftime_map *m, uint32_t b, uint32_t hash,
									     const void *key, int *done)
{
	*done = lock_acquire(&m->buckets[b].lock) == 0;
	if (!*done)
		return NULL;
	struct bpftime_htab_elem *e = find_locked(m, b, hash, key, NULL);
	lock_release(&m->buckets[b].lock);
	return e;
}

/* find returns the element holding the key, or NULL, without locks (see the top of this file). */
static inline __attribute__((always_inline)) struct bpftime_htab_elem *find(struct bpftime_map *m, uint32_t hash, const void *key)
{
	uint32_t b = hash & m->bucket_mask;
	uint64_t max_steps = (uint64_t)m->max_entries * MAX_STEPS_FACTOR + 16;
	for (int attempt = 0;; attempt++) {
		if (UNLIKELY(attempt >= 64)) {
			int done;
			struct bpftime_htab_elem *e = find_contended(m, b, hash, key, &done);
			if (done)
				return e;
		}
		uint32_t link = LOAD_ACQ(&m->buckets[b].head);
		uint64_t steps = 0;
		for (; !(link & 1) && steps < max_steps; steps++) {
			struct bpftime_htab_elem *e = elem(m, link >> 1);
			if (LOAD_RLX(&e->hash) == hash) {
				uint32_t gen = LOAD_ACQ(&e->gen);
				if (!(gen & 1) && key_eq(m, e, key)) {
					if (LOAD_RLX(&e->gen) == gen)
						return e;
					break; /* rewritten while compared: restart */
				}
			}
			link = LOAD_ACQ(&e->next);
		}
		if ((link & 1) && (link >> 1) == b)
			return NULL;
	}
}

static inline void touch(struct bpftime_htab_elem *e)
{
	if (!LOAD_RLX(&e->lru_ref))
		STORE_RLX(&e->lru_ref, 1);
}

/* htab_lookup_elem returns cpu's value (cpu < 0: this CPU's), marking LRU elements used when `touch_lru`. */
static inline void *htab_lookup_elem(struct bpftime_map *m, const void *key, int64_t cpu, int touch_lru)
{
	struct bpftime_htab_elem *e = find(m, hash_key(m, key), key);
	if (e == NULL)
		return NULL;
	if (m->lru && touch_lru)
		touch(e);
	uint8_t *v = elem_values(m, e);
	if (!m->percpu)
		return v;
	uint32_t c = cpu < 0 ? current_cpu(m->ncpus) : (uint32_t)cpu;
	return v + (uint64_t)c * m->value_stride;
}


#endif
