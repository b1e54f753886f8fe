/*
 * Addon: maps (user side, bpf() syscall semantics), ring buffer and perf buffer consumers, and the producers
 * (program side) for tests and tools. Element operations return 0 or -errno; creation throws.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

/* mapCreate(handle, {name, type, keySize, valueSize, maxEntries, flags?, spinLockOff?, perfPages?, ...}) -> id */
static napi_value js_map_create(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_seg *seg;
	char name[BPFTIME_MAP_NAME_LEN * 4] = "", err[512] = "";
	int64_t lock = -1;
	struct bpftime_map_spec s = {.name = name};
	if (args(env, info, 2, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0 ||
	    opt_str(env, argv[1], "name", name, sizeof(name)) < 0 || opt_u32(env, argv[1], "type", &s.type) < 0 ||
	    opt_u32(env, argv[1], "keySize", &s.key_size) < 0 || opt_u32(env, argv[1], "valueSize", &s.value_size) < 0 ||
	    opt_u32(env, argv[1], "maxEntries", &s.max_entries) < 0 || opt_u32(env, argv[1], "flags", &s.flags) < 0 ||
	    opt_i64(env, argv[1], "spinLockOff", &lock) < 0 || opt_u32(env, argv[1], "perfPages", &s.perf_pages) < 0 ||
	    opt_u32(env, argv[1], "btfKeyTypeId", &s.btf_key_type_id) < 0 ||
	    opt_u32(env, argv[1], "btfValueTypeId", &s.btf_value_type_id) < 0)
		return NULL;
	s.spin_lock_off = lock < 0 || lock > INT32_MAX ? -1 : (int32_t)lock;
	int id = bpftime_map_create(seg, &s, err, sizeof(err));
	return id < 0 ? throw_errno(env, id, err) : num(env, id);
}

static napi_value map_info(napi_env env, struct bpftime_seg *seg, struct bpftime_map *m)
{
	const struct bpftime_map_def *d = bpftime_map_def(m);
	napi_value o = new_object(env);
	set(env, o, "id", num(env, d->id));
	set(env, o, "name", str(env, d->name, strnlen(d->name, sizeof(d->name))));
	set(env, o, "type", num(env, d->type));
	set(env, o, "keySize", num(env, d->key_size));
	set(env, o, "valueSize", num(env, d->value_size));
	set(env, o, "maxEntries", num(env, d->max_entries));
	set(env, o, "flags", num(env, d->flags));
	set(env, o, "ncpus", num(env, d->ncpus));
	set(env, o, "spinLockOff", num(env, d->spin_lock_off));
	set(env, o, "userValueSize", num(env, bpftime_map_user_value_size(m)));
	set(env, o, "storageOff", num(env, (double)d->storage_off));
	set(env, o, "storageSize", num(env, (double)d->storage_size));
	set(env, o, "count", num(env, (double)bpftime_map_count(m)));
	if (d->type == BPFTIME_MAP_RINGBUF) {
		const struct bpftime_ringbuf *rb =
			(const struct bpftime_ringbuf *)((const uint8_t *)bpftime_seg_base(seg) + d->storage_off);
		set(env, o, "wakeups", num(env, (double)__atomic_load_n(&rb->wakeups, __ATOMIC_RELAXED)));
		set(env, o, "reclaimed", num(env, (double)__atomic_load_n(&rb->reclaimed, __ATOMIC_RELAXED)));
	} else if (d->type == BPFTIME_MAP_PERF_EVENT_ARRAY) {
		set(env, o, "lost", num(env, (double)bpftime_perf_lost(m, UINT32_MAX)));
	}
	return o;
}

/* mapInfo(handle, id) -> the map's table entry and element count. */
static napi_value js_map_info(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_seg *seg;
	struct bpftime_map *m;
	if (args(env, info, 2, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0 || arg_map(env, seg, argv[1], &m) < 0)
		return NULL;
	return map_info(env, seg, m);
}

/* maps(handle) -> info of every map, by id. */
static napi_value js_maps(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS], out;
	struct bpftime_seg *seg;
	if (args(env, info, 1, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0)
		return NULL;
	napi_create_array(env, &out);
	uint32_t n = 0;
	for (uint32_t id = 1; id <= BPFTIME_MAX_MAPS; id++) {
		struct bpftime_map *m = bpftime_seg_map(seg, id);
		if (m != NULL)
			napi_set_element(env, out, n++, map_info(env, seg, m));
	}
	return out;
}

/* map_args reads (handle, id, ...). */
static int map_args(napi_env env, napi_callback_info info, size_t min, napi_value *argv, struct bpftime_map **m)
{
	struct bpftime_seg *seg;
	if (args(env, info, min, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0 || arg_map(env, seg, argv[1], m) < 0)
		return -1;
	return 0;
}

/* key_args reads (handle, id, key | null, ...) and checks the key's size; a null key is NULL. */
static int key_args(napi_env env, napi_callback_info info, size_t min, napi_value *argv, struct bpftime_map **m,
		    void **key)
{
	size_t len;
	if (map_args(env, info, min, argv, m) < 0)
		return -1;
	napi_valuetype t;
	napi_typeof(env, argv[2], &t);
	if (t == napi_null || t == napi_undefined) {
		*key = NULL;
		return 0;
	}
	if (arg_bytes(env, argv[2], "key", key, &len) < 0)
		return -1;
	if (len != bpftime_map_def(*m)->key_size) {
		throw_errno(env, -EINVAL, "key size differs from the map's");
		return -1;
	}
	return 0;
}

/* out_buffer checks that argv is a Uint8Array of exactly `size` bytes. */
static int out_buffer(napi_env env, napi_value v, const char *what, uint32_t size, void **data)
{
	size_t len;
	if (arg_bytes(env, v, what, data, &len) < 0)
		return -1;
	if (len != size) {
		throw_errno(env, -EINVAL, "output buffer size differs from the map's");
		return -1;
	}
	return 0;
}

/* mapLookup(handle, id, key, out) -> 0 | -errno; out receives the user-side value. */
static napi_value js_map_lookup(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	void *key, *out;
	if (key_args(env, info, 4, argv, &m, &key) < 0 ||
	    out_buffer(env, argv[3], "value", bpftime_map_user_value_size(m), &out) < 0)
		return NULL;
	return num(env, key == NULL ? -EINVAL : bpftime_map_lookup_user(m, key, out));
}

/* mapUpdate(handle, id, key, value, flags) -> 0 | -errno */
static napi_value js_map_update(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	void *key, *value;
	size_t len;
	uint64_t flags = 0;
	if (key_args(env, info, 4, argv, &m, &key) < 0 || arg_bytes(env, argv[3], "value", &value, &len) < 0)
		return NULL;
	if (maybe_u64(env, argv[4], "flags", &flags) < 0)
		return NULL;
	if (key == NULL)
		return num(env, -EINVAL);
	return num(env, bpftime_map_update_user(m, key, value, (uint32_t)len, flags));
}

/* mapDelete(handle, id, key) -> 0 | -errno */
static napi_value js_map_delete(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	void *key;
	if (key_args(env, info, 3, argv, &m, &key) < 0)
		return NULL;
	return num(env, key == NULL ? -EINVAL : bpftime_map_delete_user(m, key));
}

/* mapNextKey(handle, id, key | null, out) -> 0 | -errno */
static napi_value js_map_next_key(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	void *key, *out;
	if (key_args(env, info, 4, argv, &m, &key) < 0 ||
	    out_buffer(env, argv[3], "next key", bpftime_map_def(m)->key_size, &out) < 0)
		return NULL;
	return num(env, bpftime_map_get_next_key(m, key, out));
}

/* mapEntries(handle, id) -> [[key, value], ...] in iteration order (a key deleted meanwhile is skipped). */
static napi_value js_map_entries(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS], out;
	struct bpftime_map *m;
	if (map_args(env, info, 2, argv, &m) < 0)
		return NULL;
	uint32_t ks = bpftime_map_def(m)->key_size, vs = bpftime_map_user_value_size(m);
	uint8_t *buf = malloc((size_t)ks * 2 + vs);
	if (buf == NULL)
		return throw_errno(env, -ENOMEM, "out of memory");
	uint8_t *key = buf, *next = buf + ks, *value = buf + 2 * ks;
	napi_create_array(env, &out);
	/* Bounded: under concurrent deletes an absent key restarts the walk, as the kernel's iteration does. */
	uint64_t n = 0, steps = 0, limit = 2ull * bpftime_map_def(m)->max_entries + 2;
	for (int r = bpftime_map_get_next_key(m, NULL, next); r == 0 && steps < limit;
	     r = bpftime_map_get_next_key(m, key, next), steps++) {
		memcpy(key, next, ks);
		if (bpftime_map_lookup_user(m, key, value) != 0)
			continue;
		napi_value pair;
		napi_create_array_with_length(env, 2, &pair);
		napi_set_element(env, pair, 0, copy_bytes(env, key, ks));
		napi_set_element(env, pair, 1, copy_bytes(env, value, vs));
		napi_set_element(env, out, (uint32_t)n++, pair);
	}
	free(buf);
	return out;
}

struct collect {
	napi_env env;
	napi_value out;
	uint32_t n;
};

static int ring_record(void *ctx, const void *data, uint32_t size)
{
	struct collect *c = ctx;
	napi_set_element(c->env, c->out, c->n++, copy_bytes(c->env, data, size));
	return 0;
}

/* ringbufConsume(handle, id, max?) -> [Uint8Array], consumed in order. */
static napi_value js_ringbuf_consume(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	uint32_t max = 0;
	if (map_args(env, info, 2, argv, &m) < 0)
		return NULL;
	if (maybe_u32(env, argv[2], "max", &max) < 0)
		return NULL;
	struct collect c = {env, NULL, 0};
	napi_create_array(env, &c.out);
	int r = bpftime_ringbuf_consume(m, ring_record, &c, max);
	return r < 0 ? throw_errno(env, r, "not a ring buffer") : c.out;
}

/* ringbufOutput(handle, id, data, flags?) -> 0 | -errno (bpf_ringbuf_output). */
static napi_value js_ringbuf_output(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	void *data;
	size_t len;
	uint64_t flags = 0;
	if (map_args(env, info, 3, argv, &m) < 0 || arg_bytes(env, argv[2], "data", &data, &len) < 0)
		return NULL;
	if (maybe_u64(env, argv[3], "flags", &flags) < 0)
		return NULL;
	return num(env, (double)bpftime_ringbuf_output(m, data, len, flags));
}

/* ringbufQuery(handle, id, flags) -> bpf_ringbuf_query's answer. */
static napi_value js_ringbuf_query(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	uint64_t flags;
	if (map_args(env, info, 3, argv, &m) < 0 || arg_u64(env, argv[2], "flags", &flags) < 0)
		return NULL;
	return num(env, (double)bpftime_ringbuf_query(m, flags));
}

static int perf_record(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
	struct collect *c = ctx;
	napi_value o = new_object(c->env);
	set(c->env, o, "cpu", num(c->env, cpu));
	set(c->env, o, "data", copy_bytes(c->env, data, size));
	napi_set_element(c->env, c->out, c->n++, o);
	return 0;
}

/* perf(handle, id, op, ...): "open", "close", "consume" -> [{cpu, data}], "lost" (cpu?), "output" (flags, data). */
static napi_value js_perf(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_map *m;
	char op[16];
	if (map_args(env, info, 3, argv, &m) < 0 || arg_str(env, argv[2], "operation", op, sizeof(op)) < 0)
		return NULL;
	if (strcmp(op, "open") == 0 || strcmp(op, "close") == 0) {
		int r = op[0] == 'o' ? bpftime_perf_open(m) : bpftime_perf_close(m);
		return r < 0 ? throw_errno(env, r, "not a perf event array") : undefined(env);
	}
	if (strcmp(op, "consume") == 0) {
		struct collect c = {env, NULL, 0};
		napi_create_array(env, &c.out);
		int r = bpftime_perf_consume(m, perf_record, &c);
		return r < 0 ? throw_errno(env, r, "not a perf event array") : c.out;
	}
	if (strcmp(op, "lost") == 0) {
		uint32_t cpu = UINT32_MAX;
		if (maybe_u32(env, argv[3], "cpu", &cpu) < 0)
			return NULL;
		return num(env, (double)bpftime_perf_lost(m, cpu));
	}
	if (strcmp(op, "output") == 0) {
		uint64_t flags;
		void *data;
		size_t len;
		if (arg_u64(env, argv[3], "flags", &flags) < 0 || arg_bytes(env, argv[4], "data", &data, &len) < 0)
			return NULL;
		return num(env, (double)bpftime_perf_event_output(m, flags, data, len));
	}
	return throw_errno(env, -EINVAL, "unknown perf operation");
}

void register_maps(napi_env env, napi_value exports)
{
	export_fn(env, exports, "mapCreate", js_map_create);
	export_fn(env, exports, "mapInfo", js_map_info);
	export_fn(env, exports, "maps", js_maps);
	export_fn(env, exports, "mapLookup", js_map_lookup);
	export_fn(env, exports, "mapUpdate", js_map_update);
	export_fn(env, exports, "mapDelete", js_map_delete);
	export_fn(env, exports, "mapNextKey", js_map_next_key);
	export_fn(env, exports, "mapEntries", js_map_entries);
	export_fn(env, exports, "ringbufConsume", js_ringbuf_consume);
	export_fn(env, exports, "ringbufOutput", js_ringbuf_output);
	export_fn(env, exports, "ringbufQuery", js_ringbuf_query);
	export_fn(env, exports, "perf", js_perf);
}
