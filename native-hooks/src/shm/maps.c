/*
 * Map creation with the kernel's map_create checks, the process-local map views, and the operations that dispatch
 * by type. Messages name the map as the TypeScript maps do: `map "counts": value size 0 is invalid for a hash map`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define F_NUMA_NODE (1u << 2)
#define F_MMAPABLE (1u << 10)
#define F_PRESERVE_ELEMS (1u << 11)
#define F_INNER_MAP (1u << 12)
#define ACCESS_MASK (BPFTIME_F_RDONLY | BPFTIME_F_WRONLY | BPFTIME_F_RDONLY_PROG | BPFTIME_F_WRONLY_PROG)
#define HASH_CREATE_MASK \
	(BPFTIME_F_NO_PREALLOC | BPFTIME_F_NO_COMMON_LRU | F_NUMA_NODE | ACCESS_MASK | BPFTIME_F_ZERO_SEED)
#define ARRAY_CREATE_MASK (F_NUMA_NODE | F_MMAPABLE | ACCESS_MASK | F_PRESERVE_ELEMS | F_INNER_MAP)
#define MAX_BPF_STACK 512u
#define KMALLOC_MAX_SIZE (4u << 20)
#define PCPU_MIN_UNIT_SIZE (32u << 10)

static const char *type_name(uint32_t t)
{
	switch (t) {
	case BPFTIME_MAP_HASH: return "hash";
	case BPFTIME_MAP_ARRAY: return "array";
	case BPFTIME_MAP_PERF_EVENT_ARRAY: return "perf_event_array";
	case BPFTIME_MAP_PERCPU_HASH: return "percpu_hash";
	case BPFTIME_MAP_PERCPU_ARRAY: return "percpu_array";
	case BPFTIME_MAP_LRU_HASH: return "lru_hash";
	case BPFTIME_MAP_LRU_PERCPU_HASH: return "lru_percpu_hash";
	case BPFTIME_MAP_RINGBUF: return "ringbuf";
	default: return NULL;
	}
}

static int is_hash(uint32_t t)
{
	return t == BPFTIME_MAP_HASH || t == BPFTIME_MAP_PERCPU_HASH || t == BPFTIME_MAP_LRU_HASH ||
	       t == BPFTIME_MAP_LRU_PERCPU_HASH;
}

static int is_percpu(uint32_t t)
{
	return t == BPFTIME_MAP_PERCPU_HASH || t == BPFTIME_MAP_LRU_PERCPU_HASH || t == BPFTIME_MAP_PERCPU_ARRAY;
}

static int is_lru(uint32_t t)
{
	return t == BPFTIME_MAP_LRU_HASH || t == BPFTIME_MAP_LRU_PERCPU_HASH;
}

/* with_defaults applies libbpf's perf_event_array defaults (4-byte keys and values, one entry per CPU). */
static struct bpftime_map_spec with_defaults(const struct bpftime_map_spec *in, uint32_t ncpus)
{
	struct bpftime_map_spec s = *in;
	if (s.type == BPFTIME_MAP_PERF_EVENT_ARRAY) {
		s.key_size = s.key_size ? s.key_size : 4;
		s.value_size = s.value_size ? s.value_size : 4;
		s.max_entries = s.max_entries ? s.max_entries : ncpus;
		s.perf_pages = s.perf_pages ? s.perf_pages : BPFTIME_PERF_DEFAULT_PAGES;
	}
	return s;
}

#define INVALID(...) return seterr(err, errlen, EINVAL, __VA_ARGS__)
#define TOO_BIG(...) return seterr(err, errlen, E2BIG, __VA_ARGS__)

/* validate applies each type's map_alloc_check; the message names the map and the rule. */
static int validate(const struct bpftime_map_spec *s, char *err, size_t errlen)
{
	const char *name = s->name ? s->name : "";
	const char *tn = type_name(s->type);
	if (tn == NULL)
		return seterr(err, errlen, EOPNOTSUPP, "map \"%s\": map type %u is not supported in shared memory", name,
			      s->type);
	const char *a = (tn[0] == 'a' || tn[0] == 'e' || tn[0] == 'i' || tn[0] == 'o' || tn[0] == 'u') ? "an" : "a";
	uint32_t f = s->flags, t = s->type;
	if (((f & BPFTIME_F_RDONLY) && (f & BPFTIME_F_WRONLY)) ||
	    ((f & BPFTIME_F_RDONLY_PROG) && (f & BPFTIME_F_WRONLY_PROG)))
		INVALID("map \"%s\": flags 0x%x (read-only and write-only) is invalid for %s %s map", name, f, a, tn);
	if (is_percpu(t) && round_up(s->value_size, 8) > PCPU_MIN_UNIT_SIZE)
		TOO_BIG("map \"%s\": value size %u is too big for %s %s map (limit %u)", name, s->value_size, a, tn,
			PCPU_MIN_UNIT_SIZE);
	if (is_hash(t)) {
		if (f & ~HASH_CREATE_MASK)
			INVALID("map \"%s\": flags 0x%x is invalid for %s %s map", name, f, a, tn);
		if (!is_lru(t) && (f & BPFTIME_F_NO_COMMON_LRU))
			INVALID("map \"%s\": flag BPF_F_NO_COMMON_LRU is invalid for %s %s map", name, a, tn);
		if (is_lru(t) && (f & BPFTIME_F_NO_PREALLOC))
			return seterr(err, errlen, BPFTIME_ENOTSUPP,
				      "map \"%s\": flag BPF_F_NO_PREALLOC is not supported for %s %s map", name, a, tn);
		if (s->max_entries == 0 || s->key_size == 0 || s->value_size == 0)
			INVALID("map \"%s\": %s 0 is invalid for %s %s map", name,
				s->max_entries == 0 ? "max_entries" : s->key_size == 0 ? "key size" : "value size", a, tn);
		if (s->key_size > MAX_BPF_STACK)
			TOO_BIG("map \"%s\": key size %u is too big for %s %s map (limit %u)", name, s->key_size, a, tn,
				MAX_BPF_STACK);
		if ((uint64_t)s->key_size + s->value_size >= KMALLOC_MAX_SIZE)
			TOO_BIG("map \"%s\": element size is too big for %s %s map (limit %u)", name, a, tn,
				KMALLOC_MAX_SIZE);
		if (s->max_entries > (1u << 31))
			TOO_BIG("map \"%s\": max_entries %u is too big for %s %s map (limit %u)", name, s->max_entries, a,
				tn, 1u << 31);
	} else if (t == BPFTIME_MAP_RINGBUF) {
		if (f & ~F_NUMA_NODE)
			INVALID("map \"%s\": flags 0x%x is invalid for %s %s map", name, f, a, tn);
		if (s->key_size != 0 || s->value_size != 0)
			INVALID("map \"%s\": %s size %u is invalid for %s %s map", name, s->key_size ? "key" : "value",
				s->key_size ? s->key_size : s->value_size, a, tn);
		uint32_t n = s->max_entries;
		if (n == 0 || (n & (n - 1)) != 0 || n % BPFTIME_PAGE_SIZE != 0)
			INVALID("map \"%s\": size %u (not a power of two multiple of %u) is invalid for %s %s map", name,
				n, BPFTIME_PAGE_SIZE, a, tn);
	} else {
		if (f & ~ARRAY_CREATE_MASK)
			INVALID("map \"%s\": flags 0x%x is invalid for %s %s map", name, f, a, tn);
		if (s->max_entries == 0)
			INVALID("map \"%s\": max_entries 0 is invalid for %s %s map", name, a, tn);
		if (s->key_size != 4)
			INVALID("map \"%s\": key size %u is invalid for %s %s map", name, s->key_size, a, tn);
		if (s->value_size == 0)
			INVALID("map \"%s\": value size 0 is invalid for %s %s map", name, a, tn);
		if (t != BPFTIME_MAP_ARRAY && (f & (F_MMAPABLE | F_INNER_MAP)))
			INVALID("map \"%s\": flags 0x%x is invalid for %s %s map", name, f, a, tn);
		if (t != BPFTIME_MAP_PERF_EVENT_ARRAY && (f & F_PRESERVE_ELEMS))
			INVALID("map \"%s\": flag BPF_F_PRESERVE_ELEMS is invalid for %s %s map", name, a, tn);
		if (s->value_size > 0x7fffffffu)
			TOO_BIG("map \"%s\": value size %u is too big for %s %s map", name, s->value_size, a, tn);
		if (t == BPFTIME_MAP_PERF_EVENT_ARRAY) {
			if (s->value_size != 4)
				INVALID("map \"%s\": value size %u is invalid for %s %s map", name, s->value_size, a, tn);
			if ((s->perf_pages & (s->perf_pages - 1)) != 0)
				INVALID("map \"%s\": perf buffer page count %u is not a power of two", name,
					s->perf_pages);
		}
	}
	if (s->spin_lock_off >= 0) {
		if (t != BPFTIME_MAP_HASH && t != BPFTIME_MAP_ARRAY)
			return seterr(err, errlen, EOPNOTSUPP, "map \"%s\": %s %s map cannot hold a bpf_spin_lock", name,
				      a, tn);
		if (s->spin_lock_off % 4 != 0 || (uint64_t)s->spin_lock_off + 4 > s->value_size)
			INVALID("map \"%s\": bpf_spin_lock offset %d is outside the %u-byte value or misaligned", name,
				s->spin_lock_off, s->value_size);
	}
	return 0;
}

static uint64_t storage_size(const struct bpftime_map_spec *s, uint32_t ncpus, struct bpftime_map_def *d)
{
	if (is_hash(s->type))
		return htab_storage(s, ncpus, &d->u.htab);
	if (s->type == BPFTIME_MAP_RINGBUF)
		return sizeof(struct bpftime_ringbuf) + s->max_entries;
	if (s->type == BPFTIME_MAP_PERF_EVENT_ARRAY)
		return perf_storage(s, ncpus, &d->u.perf);
	return array_storage(s, ncpus, &d->u.array);
}

BPFTIME_API uint64_t bpftime_map_storage_size(const struct bpftime_map_spec *in, uint32_t ncpus)
{
	struct bpftime_map_spec s = with_defaults(in, ncpus);
	struct bpftime_map_def d;
	if (validate(&s, NULL, 0) < 0)
		return 0;
	return storage_size(&s, ncpus, &d);
}

BPFTIME_API int bpftime_map_create(struct bpftime_seg *seg, const struct bpftime_map_spec *in, char *err,
				   size_t errlen)
{
	struct bpftime_shm *shm = seg->shm;
	uint32_t ncpus = shm->hdr.ncpus;
	struct bpftime_map_spec s = with_defaults(in, ncpus);
	const char *name = s.name ? s.name : "";
	int r = validate(&s, err, errlen);
	if (r < 0)
		return r;
	struct bpftime_map_def *d = NULL;
	for (uint32_t i = 0; i < BPFTIME_MAX_MAPS && d == NULL; i++) {
		uint32_t free = BPFTIME_SLOT_FREE;
		if (__atomic_compare_exchange_n(&shm->maps[i].state, &free, BPFTIME_SLOT_BUSY, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			d = &shm->maps[i];
	}
	if (d == NULL)
		return seterr(err, errlen, ENOSPC, "map \"%s\": the segment's map table is full (%u maps)", name,
			      BPFTIME_MAX_MAPS);
	uint32_t id = (uint32_t)(d - shm->maps) + 1;
	memset(&d->u, 0, sizeof(d->u));
	uint64_t bytes = storage_size(&s, ncpus, d);
	int paged = s.type == BPFTIME_MAP_RINGBUF || s.type == BPFTIME_MAP_PERF_EVENT_ARRAY;
	char why[160];
	uint64_t off = bpftime_shm_alloc(seg, bytes, paged ? BPFTIME_PAGE_SIZE : 64, why, sizeof(why));
	if (off == 0) {
		STORE_REL(&d->state, BPFTIME_SLOT_FREE);
		return seterr(err, errlen, ENOSPC, "map \"%s\": its storage needs %llu bytes: %s; create the session "
			      "with a larger segment", name, (unsigned long long)bytes, why);
	}
	d->id = id;
	d->type = s.type;
	d->key_size = s.key_size;
	d->value_size = s.value_size;
	d->max_entries = s.max_entries;
	d->flags = s.flags;
	d->ncpus = is_percpu(s.type) ? ncpus : 1;
	d->value_stride = (uint32_t)round_up(s.value_size, 8);
	d->spin_lock_off = s.spin_lock_off >= 0 ? s.spin_lock_off : -1;
	d->btf_key_type_id = s.btf_key_type_id;
	d->btf_value_type_id = s.btf_value_type_id;
	d->storage_off = off;
	d->storage_size = bytes;
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (is_hash(s.type)) {
		uint32_t seed = 0;
		if (!(s.flags & BPFTIME_F_ZERO_SEED))
			seed = (uint32_t)(now_ns(CLOCK_MONOTONIC) * 0x9e3779b97f4a7c15ull >> 32) ^ (uint32_t)getpid();
		d->u.htab.seed = seed;
		d->u.htab.buckets_off += off;
		d->u.htab.elems_off += off;
	} else if (s.type == BPFTIME_MAP_ARRAY || s.type == BPFTIME_MAP_PERCPU_ARRAY) {
		d->u.array.values_off += off;
	}
	struct bpftime_map view = {0};
	map_view_init(seg, &view, d);
	if (is_hash(s.type))
		htab_init(&view);
	else if (s.type == BPFTIME_MAP_RINGBUF)
		ringbuf_init(view.rb, s.max_entries);
	else if (s.type == BPFTIME_MAP_PERF_EVENT_ARRAY)
		perf_init(&view);
	STORE_REL(&d->state, BPFTIME_SLOT_READY);
	return (int)id;
}

void map_view_init(struct bpftime_seg *seg, struct bpftime_map *m, const struct bpftime_map_def *d)
{
	uint8_t *base = seg->base;
	m->seg = seg;
	m->def = d;
	m->id = d->id;
	m->type = d->type;
	m->key_size = d->key_size;
	m->value_size = d->value_size;
	m->max_entries = d->max_entries;
	m->flags = d->flags;
	m->ncpus = d->ncpus;
	m->value_stride = d->value_stride;
	m->spin_lock_off = d->spin_lock_off;
	m->percpu = (uint8_t)is_percpu(d->type);
	m->lru = (uint8_t)is_lru(d->type);
	m->prog_writable = !(d->flags & BPFTIME_F_RDONLY_PROG);
	m->user_readable = !(d->flags & BPFTIME_F_WRONLY);
	m->user_writable = !(d->flags & BPFTIME_F_RDONLY);
	if (is_hash(d->type)) {
		m->htab = (struct bpftime_htab_ctl *)(base + d->storage_off);
		m->buckets = (struct bpftime_htab_bucket *)(base + d->u.htab.buckets_off);
		m->elems = base + d->u.htab.elems_off;
		m->elem_size = d->u.htab.elem_size;
		m->key_stride = d->u.htab.key_stride;
		m->bucket_mask = d->u.htab.nbuckets - 1;
		m->seed = d->u.htab.seed;
	} else if (d->type == BPFTIME_MAP_RINGBUF) {
		m->rb = (struct bpftime_ringbuf *)(base + d->storage_off);
	} else if (d->type == BPFTIME_MAP_PERF_EVENT_ARRAY) {
		m->perf = base + d->storage_off;
		m->perf_stride = d->u.perf.buf_stride;
		m->perf_nbufs = d->u.perf.nbufs;
		m->perf_pages = d->u.perf.pages;
	} else {
		m->values = base + d->u.array.values_off;
		m->array_elem_size = d->u.array.elem_size;
	}
}

BPFTIME_API struct bpftime_map *bpftime_seg_map(struct bpftime_seg *seg, uint32_t id)
{
	if (id == 0 || id > BPFTIME_MAX_MAPS)
		return NULL;
	struct bpftime_map *m = &seg->maps[id - 1];
	if (LIKELY(LOAD_ACQ(&m->ready)))
		return m;
	const struct bpftime_map_def *d = &seg->shm->maps[id - 1];
	if (LOAD_ACQ(&d->state) != BPFTIME_SLOT_READY)
		return NULL;
	pthread_mutex_lock(&seg->views_lock);
	if (!LOAD_RLX(&m->ready)) {
		map_view_init(seg, m, d);
		STORE_REL(&m->ready, 1);
	}
	pthread_mutex_unlock(&seg->views_lock);
	return m;
}

BPFTIME_API struct bpftime_map *bpftime_seg_map_by_name(struct bpftime_seg *seg, const char *name)
{
	for (uint32_t i = 0; i < BPFTIME_MAX_MAPS; i++) {
		const struct bpftime_map_def *d = &seg->shm->maps[i];
		if (LOAD_ACQ(&d->state) == BPFTIME_SLOT_READY && strncmp(d->name, name, sizeof(d->name)) == 0)
			return bpftime_seg_map(seg, i + 1);
	}
	return NULL;
}

BPFTIME_API const struct bpftime_map_def *bpftime_map_def(const struct bpftime_map *m)
{
	return m->def;
}

BPFTIME_API uint32_t bpftime_map_ncpus(const struct bpftime_map *m)
{
	return m->ncpus;
}

BPFTIME_API uint64_t bpftime_map_count(const struct bpftime_map *m)
{
	if (m->htab != NULL)
		return (uint64_t)LOAD_RLX(&m->htab->count);
	return m->values != NULL ? m->max_entries : 0;
}

/* ---- value copies ---- */

int update_mode(uint64_t flags)
{
	uint64_t mode = flags & ~BPFTIME_F_LOCK;
	return mode > BPFTIME_EXIST ? -1 : (int)mode;
}

/* copy_value copies a value, leaving the bpf_spin_lock word of the destination alone (the kernel's copy_map_value). */
static void copy_value(const struct bpftime_map *m, uint8_t *dst, const uint8_t *src)
{
	if (m->spin_lock_off < 0) {
		memcpy(dst, src, m->value_size);
		return;
	}
	uint32_t off = (uint32_t)m->spin_lock_off;
	memcpy(dst, src, off);
	memcpy(dst + off + 4, src + off + 4, m->value_size - off - 4);
}

int copy_value_locked(struct bpftime_map *m, uint8_t *dst, const uint8_t *src)
{
	bpftime_lock_t *lock = (bpftime_lock_t *)(dst + m->spin_lock_off);
	if (lock_acquire(lock) < 0)
		return -EBUSY;
	copy_value(m, dst, src);
	lock_release(lock);
	return 0;
}

/* write_values_slow is write_values for per-CPU values and values holding a bpf_spin_lock. */
int write_values_slow(struct bpftime_map *m, uint8_t *values, const void *value, int user, uint32_t user_size,
		      uint64_t flags, int fresh)
{
	const uint8_t *src = value;
	if (!m->percpu) {
		if (flags & BPFTIME_F_LOCK)
			return copy_value_locked(m, values, src);
		copy_value(m, values, src);
		return 0;
	}
	if (!user) {
		if (fresh)
			memset(values, 0, (uint64_t)m->value_stride * m->ncpus);
		memcpy(values + (uint64_t)current_cpu(m->ncpus) * m->value_stride, src, m->value_size);
		return 0;
	}
	for (uint32_t c = 0; c < m->ncpus; c++) {
		uint8_t *dst = values + (uint64_t)c * m->value_stride;
		memcpy(dst, user_size == m->value_size ? src : src + (uint64_t)c * m->value_stride, m->value_size);
		memset(dst + m->value_size, 0, m->value_stride - m->value_size);
	}
	return 0;
}

/* read_user_values copies a value out as the syscall does: every CPU's copy padded to 8 bytes, lock word zeroed. */
void read_user_values(const struct bpftime_map *m, const uint8_t *values, void *out)
{
	uint8_t *dst = out;
	if (!m->percpu) {
		memcpy(dst, values, m->value_size);
		if (m->spin_lock_off >= 0)
			memset(dst + m->spin_lock_off, 0, 4);
		return;
	}
	for (uint32_t c = 0; c < m->ncpus; c++) {
		memcpy(dst + (uint64_t)c * m->value_stride, values + (uint64_t)c * m->value_stride, m->value_size);
		memset(dst + (uint64_t)c * m->value_stride + m->value_size, 0, m->value_stride - m->value_size);
	}
}
