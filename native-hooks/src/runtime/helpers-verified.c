/* The helpers of verified programs that run without a trap landing pad (docs/native.md, "Runs without a landing
 * pad"): which helpers cannot fault on a verified program's arguments, and the lean map helpers of their table.
 *
 * The verifier proved each map argument a map of the program and each key and value pointer readable for the map's
 * sizes, so these map helpers skip the checks of helpers-maps.c (rt_guest_ptr, the handle's "not a map" fault) and,
 * on the session's maps, walk the hash chain inline (the segment's lock-free find, src/shm/htab.h). They never fault:
 * a handle the runtime cannot resolve, which verification excludes, answers as a missing element would (NULL, or
 * -EINVAL as a map type without the operation does). */
#include <errno.h>

#include "helpers.h"
#include "../shm/htab.h"

#define ID(id, name) BPFTIME_HV_##name = id,
enum { BPFTIME_HELPER_NAMES(ID) };
#undef ID

bpftime_helper_fn bpftime_helper_table_verified[BPFTIME_HELPER_ID_COUNT];

_Static_assert(sizeof(struct rt_map_slot) == 64, "a map slot is 64 bytes");

/* rt_map_slot_fill caches what a handle resolved to (map, key and value sizes) and, for a hash map of the session's
 * segment without per-CPU values, the view of its find (struct rt_htab_view), then publishes the map. */
void rt_map_slot_fill(struct bpftime_runtime *rt, uint64_t handle, void *m, uint32_t key_size, uint32_t value_size)
{
	if (handle > BPFTIME_MAX_MAPS) return;
	struct rt_map_slot *slot = &rt->map_cache[handle];
	slot->key_size = key_size, slot->value_size = value_size;
	struct bpftime_map *sm = m;
	if (rt->seg != NULL && sm->htab != NULL && !sm->percpu) {
		struct rt_htab_view *v = &slot->htab;
		v->elems = sm->elems, v->bucket_mask = sm->bucket_mask, v->seed = sm->seed;
		v->elem_size = sm->elem_size, v->key_stride = sm->key_stride, v->lru = sm->lru;
		atomic_store_explicit(&v->buckets, sm->buckets, memory_order_release);
	}
	atomic_store_explicit(&slot->map, m, memory_order_release);
}

void *rt_map_resolve(struct bpftime_runtime *rt, uint64_t handle, uint32_t *key_size, uint32_t *value_size)
{
	*key_size = 0, *value_size = 0;
	void *m = rt->maps.resolve ? rt->maps.resolve(rt->maps.arg, handle, key_size, value_size) : NULL;
	if (m != NULL) rt_map_slot_fill(rt, handle, m, *key_size, *value_size);
	return m;
}

/* map_of returns the map of a handle (its slot's, resolving it once), or NULL: not a map. */
static inline void *map_of(struct bpftime_runtime *rt, uint64_t handle)
{
	if (LIKELY_(handle <= BPFTIME_MAX_MAPS)) {
		void *m = atomic_load_explicit(&rt->map_cache[handle].map, memory_order_acquire);
		if (LIKELY_(m != NULL)) return m;
	}
	uint32_t ks, vs;
	return rt_map_resolve(rt, handle, &ks, &vs);
}

/* lookup_slow is the lookup of everything find_first does not answer: a handle not resolved yet, other maps than a
 * segment hash map without per-CPU values, the key not in the first element of its chain (the segment's whole
 * lock-free find: restarts, long chains, contention). Out of line, called last, so that the common lookup is a
 * leaf that saves no register. */
static __attribute__((noinline)) uint64_t lookup_slow(struct bpftime_runtime *rt, uint64_t handle, const void *key)
{
	void *m = map_of(rt, handle);
	if (UNLIKELY_(m == NULL)) return 0;
	if (rt->seg == NULL) return rt->maps.lookup ? rt_guest_of(rt, rt->maps.lookup(m, key)) : 0;
	struct bpftime_map *sm = m;
	if (sm->htab == NULL || sm->percpu) return rt_guest_of(rt, bpftime_map_lookup_elem(sm, key));
	struct bpftime_htab_elem *e = find(sm, hash_key(sm, key), key);
	if (e == NULL) return 0;
	if (sm->lru) touch(e);
	return rt_guest_of(rt, elem_values(sm, e));
}

/* lookup_verified finds the key in the first element of its chain from the slot's copy of the map's view (the same
 * reads and checks as find's first step, one dependent load less than through the map); the rest is lookup_slow. */
static uint64_t lookup_verified(struct bpftime_exec *x, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	struct bpftime_runtime *rt = x->rt;
	const void *key = rt->guest + r2;
	if (LIKELY_(r1 <= BPFTIME_MAX_MAPS)) {
		const struct rt_map_slot *slot = &rt->map_cache[r1];
		const struct rt_htab_view *v = &slot->htab;
		struct bpftime_htab_bucket *buckets = atomic_load_explicit(&v->buckets, memory_order_acquire);
		if (LIKELY_(buckets != NULL)) {
			uint32_t hash = hash_key_sized(slot->key_size, v->seed, key);
			uint32_t link = LOAD_ACQ(&buckets[hash & v->bucket_mask].head);
			if (LIKELY_(!(link & 1))) {
				struct bpftime_htab_elem *e = (struct bpftime_htab_elem *)(v->elems + (uint64_t)(link >> 1) * v->elem_size);
				if (LOAD_RLX(&e->hash) == hash) {
					uint32_t gen = LOAD_ACQ(&e->gen);
					if (!(gen & 1) && key_eq_sized(slot->key_size, e, key) && LOAD_RLX(&e->gen) == gen) {
						if (v->lru) touch(e);
						return (uint64_t)((uint8_t *)e + ELEM_HDR + v->key_stride - rt->guest);
					}
				}
			}
		}
	}
	return lookup_slow(rt, r1, key);
}

static uint64_t update_verified(struct bpftime_exec *x, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r5;
	struct bpftime_runtime *rt = x->rt;
	void *m = map_of(rt, r1);
	if (UNLIKELY_(m == NULL)) return RET_ERR(EINVAL);
	if (LIKELY_(rt->seg != NULL)) return (uint64_t)bpftime_map_update_elem(m, rt->guest + r2, rt->guest + r3, r4);
	return rt->maps.update ? (uint64_t)rt->maps.update(m, rt->guest + r2, rt->guest + r3, r4) : RET_ERR(EINVAL);
}

static uint64_t delete_verified(struct bpftime_exec *x, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r3, (void)r4, (void)r5;
	struct bpftime_runtime *rt = x->rt;
	void *m = map_of(rt, r1);
	if (UNLIKELY_(m == NULL)) return RET_ERR(EINVAL);
	return rt->maps.delete_elem ? (uint64_t)rt->maps.delete_elem(m, rt->guest + r2) : RET_ERR(EINVAL);
}

void rt_helpers_verified_init(void)
{
	for (uint32_t i = 0; i < BPFTIME_HELPER_ID_COUNT; i++) bpftime_helper_table_verified[i] = bpftime_helper_table[i];
	bpftime_helper_table_verified[BPFTIME_HV_map_lookup_elem] = lookup_verified;
	bpftime_helper_table_verified[BPFTIME_HV_map_update_elem] = update_verified;
	bpftime_helper_table_verified[BPFTIME_HV_map_delete_elem] = delete_verified;
}

int rt_helper_cannot_fault(uint32_t id)
{
	switch (id) {
	/* the lean map helpers above */
	case BPFTIME_HV_map_lookup_elem:
	case BPFTIME_HV_map_update_elem:
	case BPFTIME_HV_map_delete_elem:
	/* no pointer argument, no fault (helpers-task.c) */
	case BPFTIME_HV_ktime_get_ns:
	case BPFTIME_HV_ktime_get_boot_ns:
	case BPFTIME_HV_ktime_get_coarse_ns:
	case BPFTIME_HV_ktime_get_tai_ns:
	case BPFTIME_HV_get_prandom_u32:
	case BPFTIME_HV_get_smp_processor_id:
	case BPFTIME_HV_get_numa_node_id:
	case BPFTIME_HV_get_current_pid_tgid:
	case BPFTIME_HV_get_current_uid_gid:
	case BPFTIME_HV_get_func_ip:
	case BPFTIME_HV_get_attach_cookie:
		return 1;
	}
	return 0;
}
