/*
 * bpftime_maps.h: maps in a session's shared-memory segment, with the kernel's semantics and errno values
 * (docs/native.md, "shm"). Supported types: hash, array, percpu_hash, percpu_array, lru_hash, lru_percpu_hash,
 * ringbuf, perf_event_array.
 *
 * Two faces, as in the kernel:
 *  - the program side (the helpers: bpf_map_lookup_elem and friends) works on this CPU's value, returns pointers into
 *    the segment mapping (valid in this process; subtract bpftime_seg_base and add BPFTIME_SEG_GUEST_BASE for the
 *    guest address), marks LRU elements as used, and returns 0 or -errno;
 *  - the user side (the bpf() syscall: BPF_MAP_LOOKUP_ELEM...) copies values, per-CPU maps as ncpus values each
 *    padded to 8 bytes, and leaves LRU state alone.
 * Every function is safe to call from many threads and processes at once. "CPU" is sched_getcpu(); the number of
 * CPUs is the creator's get_nprocs_conf() (bpftime_map_ncpus).
 */
#ifndef BPFTIME_MAPS_H
#define BPFTIME_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "bpftime_shm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel map types (enum bpf_map_type). */
#define BPFTIME_MAP_HASH 1u
#define BPFTIME_MAP_ARRAY 2u
#define BPFTIME_MAP_PERF_EVENT_ARRAY 4u
#define BPFTIME_MAP_PERCPU_HASH 5u
#define BPFTIME_MAP_PERCPU_ARRAY 6u
#define BPFTIME_MAP_LRU_HASH 9u
#define BPFTIME_MAP_LRU_PERCPU_HASH 10u
#define BPFTIME_MAP_RINGBUF 27u

/* Update flags (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK). */
#define BPFTIME_ANY 0ull
#define BPFTIME_NOEXIST 1ull
#define BPFTIME_EXIST 2ull
#define BPFTIME_F_LOCK 4ull

/* Creation flags this implementation honours (others that the kernel accepts for the type are recorded only). */
#define BPFTIME_F_NO_PREALLOC (1u << 0)
#define BPFTIME_F_NO_COMMON_LRU (1u << 1)
#define BPFTIME_F_RDONLY (1u << 3)
#define BPFTIME_F_WRONLY (1u << 4)
#define BPFTIME_F_ZERO_SEED (1u << 6)
#define BPFTIME_F_RDONLY_PROG (1u << 7)
#define BPFTIME_F_WRONLY_PROG (1u << 8)

/* Ring buffer flags and bpf_ringbuf_query selectors (BPF_RB_*). */
#define BPFTIME_RB_NO_WAKEUP 1ull
#define BPFTIME_RB_FORCE_WAKEUP 2ull
#define BPFTIME_RB_AVAIL_DATA 0ull
#define BPFTIME_RB_RING_SIZE 1ull
#define BPFTIME_RB_CONS_POS 2ull
#define BPFTIME_RB_PROD_POS 3ull

/* bpf_perf_event_output's index selector: the running CPU's buffer. */
#define BPFTIME_F_CURRENT_CPU 0xffffffffull
#define BPFTIME_F_INDEX_MASK 0xffffffffull

/* The errno the kernel uses for "not supported" on maps (ENOTSUPP, not in libc's errno.h). */
#define BPFTIME_ENOTSUPP 524

struct bpftime_map; /* this process's view of one map (cached pointers into the segment) */

/* What bpftime_map_create needs; the kernel's map_create checks apply (sizes, flags, entries). */
struct bpftime_map_spec {
	const char *name; /* up to 15 bytes are kept */
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries; /* ringbuf: data bytes, a power of two multiple of the page size */
	uint32_t flags;
	int32_t spin_lock_off;  /* offset of a struct bpf_spin_lock in the value, or -1 */
	uint32_t perf_pages;    /* perf_event_array: data pages per CPU buffer (0: BPFTIME_PERF_DEFAULT_PAGES) */
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
};

/*
 * bpftime_map_create creates a map in the segment and returns its id (> 0), or -errno with a message: -EINVAL and
 * -E2BIG as the kernel's map_create, -EOPNOTSUPP for an unsupported type, -ENOSPC when the map table is full or its
 * storage does not fit in the segment (the message says how much is needed and how much is free).
 */
int bpftime_map_create(struct bpftime_seg *seg, const struct bpftime_map_spec *spec, char *err, size_t errlen);

/* bpftime_map_storage_size returns the heap bytes a spec needs (0 for an invalid spec). */
uint64_t bpftime_map_storage_size(const struct bpftime_map_spec *spec, uint32_t ncpus);

/* bpftime_seg_map returns the map with this id (also one another process created), or NULL. */
struct bpftime_map *bpftime_seg_map(struct bpftime_seg *seg, uint32_t id);

/* bpftime_seg_map_by_name returns the first map with this name, or NULL. */
struct bpftime_map *bpftime_seg_map_by_name(struct bpftime_seg *seg, const char *name);

/* bpftime_map_def returns the map's table entry (read-only after creation). */
const struct bpftime_map_def *bpftime_map_def(const struct bpftime_map *m);

/* bpftime_map_ncpus is the number of values of a per-CPU element (1 for other maps). */
uint32_t bpftime_map_ncpus(const struct bpftime_map *m);

/* bpftime_map_count returns the number of elements of a hash map (max_entries for arrays, 0 for others). */
uint64_t bpftime_map_count(const struct bpftime_map *m);

/* ---------------------------------------------------------------------------------------------------------------
 * Program side (helpers). Pointers are into the segment mapping.
 */
/* bpftime_map_lookup_elem: this CPU's value of `key`, or NULL (also for ringbuf and perf_event_array). */
void *bpftime_map_lookup_elem(struct bpftime_map *m, const void *key);
/* bpftime_map_lookup_percpu_elem: `cpu`'s value in a per-CPU map, or NULL. */
void *bpftime_map_lookup_percpu_elem(struct bpftime_map *m, const void *key, uint32_t cpu);
/*
 * bpftime_map_update_elem writes this CPU's value (other CPUs' copies of a new per-CPU element are zeroed): 0,
 * -EINVAL (flags; BPF_F_LOCK without a spin lock), -EEXIST (BPF_NOEXIST, arrays always), -ENOENT (BPF_EXIST),
 * -E2BIG (full hash map, array index out of range), -EPERM (BPF_F_RDONLY_PROG).
 */
long bpftime_map_update_elem(struct bpftime_map *m, const void *key, const void *value, uint64_t flags);
/* bpftime_map_delete_elem: 0, -ENOENT, -EINVAL (arrays), -EPERM. */
long bpftime_map_delete_elem(struct bpftime_map *m, const void *key);

/* bpftime_spin_lock / bpftime_spin_unlock implement bpf_spin_lock on a 4-byte lock word in a map value. */
void bpftime_spin_lock(void *lock);
void bpftime_spin_unlock(void *lock);

/* ---------------------------------------------------------------------------------------------------------------
 * User side (bpf() syscall semantics). Per-CPU values are ncpus * roundup(value_size, 8) bytes.
 */
/* bpftime_map_user_value_size is the size of a value as the user side reads and writes it. */
uint32_t bpftime_map_user_value_size(const struct bpftime_map *m);
/* bpftime_map_lookup_user copies the value out: 0, -ENOENT, -EPERM (BPF_F_WRONLY), -ENOTSUPP/-EOPNOTSUPP (rings). */
int bpftime_map_lookup_user(struct bpftime_map *m, const void *key, void *value);
/*
 * bpftime_map_update_user writes every CPU's copy of a per-CPU value from a full user-size value, or the same
 * value_size bytes into each copy when `value_size` equals the map's value_size (`value_size` is the caller's
 * buffer size); errors as bpftime_map_update_elem, and -EPERM for BPF_F_RDONLY.
 */
int bpftime_map_update_user(struct bpftime_map *m, const void *key, const void *value, uint32_t value_size,
			    uint64_t flags);
/* bpftime_map_delete_user: as bpftime_map_delete_elem, with BPF_F_RDONLY checked instead of BPF_F_RDONLY_PROG. */
int bpftime_map_delete_user(struct bpftime_map *m, const void *key);
/*
 * bpftime_map_get_next_key writes the key after `key` (the first key when `key` is NULL or absent, as the kernel
 * does) into `next`: 0, -ENOENT at the end.
 */
int bpftime_map_get_next_key(struct bpftime_map *m, const void *key, void *next);

/* ---------------------------------------------------------------------------------------------------------------
 * Ring buffers.
 */
/* bpftime_ringbuf_reserve returns a sample of `size` bytes to fill, or NULL (bad flags, no room, not a ringbuf). */
void *bpftime_ringbuf_reserve(struct bpftime_map *m, uint64_t size, uint64_t flags);
/* bpftime_ringbuf_submit publishes a reserved sample (any process's ring: found from the sample's header). */
void bpftime_ringbuf_submit(void *sample, uint64_t flags);
/* bpftime_ringbuf_discard releases a reserved sample unread. */
void bpftime_ringbuf_discard(void *sample, uint64_t flags);
/* bpftime_ringbuf_output copies `size` bytes into a new record: 0, -EINVAL (flags), -EAGAIN (no room). */
long bpftime_ringbuf_output(struct bpftime_map *m, const void *data, uint64_t size, uint64_t flags);
/* bpftime_ringbuf_query: available bytes, size, consumer or producer position (BPFTIME_RB_*); 0 otherwise. */
uint64_t bpftime_ringbuf_query(struct bpftime_map *m, uint64_t flags);
/*
 * bpftime_ringbuf_consume calls fn for each submitted record in order (discarded ones skipped), consuming it, and
 * stops at a record still being written, after `max` records (0: no limit) or when fn returns non-zero (that
 * record is consumed). Returns the number of records passed to fn, or -errno (-EINVAL: not a ringbuf).
 */
typedef int (*bpftime_sample_fn)(void *ctx, const void *data, uint32_t size);
int bpftime_ringbuf_consume(struct bpftime_map *m, bpftime_sample_fn fn, void *ctx, uint32_t max);
/* bpftime_ringbuf_wait sleeps until a producer notifies or timeout_ms passes; 1 when data is available, else 0. */
int bpftime_ringbuf_wait(struct bpftime_map *m, int timeout_ms);

/* ---------------------------------------------------------------------------------------------------------------
 * Perf event arrays.
 */
/*
 * bpftime_perf_event_output is bpf_perf_event_output: flags' low 32 bits select the buffer (BPFTIME_F_CURRENT_CPU:
 * this CPU's): 0, -EINVAL (other flag bits), -E2BIG (index >= max_entries), -ENOENT (no reader on it),
 * -EOPNOTSUPP (another CPU's buffer), -ENOSPC (full: the sample is counted as lost).
 */
long bpftime_perf_event_output(struct bpftime_map *m, uint64_t flags, const void *data, uint64_t size);
/* bpftime_perf_open marks every CPU's buffer as read (output to them works), emptying them; -EINVAL otherwise. */
int bpftime_perf_open(struct bpftime_map *m);
/* bpftime_perf_close removes the readers (output is -ENOENT again). */
int bpftime_perf_close(struct bpftime_map *m);
/* bpftime_perf_consume calls fn for each sample of every buffer (CPU 0 first), consuming it; count or -errno. */
typedef int (*bpftime_perf_fn)(void *ctx, uint32_t cpu, const void *data, uint32_t size);
int bpftime_perf_consume(struct bpftime_map *m, bpftime_perf_fn fn, void *ctx);
/* bpftime_perf_lost returns the samples lost on one CPU's buffer, or on all when cpu is UINT32_MAX. */
uint64_t bpftime_perf_lost(struct bpftime_map *m, uint32_t cpu);

#ifdef __cplusplus
}
#endif
#endif /* BPFTIME_MAPS_H */
