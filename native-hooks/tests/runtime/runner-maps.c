/* The runner's session: a segment created inside the runtime's guest window (a unique name, unlinked at the end), the
 * maps of --maps created in it, and their contents printed at the end.
 *
 * --maps is a ';'-separated list in the object's map order: name,type,key_size,value_size,max_entries,flags[,init]
 * where init is the hex value of key 0 (global data sections). Perf event arrays are opened (so output works) and
 * read at the end with the ring buffers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpftime_maps.h"
#include "runner.h"

#define MAX_RUNNER_MAPS 64
#define BPF_MAP_TYPE_PROG_ARRAY_ 3u

struct runner_maps {
	struct bpftime_seg *seg;
	struct bpftime_runtime *rt;
	uint32_t n;
	uint32_t ids[MAX_RUNNER_MAPS];
	char names[MAX_RUNNER_MAPS][32];
	struct bpftime_prog_map refs[MAX_RUNNER_MAPS];
};

static int create_map(struct runner_maps *m, char *def, char *err)
{
	char *save = NULL, *f[7] = { 0 };
	int k = 0;
	for (char *tok = strtok_r(def, ",", &save); tok && k < 7; tok = strtok_r(NULL, ",", &save)) f[k++] = tok;
	if (k < 6) return snprintf(err, BPFTIME_ERR_LEN, "--maps: bad entry"), -1;
	struct bpftime_map_spec spec = {
		.name = f[0], .type = (uint32_t)atoi(f[1]), .key_size = (uint32_t)atoi(f[2]), .value_size = (uint32_t)atoi(f[3]),
		.max_entries = (uint32_t)atoi(f[4]), .flags = (uint32_t)strtoul(f[5], NULL, 0), .spin_lock_off = -1,
	};
	if (spec.type == BPF_MAP_TYPE_PROG_ARRAY_) {
		/* Program arrays are the runtime's (bpftime_runtime_prog_array_create); --prog-array fills them. */
		uint64_t handle;
		if (bpftime_runtime_prog_array_create(m->rt, spec.max_entries, &handle) != 0) return snprintf(err, BPFTIME_ERR_LEN, "--maps: %s: program array", f[0]), -1;
		m->ids[m->n] = 0;
		snprintf(m->names[m->n], sizeof(m->names[0]), "%s", f[0]);
		m->refs[m->n++] = (struct bpftime_prog_map){ handle, 0 };
		return 0;
	}
	if (spec.type == BPFTIME_MAP_PERF_EVENT_ARRAY && spec.max_entries == 0) spec.max_entries = (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
	char why[BPFTIME_ERR_LEN];
	int id = bpftime_map_create(m->seg, &spec, why, sizeof(why));
	if (id == -EOPNOTSUPP) {
		/* A type the segment lacks (queue, prog_array...): programs that use it fail to load, the others run. */
		m->ids[m->n] = 0;
		snprintf(m->names[m->n], sizeof(m->names[0]), "%s", f[0]);
		m->refs[m->n++] = (struct bpftime_prog_map){ 0, 0 };
		return 0;
	}
	if (id < 0) return snprintf(err, BPFTIME_ERR_LEN, "--maps: %s: %s", f[0], why), -1;
	struct bpftime_map *map = bpftime_seg_map(m->seg, (uint32_t)id);
	if (f[6] && *f[6]) {
		size_t n = strlen(f[6]) / 2;
		uint8_t *v = calloc(n + spec.value_size, 1);
		for (size_t i = 0; i < n; i++) sscanf(f[6] + 2 * i, "%2hhx", &v[i]);
		uint32_t key = 0;
		int e = bpftime_map_update_user(map, &key, v, spec.value_size, 0);
		free(v);
		if (e != 0) return snprintf(err, BPFTIME_ERR_LEN, "--maps: %s: initial value: %s", f[0], strerror(-e)), -1;
	}
	if (spec.type == BPFTIME_MAP_PERF_EVENT_ARRAY) bpftime_perf_open(map);
	m->ids[m->n] = (uint32_t)id;
	snprintf(m->names[m->n], sizeof(m->names[0]), "%s", f[0]);
	m->refs[m->n] = bpftime_runtime_map_ref(m->rt, (uint32_t)id);
	m->n++;
	return 0;
}

int runner_maps_setup(struct bpftime_runtime *rt, uint64_t seg_size, const char *spec, struct runner_maps **out, struct bpftime_map_ops *ops, char *err)
{
	(void)ops;
	struct runner_maps *m = calloc(1, sizeof(*m));
	m->rt = rt;
	char name[64], why[BPFTIME_ERR_LEN];
	snprintf(name, sizeof(name), "/bpftime-runner-%d", (int)getpid());
	struct bpftime_seg_opts so = { .size = seg_size, .owner_uid = -1, .map_at = bpftime_runtime_segment_addr(rt) };
	if (bpftime_seg_create(name, &so, &m->seg, why, sizeof(why)) < 0) return snprintf(err, BPFTIME_ERR_LEN, "segment: %s", why), -1;
	bpftime_seg_unlink(m->seg); /* nothing else opens it; the mapping lives on */
	if (bpftime_runtime_use_segment(rt, m->seg, err) != 0) return -1;
	if (spec) {
		char *copy = strdup(spec), *save = NULL;
		for (char *def = strtok_r(copy, ";", &save); def; def = strtok_r(NULL, ";", &save)) {
			if (m->n == MAX_RUNNER_MAPS || create_map(m, def, err) != 0) return free(copy), -1;
		}
		free(copy);
	}
	if (bpftime_runtime_add_map_regions(rt) != 0) return snprintf(err, BPFTIME_ERR_LEN, "map regions"), -1;
	*out = m;
	return 0;
}

uint64_t runner_maps_handle(struct runner_maps *m, uint32_t index)
{
	return index < m->n ? m->refs[index].handle : 0;
}

void runner_maps_refs(struct runner_maps *m, struct bpftime_prog_opts *po)
{
	po->maps = m->refs;
	po->nmaps = m->n;
}

static void hex(const void *p, size_t n)
{
	printf("\"");
	for (size_t i = 0; i < n; i++) printf("%02x", ((const uint8_t *)p)[i]);
	printf("\"");
}

static int print_record(void *ctx, const void *data, uint32_t size)
{
	printf("%s", *(int *)ctx ? ", " : "");
	*(int *)ctx = 1;
	hex(data, size);
	return 0;
}

static int print_sample(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
	printf("%s{\"cpu\": %u, \"data\": ", *(int *)ctx ? ", " : "", cpu);
	*(int *)ctx = 1;
	hex(data, size);
	printf("}");
	return 0;
}

/* dump prints a map: entries for hash and array maps (user-side values), records for rings and perf arrays. */
static void dump(struct runner_maps *m, uint32_t i, uint32_t shown)
{
	struct bpftime_map *map = bpftime_seg_map(m->seg, m->ids[i]);
	const struct bpftime_map_def *d = bpftime_map_def(map);
	printf("%s{\"name\": ", shown ? ", " : "");
	runner_json_string(stdout, m->names[i], strlen(m->names[i]));
	printf(", \"type\": %u, \"ncpus\": %u", d->type, bpftime_map_ncpus(map));
	int first = 0;
	if (d->type == BPFTIME_MAP_RINGBUF) {
		printf(", \"records\": [");
		bpftime_ringbuf_consume(map, print_record, &first, 0);
		printf("]}");
		return;
	}
	if (d->type == BPFTIME_MAP_PERF_EVENT_ARRAY) {
		printf(", \"samples\": [");
		bpftime_perf_consume(map, print_sample, &first);
		printf("]}");
		return;
	}
	uint32_t vs = bpftime_map_user_value_size(map);
	uint8_t *key = calloc(d->key_size + 1, 1), *next = calloc(d->key_size + 1, 1), *value = calloc(vs + 1, 1);
	printf(", \"entries\": [");
	const void *prev = NULL;
	while (bpftime_map_get_next_key(map, prev, next) == 0) {
		memcpy(key, next, d->key_size);
		prev = key;
		if (bpftime_map_lookup_user(map, key, value) != 0) continue;
		printf("%s[", first ? ", " : "");
		first = 1;
		hex(key, d->key_size);
		printf(", ");
		hex(value, vs);
		printf("]");
	}
	printf("]}");
	free(key), free(next), free(value);
}

void runner_maps_dump(struct runner_maps *m)
{
	printf("{\"maps\": [");
	for (uint32_t i = 0, shown = 0; i < m->n; i++)
		if (m->ids[i]) dump(m, i, shown++);
	printf("]}\n");
}

uint32_t runner_maps_seg_prog(struct runner_maps *m, const char *name)
{
	struct bpftime_prog_entry e;
	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.enabled = 1;
	char why[BPFTIME_ERR_LEN];
	int id = bpftime_prog_add(m->seg, &e, why, sizeof(why));
	return id > 0 ? (uint32_t)id : 0;
}

static int print_log(void *ctx, const struct bpftime_log_rec *rec, const char *text, uint32_t len)
{
	printf("%s{\"kind\": %u, \"prog\": %u, \"tid\": %u, \"text\": ", *(int *)ctx ? ", " : "", rec->kind, rec->prog_id, rec->tid);
	*(int *)ctx = 1;
	runner_json_string(stdout, text, len);
	printf("}");
	return 0;
}

void runner_maps_seg_report(struct runner_maps *m, uint32_t prog_id)
{
	int first = 0;
	printf("{\"seg\": {\"log\": [");
	bpftime_log_read(m->seg, print_log, &first, 0);
	const struct bpftime_prog_entry *p = bpftime_prog_get(m->seg, prog_id);
	printf("], \"prog\": {\"enabled\": %u, \"fault\": %u, \"fault_pc\": %u, \"fault_msg\": ", p ? p->enabled : 0, p ? p->fault : 0, p ? p->fault_pc : 0);
	runner_json_string(stdout, p ? p->fault_msg : "", p ? strnlen(p->fault_msg, sizeof(p->fault_msg)) : 0);
	printf("}}}\n");
}

void runner_maps_free(struct runner_maps *m)
{
	if (!m) return;
	bpftime_seg_close(m->seg);
	bpftime_runtime_segment_unmapped(m->rt);
	free(m);
}
