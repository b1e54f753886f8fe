/* The runtime over a session's segment (bpftime_shm.h, bpftime_maps.h): map helpers reach the segment's maps (a
 * program's map handle is the map's table id), trace_printk lines and runtime messages go to the segment's log ring,
 * a trap disables the program in the segment's program table too, and the maps' program-visible storage becomes
 * regions that refills accept. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpftime_maps.h"
#include "internal.h"

static void *resolve(void *seg, uint64_t handle, uint32_t *key_size, uint32_t *value_size)
{
	struct bpftime_map *m = handle <= BPFTIME_MAX_MAPS ? bpftime_seg_map(seg, (uint32_t)handle) : NULL;
	if (!m) return NULL;
	*key_size = bpftime_map_def(m)->key_size;
	*value_size = bpftime_map_def(m)->value_size;
	return m;
}

static void *lookup(void *m, const void *key) { return bpftime_map_lookup_elem(m, key); }
static void *lookup_percpu(void *m, const void *key, uint32_t cpu) { return bpftime_map_lookup_percpu_elem(m, key, cpu); }
static long update(void *m, const void *key, const void *value, uint64_t flags) { return bpftime_map_update_elem(m, key, value, flags); }
static long delete_elem(void *m, const void *key) { return bpftime_map_delete_elem(m, key); }
static void *ringbuf_reserve(void *m, uint64_t size, uint64_t flags) { return bpftime_ringbuf_reserve(m, size, flags); }
static long ringbuf_output(void *m, const void *data, uint64_t size, uint64_t flags) { return bpftime_ringbuf_output(m, data, size, flags); }
static uint64_t ringbuf_query(void *m, uint64_t flags) { return bpftime_ringbuf_query(m, flags); }
static long perf_output(void *m, uint64_t flags, const void *data, uint64_t size) { return bpftime_perf_event_output(m, flags, data, size); }

static void ringbuf_commit(void *record, uint64_t flags, int discard)
{
	if (discard) bpftime_ringbuf_discard(record, flags);
	else bpftime_ringbuf_submit(record, flags);
}

static void seg_log(void *seg, enum bpftime_log_kind level, const char *line)
{
	bpftime_log(seg, level, 0, line, strlen(line));
}

static void seg_printk(void *seg, const struct bpftime_prog *prog, const char *line, size_t len)
{
	bpftime_log(seg, BPFTIME_LOG_TRACE, prog->seg_prog_id, line, len);
}

int bpftime_runtime_use_segment(struct bpftime_runtime *rt, struct bpftime_seg *seg, char err[BPFTIME_ERR_LEN])
{
	if (bpftime_seg_base(seg) != bpftime_runtime_segment_addr(rt)) {
		snprintf(err, BPFTIME_ERR_LEN, "use the segment: it is mapped at %p, not at the guest window %p (open it with map_at)", bpftime_seg_base(seg), bpftime_runtime_segment_addr(rt));
		return -EINVAL;
	}
	int e = bpftime_runtime_segment_mapped(rt, bpftime_seg_size(seg));
	if (e != 0) {
		snprintf(err, BPFTIME_ERR_LEN, "use the segment: size %llu is not usable", (unsigned long long)bpftime_seg_size(seg));
		return e;
	}
	rt->seg = seg;
	rt->maps = (struct bpftime_map_ops){ .resolve = resolve, .lookup = lookup, .lookup_percpu = lookup_percpu, .update = update,
		.delete_elem = delete_elem, .ringbuf_reserve = ringbuf_reserve, .ringbuf_commit = ringbuf_commit, .ringbuf_output = ringbuf_output,
		.ringbuf_query = ringbuf_query, .perf_output = perf_output, .prog_array_get = rt->maps.prog_array_get, .arg = seg };
	memset(rt->map_cache, 0, sizeof(rt->map_cache));
	if (!rt->custom_log) rt->opts.log = seg_log, rt->opts.log_arg = seg;
	if (!rt->custom_printk) rt->opts.printk = seg_printk, rt->opts.printk_arg = seg;
	return bpftime_runtime_add_map_regions(rt);
}

int bpftime_runtime_add_map_regions(struct bpftime_runtime *rt)
{
	if (!rt->seg) return -EINVAL;
	for (uint32_t id = 1; id <= BPFTIME_MAX_MAPS; id++) {
		if (rt->map_regions[id - 1]) continue;
		struct bpftime_map *m = bpftime_seg_map(rt->seg, id);
		if (!m) continue;
		const struct bpftime_map_def *d = bpftime_map_def(m);
		uint64_t start, end;
		uint32_t stride = 0, open = 0;
		if (d->type == BPFTIME_MAP_ARRAY || d->type == BPFTIME_MAP_PERCPU_ARRAY) {
			start = d->u.array.values_off;
			end = start + (uint64_t)d->max_entries * d->u.array.elem_size;
		} else if (d->type == BPFTIME_MAP_HASH || d->type == BPFTIME_MAP_PERCPU_HASH || d->type == BPFTIME_MAP_LRU_HASH || d->type == BPFTIME_MAP_LRU_PERCPU_HASH) {
			/* max_entries elements: a header and the key, which programs may not touch, then the value(s). */
			start = d->u.htab.elems_off;
			end = start + (uint64_t)d->max_entries * d->u.htab.elem_size;
			stride = d->u.htab.elem_size;
			open = (uint32_t)sizeof(struct bpftime_htab_elem) + d->u.htab.key_stride;
		} else {
			rt->map_regions[id - 1] = 1; /* rings: records are per run (helpers-maps.c); perf arrays: nothing */
			continue;
		}
		unsigned flags = BPFTIME_REGION_READ | ((d->flags & BPFTIME_F_RDONLY_PROG) ? 0 : BPFTIME_REGION_WRITE);
		char name[BPFTIME_MAP_NAME_LEN + 8];
		snprintf(name, sizeof(name), "map %.*s", (int)BPFTIME_MAP_NAME_LEN, d->name);
		int e = end > start ? rt_region_add(rt, BPFTIME_SEG_GUEST_BASE + start, end - start, flags, name, stride, open) : 0;
		if (e != 0 && e != -EEXIST) return e;
		rt->map_regions[id - 1] = 1;
	}
	return 0;
}

struct bpftime_prog_map bpftime_runtime_map_ref(struct bpftime_runtime *rt, uint32_t id)
{
	struct bpftime_prog_map ref = { 0, 0 };
	struct bpftime_map *m = rt->seg ? bpftime_seg_map(rt->seg, id) : NULL;
	if (!m) return ref;
	const struct bpftime_map_def *d = bpftime_map_def(m);
	ref.handle = id;
	if (d->type == BPFTIME_MAP_ARRAY || d->type == BPFTIME_MAP_PERCPU_ARRAY) ref.value_guest = BPFTIME_SEG_GUEST_BASE + d->u.array.values_off;
	return ref;
}

/* rt_seg_fault records a trap in the segment's program table. */
void rt_seg_fault(struct bpftime_prog *p, uint32_t kind, uint32_t pc, const char *msg)
{
	struct bpftime_runtime *rt = p->rt;
	if (!rt->seg || p->seg_prog_id == 0) return;
	enum bpftime_fault f = kind == 0 ? BPFTIME_FAULT_MEMORY
		: kind == BPFTIME_TRAP_BUDGET ? BPFTIME_FAULT_BUDGET
		: kind == BPFTIME_TRAP_CALL_DEPTH ? BPFTIME_FAULT_CALL_DEPTH
		: kind == BPFTIME_TRAP_HELPER ? BPFTIME_FAULT_HELPER
		: BPFTIME_FAULT_TRAP;
	bpftime_prog_fault(rt->seg, p->seg_prog_id, f, pc, msg);
}
