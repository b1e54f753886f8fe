/*
 * Private to src/shm: the process-local views of a segment and its maps, the process-shared lock, the CPU number,
 * error messages. Nothing here is part of the segment layout (that is include/bpftime_shm.h).
 */
#ifndef BPFTIME_SHM_INTERNAL_H
#define BPFTIME_SHM_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/rseq.h>

#include "bpftime_maps.h"
#include "bpftime_shm.h"

#define BPFTIME_API __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define LOAD_ACQ(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define LOAD_RLX(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE_REL(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define STORE_RLX(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static inline uint64_t round_up(uint64_t n, uint64_t align)
{
	return (n + align - 1) & ~(align - 1);
}

/* Process-local view of one map: the def's fields copied and its storage resolved to host pointers. */
struct bpftime_map {
	uint32_t ready; /* set (release) once the view below is filled */
	uint32_t id;
	struct bpftime_seg *seg;
	const struct bpftime_map_def *def;
	uint32_t type, key_size, value_size, max_entries, flags, ncpus, value_stride;
	int32_t spin_lock_off;
	uint8_t percpu, lru, prog_writable, user_readable, user_writable;
	/* hash maps */
	struct bpftime_htab_ctl *htab;
	struct bpftime_htab_bucket *buckets;
	uint8_t *elems;
	uint32_t elem_size, key_stride, bucket_mask, seed;
	/* arrays */
	uint8_t *values;
	uint32_t array_elem_size;
	/* ring buffer */
	struct bpftime_ringbuf *rb;
	/* perf event array */
	uint8_t *perf;
	uint64_t perf_stride;
	uint32_t perf_nbufs, perf_pages;
};

/* Process-local view of a segment. */
struct bpftime_seg {
	uint8_t *base;
	uint64_t size;
	int fd;
	int fixed; /* mapped at the caller's address (map_at): closing leaves a PROT_NONE reservation there */
	struct bpftime_shm *shm;
	pthread_mutex_t views_lock; /* serialises filling map views */
	char name[BPFTIME_NAME_LEN];
	struct bpftime_map maps[BPFTIME_MAX_MAPS];
};

/* Thread id of the caller, cached per thread (reset in a forked child). */
uint32_t bpftime_tid(void);

int bpftime_lock_slow(bpftime_lock_t *l, uint32_t me, int self_busy);

/* bpftime_thread_gone tells whether no thread has this id any more (a dead lock holder or ring producer). */
int bpftime_thread_gone(uint32_t tid);

/*
 * Process-shared lock: a CAS of 0 -> tid; contention spins, then yields, and takes over from a dead holder. A lock
 * this thread already holds is -EBUSY: the caller was interrupted inside its own critical section (a signal handler
 * running a probe), and the operation fails as the kernel's do when a map operation re-enters on one CPU.
 */
static inline __attribute__((warn_unused_result)) int lock_acquire(bpftime_lock_t *l)
{
	uint32_t me = bpftime_tid();
	uint32_t free = 0;
	if (LIKELY(__atomic_compare_exchange_n(l, &free, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
		return 0;
	return bpftime_lock_slow(l, me, 1);
}

/* lock_wait takes a lock where this thread cannot already hold it (the caller checked), waiting for others. */
static inline void lock_wait(bpftime_lock_t *l)
{
	uint32_t me = bpftime_tid();
	uint32_t free = 0;
	if (!__atomic_compare_exchange_n(l, &free, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		bpftime_lock_slow(l, me, 0);
}

static inline void lock_release(bpftime_lock_t *l)
{
	STORE_REL(l, 0);
}

/*
 * The CPU this thread runs on, in [0, ncpus): what sched_getcpu() returns, read from the thread's rseq area that
 * glibc registers (0.5 ns instead of 2.6 ns for the call), or from sched_getcpu() where rseq is not registered.
 */
static inline uint32_t current_cpu(uint32_t ncpus)
{
	int cpu = -1;
	if (LIKELY(__rseq_size > 0))
		cpu = (int)__atomic_load_n(&((struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset))->cpu_id,
					   __ATOMIC_RELAXED);
	if (UNLIKELY(cpu < 0))
		cpu = sched_getcpu();
	if (UNLIKELY(cpu < 0))
		return 0;
	return (uint32_t)cpu < ncpus ? (uint32_t)cpu : (uint32_t)cpu % ncpus;
}

/* seterr writes a message (printf format) into err when err is not NULL; returns -errnum for `return seterr(...)`. */
int seterr(char *err, size_t errlen, int errnum, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

uint64_t now_ns(clockid_t clock);

/* map_view_init fills a view from its def (maps.c). */
void map_view_init(struct bpftime_seg *seg, struct bpftime_map *m, const struct bpftime_map_def *def);

/* Type-specific parts (hash.c, array.c, ringbuf.c, perf.c). */
uint64_t htab_storage(const struct bpftime_map_spec *s, uint32_t ncpus, struct bpftime_htab_params *p);
void htab_init(struct bpftime_map *m);
long htab_update(struct bpftime_map *m, const void *key, const void *value, uint64_t flags, int user,
		 uint32_t user_size);
long htab_delete(struct bpftime_map *m, const void *key);
int htab_lookup_user(struct bpftime_map *m, const void *key, void *value);
int htab_next_key(struct bpftime_map *m, const void *key, void *next);

uint64_t array_storage(const struct bpftime_map_spec *s, uint32_t ncpus, struct bpftime_array_params *p);
void *array_lookup_elem(struct bpftime_map *m, const void *key, int64_t cpu);
long array_update(struct bpftime_map *m, const void *key, const void *value, uint64_t flags, int user,
		  uint32_t user_size);
int array_lookup_user(struct bpftime_map *m, const void *key, void *value);
int array_next_key(struct bpftime_map *m, const void *key, void *next);

/* ringbuf.c: the ring of a ringbuf map and of the log. */
void ringbuf_init(struct bpftime_ringbuf *rb, uint64_t data_size);
void *ringbuf_reserve(struct bpftime_ringbuf *rb, uint64_t size, uint64_t flags);
typedef int (*ringbuf_rec_fn)(void *ctx, const void *data, uint32_t size);
int ringbuf_consume(struct bpftime_ringbuf *rb, ringbuf_rec_fn fn, void *ctx, uint32_t max);

uint64_t perf_storage(const struct bpftime_map_spec *s, uint32_t ncpus, struct bpftime_perf_params *p);
void perf_init(struct bpftime_map *m);
int perf_delete_user(struct bpftime_map *m, const void *key);

/* value copies shared by hash and array maps (maps.c) */
int copy_value_locked(struct bpftime_map *m, uint8_t *dst, const uint8_t *src);
int write_values_slow(struct bpftime_map *m, uint8_t *elem_values, const void *value, int user, uint32_t user_size,
		      uint64_t flags, int fresh);

/* copy_small copies a value; the common sizes are one or two moves instead of a memcpy call. */
static inline void copy_small(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	switch (n) {
	case 4: {
		uint32_t v;
		memcpy(&v, src, 4);
		memcpy(dst, &v, 4);
		return;
	}
	case 8: {
		uint64_t v;
		memcpy(&v, src, 8);
		memcpy(dst, &v, 8);
		return;
	}
	case 16: {
		uint64_t v[2];
		memcpy(v, src, 16);
		memcpy(dst, v, 16);
		return;
	}
	default:
		memcpy(dst, src, n);
	}
}

/*
 * write_values stores a value into an element's value(s): the program side writes this CPU's copy (zeroing the
 * others' of a fresh per-CPU element, as the kernel's pcpu_init_value); the user side writes every copy, from a
 * full per-CPU array or the same value_size bytes into each. A plain value is copied inline. 0, or -EBUSY for a
 * BPF_F_LOCK write re-entering its own value's lock.
 */
static inline int write_values(struct bpftime_map *m, uint8_t *values, const void *value, int user,
			       uint32_t user_size, uint64_t flags, int fresh)
{
	if (LIKELY(!m->percpu && m->spin_lock_off < 0 && !(flags & BPFTIME_F_LOCK))) {
		copy_small(values, value, m->value_size);
		return 0;
	}
	return write_values_slow(m, values, value, user, user_size, flags, fresh);
}
void read_user_values(const struct bpftime_map *m, const uint8_t *elem_values, void *out);
int update_mode(uint64_t flags);

#endif
