/* Addon: opening, creating, closing and describing a segment; the log ring. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

static const struct enum_name seg_states[] = {
	{BPFTIME_SEG_INITIALIZING, "initializing"},
	{BPFTIME_SEG_READY, "ready"},
	{BPFTIME_SEG_ENDED, "ended"},
	{0, NULL},
};

static const struct enum_name log_kinds[] = {
	{BPFTIME_LOG_TRACE, "trace"},
	{BPFTIME_LOG_INFO, "info"},
	{BPFTIME_LOG_WARN, "warn"},
	{BPFTIME_LOG_ERROR, "error"},
	{0, NULL},
};

static void finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	struct handle *h = data;
	if (h->seg != NULL)
		bpftime_seg_close(h->seg);
	free(h);
}

/* open(name, {create?, size?, ownerUid?, allowStale?}) -> handle; throws with errno on failure. */
static napi_value js_open(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS], result;
	char name[BPFTIME_NAME_LEN + 1], err[512] = "";
	int create = 0, allow_stale = 0;
	struct bpftime_seg_opts o = {.owner_uid = -1};
	if (args(env, info, 1, argv, NULL) < 0 || arg_str(env, argv[0], "name", name, sizeof(name)) < 0 ||
	    opt_bool(env, argv[1], "create", &create) < 0 || opt_u64(env, argv[1], "size", &o.size) < 0 ||
	    opt_i64(env, argv[1], "ownerUid", &o.owner_uid) < 0 || opt_bool(env, argv[1], "allowStale", &allow_stale) < 0)
		return NULL;
	o.flags = allow_stale ? BPFTIME_SEG_F_ALLOW_STALE : 0;
	struct bpftime_seg *seg;
	int r = create ? bpftime_seg_create(name, &o, &seg, err, sizeof(err))
		       : bpftime_seg_open(name, &o, &seg, err, sizeof(err));
	if (r < 0)
		return throw_errno(env, r, err);
	struct handle *h = malloc(sizeof(*h));
	if (h == NULL) {
		bpftime_seg_close(seg);
		return throw_errno(env, -ENOMEM, "out of memory");
	}
	h->seg = seg;
	napi_create_external(env, h, finalize, NULL, &result);
	return result;
}

/* close(handle): unmaps; later calls with the handle throw. */
static napi_value js_close(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct handle *h;
	if (args(env, info, 1, argv, NULL) < 0)
		return NULL;
	if (napi_get_value_external(env, argv[0], (void **)&h) == napi_ok && h->seg != NULL) {
		bpftime_seg_close(h->seg);
		h->seg = NULL;
	}
	return undefined(env);
}

/* unlink(handle): ends the session (agents see state "ended") and removes the name. */
static napi_value js_unlink(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_seg *seg;
	if (args(env, info, 1, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0)
		return NULL;
	int r = bpftime_seg_unlink(seg);
	return r < 0 ? throw_errno(env, r, "cannot remove the segment") : undefined(env);
}

/* info(handle) -> the header, the heap's use and the log ring's state. */
static napi_value js_info(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_seg *seg;
	if (args(env, info, 1, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0)
		return NULL;
	const struct bpftime_shm_header *h = &bpftime_seg_shm(seg)->hdr;
	napi_value o = new_object(env);
	set(env, o, "name", str(env, h->name, strnlen(h->name, sizeof(h->name))));
	set(env, o, "layoutVersion", num(env, h->layout_version));
	set(env, o, "size", num(env, (double)h->size));
	set(env, o, "ownerUid", num(env, h->owner_uid));
	set(env, o, "creatorPid", num(env, h->creator_pid));
	set(env, o, "creatorStartTime", num(env, (double)h->creator_start_time));
	set(env, o, "createdNs", big(env, h->created_ns));
	set(env, o, "ncpus", num(env, h->ncpus));
	set(env, o, "state", str(env, name_of(seg_states, __atomic_load_n(&h->state, __ATOMIC_ACQUIRE)),
				 NAPI_AUTO_LENGTH));
	set(env, o, "stale", num(env, bpftime_seg_is_stale(h)));
	set(env, o, "heapSize", num(env, (double)(h->heap_end - h->heap_off)));
	set(env, o, "heapFree", num(env, (double)bpftime_shm_heap_free_bytes(seg)));
	set(env, o, "tablesGen", num(env, __atomic_load_n(&h->tables_gen, __ATOMIC_ACQUIRE)));
	set(env, o, "logLost", num(env, (double)__atomic_load_n(&bpftime_seg_shm(seg)->log.lost, __ATOMIC_RELAXED)));
	set(env, o, "guestBase", num(env, (double)BPFTIME_SEG_GUEST_BASE));
	return o;
}

struct log_read {
	napi_env env;
	napi_value out;
	uint32_t n;
};

static int log_record(void *ctx, const struct bpftime_log_rec *rec, const char *text, uint32_t len)
{
	struct log_read *r = ctx;
	napi_env env = r->env;
	napi_value o = new_object(env);
	set(env, o, "timeNs", big(env, rec->time_ns));
	set(env, o, "pid", num(env, rec->pid));
	set(env, o, "tid", num(env, rec->tid));
	set(env, o, "kind", str(env, name_of(log_kinds, rec->kind), NAPI_AUTO_LENGTH));
	set(env, o, "progId", num(env, rec->prog_id));
	set(env, o, "text", str(env, text, len));
	napi_set_element(env, r->out, r->n++, o);
	return 0;
}

/* logRead(handle, max) -> [{timeNs, pid, tid, kind, progId, text}], consumed. */
static napi_value js_log_read(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_seg *seg;
	uint32_t max = 0;
	if (args(env, info, 1, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0)
		return NULL;
	if (maybe_u32(env, argv[1], "max", &max) < 0)
		return NULL;
	struct log_read r = {env, NULL, 0};
	napi_create_array(env, &r.out);
	bpftime_log_read(seg, log_record, &r, max);
	return r.out;
}

/* logWrite(handle, kind, progId, text) -> 0 or -EAGAIN (ring full: counted in info().logLost). */
static napi_value js_log_write(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS];
	struct bpftime_seg *seg;
	uint32_t kind, prog;
	char text[BPFTIME_LOG_MAX_TEXT + 1];
	if (args(env, info, 4, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0 ||
	    value_of(env, log_kinds, argv[1], "log kind", &kind) < 0 || arg_u32(env, argv[2], "program id", &prog) < 0 ||
	    arg_str(env, argv[3], "text", text, sizeof(text)) < 0)
		return NULL;
	return num(env, bpftime_log(seg, kind, prog, text, strlen(text)));
}

void register_segment(napi_env env, napi_value exports)
{
	export_fn(env, exports, "open", js_open);
	export_fn(env, exports, "close", js_close);
	export_fn(env, exports, "unlink", js_unlink);
	export_fn(env, exports, "info", js_info);
	export_fn(env, exports, "logRead", js_log_read);
	export_fn(env, exports, "logWrite", js_log_write);
}
