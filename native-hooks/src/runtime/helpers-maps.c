/* Map helpers (src/helpers/kernel/map-helpers.ts, output-helpers.ts) over the session's maps, reached through the
 * map operations the agent gives the runtime (struct bpftime_map_ops: the shm map API). Keys, values and records
 * are guest addresses, translated after their bounds are checked; a map value returned by a lookup is the guest
 * address of the bytes in the segment. A ring buffer record a run reserved is accessible to that run only, until it
 * submits or discards it (submit and discard make the module forget its cached bounds). */
#include <errno.h>

#include "bpftime_maps.h"
#include "helpers.h"

static const struct bpftime_map_ops *ops(struct bpftime_exec *x)
{
	return &x->th->rt->maps;
}

/* map_resolve asks the map operations what a handle names, and caches the answer for handles 1..BPFTIME_MAX_MAPS. */
static __attribute__((noinline)) void *map_resolve(struct bpftime_exec *x, uint64_t handle, int arg, uint32_t *key, uint32_t *value)
{
	struct bpftime_runtime *rt = x->th->rt;
	uint32_t ks, vs;
	void *m = rt_map_resolve(rt, handle, &ks, &vs);
	if (!m) rt_helper_fault(x, "argument r%d = 0x%llx is not a map", arg, (unsigned long long)handle);
	if (key) *key = ks;
	if (value) *value = vs;
	return m;
}

/* map_arg resolves the map handle of argument `arg` (cached per handle) or faults: not a map. */
static inline void *map_arg(struct bpftime_exec *x, uint64_t handle, int arg, uint32_t *key, uint32_t *value)
{
	struct bpftime_runtime *rt = x->th->rt;
	struct rt_map_slot *slot = handle <= BPFTIME_MAX_MAPS ? &rt->map_cache[handle] : NULL;
	void *m = slot ? atomic_load_explicit(&slot->map, memory_order_acquire) : NULL;
	if (UNLIKELY_(m == NULL)) return map_resolve(x, handle, arg, key, value);
	if (key) *key = slot->key_size;
	if (value) *value = slot->value_size;
	return m;
}

static uint64_t to_guest(struct bpftime_exec *x, void *host)
{
	return rt_guest_of(x->th->rt, host);
}

HELPER(map_lookup_elem)
{
	uint32_t ks;
	void *m = map_arg(x, r1, 1, &ks, NULL);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	/* The segment's maps directly: the hot helper of counting probes, one indirect call less. */
	if (LIKELY_(x->th->rt->seg != NULL)) return to_guest(x, bpftime_map_lookup_elem(m, key));
	return ops(x)->lookup ? to_guest(x, ops(x)->lookup(m, key)) : 0;
}

HELPER(map_lookup_percpu_elem)
{
	uint32_t ks;
	void *m = map_arg(x, r1, 1, &ks, NULL);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	return ops(x)->lookup_percpu ? to_guest(x, ops(x)->lookup_percpu(m, key, (uint32_t)r3)) : 0;
}

HELPER(map_update_elem)
{
	uint32_t ks, vs;
	void *m = map_arg(x, r1, 1, &ks, &vs);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	const void *value = rt_guest_ptr(x, r3, vs, 0);
	if (LIKELY_(x->th->rt->seg != NULL)) return (uint64_t)bpftime_map_update_elem(m, key, value, r4);
	return ops(x)->update ? (uint64_t)ops(x)->update(m, key, value, r4) : RET_ERR(EINVAL);
}

HELPER(map_delete_elem)
{
	uint32_t ks;
	void *m = map_arg(x, r1, 1, &ks, NULL);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	return ops(x)->delete_elem ? (uint64_t)ops(x)->delete_elem(m, key) : RET_ERR(EINVAL);
}

HELPER(ringbuf_output)
{
	void *m = map_arg(x, r1, 1, NULL, NULL);
	const void *data = rt_guest_ptr(x, r2, r3, 0);
	return ops(x)->ringbuf_output ? (uint64_t)ops(x)->ringbuf_output(m, data, r3, r4) : RET_ERR(EINVAL);
}

HELPER(ringbuf_reserve)
{
	void *m = map_arg(x, r1, 1, NULL, NULL);
	struct rt_thread *t = x->th;
	if (!ops(x)->ringbuf_reserve || t->nrecords == RT_MAX_RECORDS) return 0;
	void *rec = ops(x)->ringbuf_reserve(m, r2, r3);
	if (!rec) return 0;
	uint64_t g = to_guest(x, rec);
	t->records[t->nrecords++] = (struct rt_record){ g, g + r2 };
	return g;
}

/* commit submits or discards the record at guest address `sample`, which this run must have reserved. */
static uint64_t commit(struct bpftime_exec *x, uint64_t sample, uint64_t flags, int discard)
{
	struct rt_thread *t = x->th;
	for (uint32_t i = 0; i < t->nrecords; i++) {
		if (t->records[i].start != sample) continue;
		t->records[i] = t->records[--t->nrecords];
		ops(x)->ringbuf_commit(t->rt->guest + sample, flags, discard);
		RT_CTL(x) = RT_CTL_REGIONS;
		return 0;
	}
	rt_helper_fault(x, "0x%llx is not a sample reserved in a ring buffer", (unsigned long long)sample);
}

HELPER(ringbuf_submit) { return commit(x, r1, r2, 0); }
HELPER(ringbuf_discard) { return commit(x, r1, r2, 1); }

HELPER(ringbuf_query)
{
	void *m = map_arg(x, r1, 1, NULL, NULL);
	return ops(x)->ringbuf_query ? ops(x)->ringbuf_query(m, r2) : 0;
}

HELPER(perf_event_output)
{
	void *m = map_arg(x, r2, 2, NULL, NULL);
	const void *data = rt_guest_ptr(x, r4, r5, 0);
	return ops(x)->perf_output ? (uint64_t)ops(x)->perf_output(m, r3, data, r5) : RET_ERR(EINVAL);
}

/* bpf_tail_call: choose the target; the module then calls bpf.tail_call (rt_tail_call), which runs it. */
HELPER(tail_call)
{
	struct rt_prog_array *a = rt_prog_array(x->th->rt, r2);
	struct bpftime_prog *target = NULL;
	if (a) target = (uint32_t)r3 < a->max_entries ? atomic_load_explicit(&a->slots[(uint32_t)r3], memory_order_acquire) : NULL;
	else {
		void *m = map_arg(x, r2, 2, NULL, NULL);
		target = ops(x)->prog_array_get ? ops(x)->prog_array_get(m, (uint32_t)r3) : NULL;
	}
	if (!target || x->tail_calls >= RT_MAX_TAIL_CALLS || atomic_load_explicit(&target->state, memory_order_relaxed) != BPFTIME_PROG_ENABLED)
		return RET_ERR(ENOENT);
	x->tail_calls++;
	x->tail_target = target;
	RT_CTL(x) = RT_CTL_TAIL_CALL;
	return 0;
}
