/* Map helpers (src/helpers/kernel/map-helpers.ts, output-helpers.ts) over the session's maps, reached through the
 * map operations the agent gives the runtime (struct bpftime_map_ops: the shm map API). Keys, values and records
 * are guest addresses, translated after their bounds are checked; a map value returned by a lookup is the guest
 * address of the bytes in the segment. A ring buffer record a run reserved is accessible to that run only, until it
 * submits or discards it (submit and discard make the module forget its cached bounds). */
#include <errno.h>
#include <sched.h>

#include "helpers.h"

#define BPF_F_CURRENT_CPU 0xffffffffull

static const struct bpftime_map_ops *ops(struct bpftime_exec *x)
{
	return &x->th->rt->maps;
}

/* map_sizes checks that the handle names a map and returns its key and value sizes. */
static void map_sizes(struct bpftime_exec *x, uint64_t handle, int arg, uint32_t *key, uint32_t *value)
{
	const struct bpftime_map_ops *m = ops(x);
	uint32_t ks = m->key_size ? m->key_size(m->arg, handle) : 0;
	uint32_t vs = m->value_size ? m->value_size(m->arg, handle) : 0;
	if (ks == 0 && vs == 0) rt_helper_fault(x, "argument r%d = 0x%llx is not a map", arg, (unsigned long long)handle);
	if (key) *key = ks;
	if (value) *value = vs;
}

static uint64_t to_guest(struct bpftime_exec *x, void *host)
{
	return host ? (uint64_t)((uint8_t *)host - x->th->rt->guest) : 0;
}

static uint32_t cpu_now(void)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (uint32_t)cpu;
}

HELPER(map_lookup_elem)
{
	uint32_t ks;
	map_sizes(x, r1, 1, &ks, NULL);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	if (!ops(x)->lookup) return 0;
	return to_guest(x, ops(x)->lookup(ops(x)->arg, r1, key, cpu_now()));
}

HELPER(map_lookup_percpu_elem)
{
	uint32_t ks;
	map_sizes(x, r1, 1, &ks, NULL);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	if (!ops(x)->lookup_percpu) return 0;
	return to_guest(x, ops(x)->lookup_percpu(ops(x)->arg, r1, key, (uint32_t)r3));
}

HELPER(map_update_elem)
{
	uint32_t ks, vs;
	map_sizes(x, r1, 1, &ks, &vs);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	const void *value = rt_guest_ptr(x, r3, vs, 0);
	if (!ops(x)->update) return RET_ERR(EINVAL);
	return (uint64_t)ops(x)->update(ops(x)->arg, r1, key, value, r4, cpu_now());
}

HELPER(map_delete_elem)
{
	uint32_t ks;
	map_sizes(x, r1, 1, &ks, NULL);
	const void *key = rt_guest_ptr(x, r2, ks, 0);
	if (!ops(x)->delete_elem) return RET_ERR(EINVAL);
	return (uint64_t)ops(x)->delete_elem(ops(x)->arg, r1, key);
}

HELPER(ringbuf_output)
{
	map_sizes(x, r1, 1, NULL, NULL);
	const void *data = rt_guest_ptr(x, r2, r3, 0);
	if (!ops(x)->ringbuf_output) return RET_ERR(EINVAL);
	return (uint64_t)ops(x)->ringbuf_output(ops(x)->arg, r1, data, r3, r4);
}

HELPER(ringbuf_reserve)
{
	map_sizes(x, r1, 1, NULL, NULL);
	struct rt_thread *t = x->th;
	if (!ops(x)->ringbuf_reserve || t->nrecords == RT_MAX_RECORDS) return 0;
	void *rec = ops(x)->ringbuf_reserve(ops(x)->arg, r1, r2, r3);
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
		ops(x)->ringbuf_commit(ops(x)->arg, t->rt->guest + sample, flags, discard);
		RT_CTL(x) = RT_CTL_REGIONS;
		return 0;
	}
	rt_helper_fault(x, "0x%llx is not a sample reserved in a ring buffer", (unsigned long long)sample);
}

HELPER(ringbuf_submit) { return commit(x, r1, r2, 0); }
HELPER(ringbuf_discard) { return commit(x, r1, r2, 1); }

HELPER(ringbuf_query)
{
	map_sizes(x, r1, 1, NULL, NULL);
	return ops(x)->ringbuf_query ? ops(x)->ringbuf_query(ops(x)->arg, r1, r2) : 0;
}

HELPER(perf_event_output)
{
	map_sizes(x, r2, 2, NULL, NULL);
	const void *data = rt_guest_ptr(x, r4, r5, 0);
	if (!ops(x)->perf_output) return RET_ERR(EINVAL);
	uint32_t cpu = (r3 & BPF_F_CURRENT_CPU) == BPF_F_CURRENT_CPU ? cpu_now() : (uint32_t)r3;
	return (uint64_t)ops(x)->perf_output(ops(x)->arg, r2, r3, cpu, data, r5);
}

/* bpf_tail_call: choose the target; the module then calls bpf.tail_call (rt_tail_call), which runs it. */
HELPER(tail_call)
{
	map_sizes(x, r2, 2, NULL, NULL);
	struct bpftime_prog *target = ops(x)->prog_array_get ? ops(x)->prog_array_get(ops(x)->arg, r2, (uint32_t)r3) : NULL;
	if (!target || x->tail_calls >= RT_MAX_TAIL_CALLS || atomic_load_explicit(&target->state, memory_order_relaxed) != BPFTIME_PROG_ENABLED)
		return RET_ERR(ENOENT);
	x->tail_calls++;
	x->tail_target = target;
	RT_CTL(x) = RT_CTL_TAIL_CALL;
	return 0;
}
