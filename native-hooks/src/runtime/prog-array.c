/* Program arrays (bpf_tail_call's maps): kept by the runtime, since they hold loaded programs of this process, not
 * data in the segment. Slots are atomic pointers, so the agent may change them while programs run. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int bpftime_runtime_prog_array_create(struct bpftime_runtime *rt, uint32_t max_entries, uint64_t *handle)
{
	if (max_entries == 0) return -EINVAL;
	pthread_mutex_lock(&rt->lock);
	int e = 0;
	if (rt->nprog_arrays == BPFTIME_MAX_PROG_ARRAYS) e = -ENOSPC;
	else {
		struct rt_prog_array *a = &rt->prog_arrays[rt->nprog_arrays];
		a->slots = calloc(max_entries, sizeof(*a->slots));
		if (!a->slots) e = -ENOMEM;
		else {
			a->max_entries = max_entries;
			*handle = RT_PROG_ARRAY_HANDLE_BASE + rt->nprog_arrays++;
		}
	}
	pthread_mutex_unlock(&rt->lock);
	return e;
}

struct rt_prog_array *rt_prog_array(struct bpftime_runtime *rt, uint64_t handle)
{
	uint64_t i = handle - RT_PROG_ARRAY_HANDLE_BASE;
	return handle >= RT_PROG_ARRAY_HANDLE_BASE && i < BPFTIME_MAX_PROG_ARRAYS && rt->prog_arrays[i].slots ? &rt->prog_arrays[i] : NULL;
}

int bpftime_runtime_prog_array_set(struct bpftime_runtime *rt, uint64_t handle, uint32_t index, struct bpftime_prog *prog)
{
	struct rt_prog_array *a = rt_prog_array(rt, handle);
	if (!a) return -ENOENT;
	if (index >= a->max_entries) return -E2BIG;
	atomic_store_explicit(&a->slots[index], prog, memory_order_release);
	return 0;
}

/* rt_prog_arrays_forget takes an unloaded program out of every array. */
void rt_prog_arrays_forget(struct bpftime_runtime *rt, struct bpftime_prog *p)
{
	for (uint32_t i = 0; i < rt->nprog_arrays; i++)
		for (uint32_t k = 0; k < rt->prog_arrays[i].max_entries; k++)
			if (atomic_load(&rt->prog_arrays[i].slots[k]) == p) atomic_store(&rt->prog_arrays[i].slots[k], NULL);
}

void rt_prog_arrays_free(struct bpftime_runtime *rt)
{
	for (uint32_t i = 0; i < rt->nprog_arrays; i++) free(rt->prog_arrays[i].slots);
	rt->nprog_arrays = 0;
}
