/* Addon: the program, attachment and agent tables, and the attachment counters. */
#include <errno.h>
#include <string.h>

#include "addon.h"

static const struct enum_name attach_kinds[] = {
	{BPFTIME_ATTACH_UPROBE, "uprobe"},
	{BPFTIME_ATTACH_URETPROBE, "uretprobe"},
	{BPFTIME_ATTACH_SYSCALL_ENTER, "syscall-enter"},
	{BPFTIME_ATTACH_SYSCALL_EXIT, "syscall-exit"},
	{0, NULL},
};

static const struct enum_name faults[] = {
	{BPFTIME_FAULT_NONE, "none"},
	{BPFTIME_FAULT_MEMORY, "memory"},
	{BPFTIME_FAULT_BUDGET, "budget"},
	{BPFTIME_FAULT_CALL_DEPTH, "call-depth"},
	{BPFTIME_FAULT_TRAP, "trap"},
	{BPFTIME_FAULT_HELPER, "helper"},
	{BPFTIME_FAULT_LOAD, "load"},
	{0, NULL},
};

static const struct enum_name ref_kinds[] = {
	{BPFTIME_REF_MAP, "map"},
	{BPFTIME_REF_VALUE, "value"},
	{0, NULL},
};

static const struct enum_name agent_states[] = {
	{BPFTIME_AGENT_STARTING, "starting"},
	{BPFTIME_AGENT_RUNNING, "running"},
	{BPFTIME_AGENT_DETACHING, "detaching"},
	{BPFTIME_AGENT_DETACHED, "detached"},
	{BPFTIME_AGENT_FAILED, "failed"},
	{0, NULL},
};

static const struct enum_name agent_modes[] = {
	{BPFTIME_AGENT_PRELOAD, "preload"},
	{BPFTIME_AGENT_INJECTED, "injected"},
	{0, NULL},
};

static const struct enum_name requests[] = {
	{BPFTIME_REQ_NONE, "none"},
	{BPFTIME_REQ_DETACH, "detach"},
	{0, NULL},
};

#define STRING(o, obj, field) set(env, o, #field, str(env, (obj)->field, strnlen((obj)->field, sizeof((obj)->field))))

static napi_value prog_object(napi_env env, const struct bpftime_prog_entry *p)
{
	napi_value o = new_object(env), refs;
	set(env, o, "id", num(env, p->id));
	set(env, o, "type", num(env, p->type));
	set(env, o, "enabled", num(env, p->enabled));
	set(env, o, "fault", str(env, name_of(faults, p->fault), NAPI_AUTO_LENGTH));
	set(env, o, "faultPc", num(env, p->fault_pc));
	set(env, o, "faultPid", num(env, p->fault_pid));
	set(env, o, "faultNs", big(env, p->fault_ns));
	set(env, o, "insnCnt", num(env, (double)p->insn_cnt));
	STRING(o, p, name);
	STRING(o, p, hash);
	set(env, o, "soPath", str(env, p->so_path, strnlen(p->so_path, sizeof(p->so_path))));
	set(env, o, "faultMsg", str(env, p->fault_msg, strnlen(p->fault_msg, sizeof(p->fault_msg))));
	napi_create_array(env, &refs);
	for (uint32_t i = 0; i < p->nr_map_refs && i < BPFTIME_PROG_MAX_MAP_REFS; i++) {
		napi_value r = new_object(env);
		set(env, r, "pc", num(env, p->map_refs[i].pc));
		set(env, r, "mapId", num(env, p->map_refs[i].map_id));
		set(env, r, "kind", str(env, name_of(ref_kinds, p->map_refs[i].kind), NAPI_AUTO_LENGTH));
		set(env, r, "offset", num(env, p->map_refs[i].offset));
		napi_set_element(env, refs, i, r);
	}
	set(env, o, "mapRefs", refs);
	return o;
}

/* progAdd(handle, {name, type, hash?, soPath?, insnCnt?, enabled?, mapRefs?: [{pc, mapId, kind, offset?}]}) -> id */
static napi_value js_prog_add(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS], refs;
	struct bpftime_seg *seg;
	struct bpftime_prog_entry p = {0}; /* 2.6 KiB on a thread stack of at least 1 MiB */
	char err[256] = "";
	int enabled = 1;
	if (args(env, info, 2, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0 ||
	    opt_str(env, argv[1], "name", p.name, sizeof(p.name)) < 0 || opt_u32(env, argv[1], "type", &p.type) < 0 ||
	    opt_str(env, argv[1], "hash", p.hash, sizeof(p.hash)) < 0 ||
	    opt_str(env, argv[1], "soPath", p.so_path, sizeof(p.so_path)) < 0 ||
	    opt_u64(env, argv[1], "insnCnt", &p.insn_cnt) < 0 || opt_bool(env, argv[1], "enabled", &enabled) < 0)
		return NULL;
	p.enabled = enabled ? 1 : 0;
	if (opt_value(env, argv[1], "mapRefs", &refs)) {
		uint32_t n;
		if (napi_get_array_length(env, refs, &n) != napi_ok)
			return throw_errno(env, -EINVAL, "mapRefs must be an array");
		if (n > BPFTIME_PROG_MAX_MAP_REFS)
			return throw_errno(env, -E2BIG, "too many map references");
		for (uint32_t i = 0; i < n; i++) {
			napi_value r, kind;
			napi_get_element(env, refs, i, &r);
			struct bpftime_map_ref *m = &p.map_refs[i];
			m->kind = BPFTIME_REF_MAP;
			if (opt_u32(env, r, "pc", &m->pc) < 0 || opt_u32(env, r, "mapId", &m->map_id) < 0 ||
			    opt_u32(env, r, "offset", &m->offset) < 0 ||
			    (opt_value(env, r, "kind", &kind) && value_of(env, ref_kinds, kind, "reference kind", &m->kind) < 0))
				return NULL;
		}
		p.nr_map_refs = n;
	}
	int id = bpftime_prog_add(seg, &p, err, sizeof(err));
	return id < 0 ? throw_errno(env, id, err) : num(env, id);
}

static napi_value attach_object(napi_env env, struct bpftime_seg *seg, const struct bpftime_attach_entry *a)
{
	struct bpftime_attach_counters c;
	bpftime_attach_totals(seg, a->id, &c);
	napi_value o = new_object(env);
	set(env, o, "id", num(env, a->id));
	set(env, o, "kind", str(env, name_of(attach_kinds, a->kind), NAPI_AUTO_LENGTH));
	set(env, o, "progId", num(env, a->prog_id));
	set(env, o, "syscallNr", num(env, a->syscall_nr));
	set(env, o, "enabled", num(env, a->enabled));
	set(env, o, "pid", num(env, a->pid));
	set(env, o, "offset", num(env, (double)a->offset));
	set(env, o, "cookie", big(env, a->cookie));
	STRING(o, a, target);
	STRING(o, a, symbol);
	STRING(o, a, message);
	set(env, o, "hits", num(env, (double)c.hits));
	set(env, o, "missed", num(env, (double)c.missed));
	return o;
}

/* attachAdd(handle, {kind, progId, target?, symbol?, offset?, syscallNr?, pid?, cookie?, enabled?}) -> id */
static napi_value js_attach_add(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS], kind;
	struct bpftime_seg *seg;
	struct bpftime_attach_entry a = {.enabled = 1, .syscall_nr = BPFTIME_SYSCALL_ALL};
	char err[256] = "";
	int64_t nr = BPFTIME_SYSCALL_ALL, pid = 0;
	int enabled = 1;
	if (args(env, info, 2, argv, NULL) < 0 || arg_seg(env, argv[0], &seg) < 0)
		return NULL;
	if (!opt_value(env, argv[1], "kind", &kind))
		return throw_errno(env, -EINVAL, "an attachment needs a kind");
	if (value_of(env, attach_kinds, kind, "attachment kind", &a.kind) < 0 ||
	    opt_u32(env, argv[1], "progId", &a.prog_id) < 0 ||
	    opt_str(env, argv[1], "target", a.target, sizeof(a.target)) < 0 ||
	    opt_str(env, argv[1], "symbol", a.symbol, sizeof(a.symbol)) < 0 ||
	    opt_u64(env, argv[1], "offset", &a.offset) < 0 || opt_i64(env, argv[1], "syscallNr", &nr) < 0 ||
	    opt_i64(env, argv[1], "pid", &pid) < 0 || opt_u64(env, argv[1], "cookie", &a.cookie) < 0 ||
	    opt_bool(env, argv[1], "enabled", &enabled) < 0)
		return NULL;
	a.syscall_nr = (int32_t)nr;
	a.pid = (int32_t)pid;
	a.enabled = enabled ? 1 : 0;
	int id = bpftime_attach_add(seg, &a, err, sizeof(err));
	return id < 0 ? throw_errno(env, id, err) : num(env, id);
}

static napi_value agent_object(napi_env env, const struct bpftime_agent_entry *a)
{
	napi_value o = new_object(env);
	set(env, o, "id", num(env, a->id));
	set(env, o, "pid", num(env, a->pid));
	set(env, o, "startTime", num(env, (double)a->start_time));
	set(env, o, "registeredNs", big(env, a->registered_ns));
	set(env, o, "state", str(env, name_of(agent_states, a->state), NAPI_AUTO_LENGTH));
	set(env, o, "mode", str(env, name_of(agent_modes, a->mode), NAPI_AUTO_LENGTH));
	set(env, o, "request", str(env, name_of(requests, a->request), NAPI_AUTO_LENGTH));
	set(env, o, "hooks", num(env, a->hooks));
	const char *sys = a->flags & BPFTIME_AGENT_F_SUD ? "sud" : a->flags & BPFTIME_AGENT_F_SYSCALLS ? "zpoline" : "none";
	set(env, o, "syscalls", str(env, sys, NAPI_AUTO_LENGTH));
	STRING(o, a, comm);
	STRING(o, a, message);
	return o;
}

/*
 * table(handle, what, op, id?, arg?): what is "prog", "attach" or "agent"; op is "list" (every entry), "get"
 * (entry or undefined), "remove", "enable"/"disable" (prog), "fault" (prog: arg {fault, pc, msg}), "hit"/"miss"
 * (attach), "register" (agent: arg mode), "state" (agent: arg {state, msg?}), "request" (agent: arg request),
 * "reap" (agent). One entry point keeps the table operations in one place on both sides.
 */
static napi_value js_table(napi_env env, napi_callback_info info)
{
	napi_value argv[MAX_ARGS], out;
	struct bpftime_seg *seg;
	char what[16], op[16], err[256] = "";
	uint32_t id = 0;
	size_t argc;
	if (args(env, info, 3, argv, &argc) < 0 || arg_seg(env, argv[0], &seg) < 0 ||
	    arg_str(env, argv[1], "table", what, sizeof(what)) < 0 || arg_str(env, argv[2], "operation", op, sizeof(op)) < 0 ||
	    (argc > 3 && strcmp(op, "register") != 0 && arg_u32(env, argv[3], "id", &id) < 0))
		return NULL;
	int prog = strcmp(what, "prog") == 0, att = strcmp(what, "attach") == 0, agent = strcmp(what, "agent") == 0;
	if (!prog && !att && !agent)
		return throw_errno(env, -EINVAL, "unknown table");
	if (strcmp(op, "list") == 0 || strcmp(op, "get") == 0) {
		int list = op[0] == 'l';
		uint32_t max = prog ? BPFTIME_MAX_PROGS : att ? BPFTIME_MAX_ATTACH : BPFTIME_MAX_AGENTS, n = 0;
		napi_create_array(env, &out);
		for (uint32_t i = list ? 1 : id; i <= (list ? max : id); i++) {
			napi_value o = NULL;
			if (prog && bpftime_prog_get(seg, i))
				o = prog_object(env, bpftime_prog_get(seg, i));
			else if (att && bpftime_attach_get(seg, i))
				o = attach_object(env, seg, bpftime_attach_get(seg, i));
			else if (agent && bpftime_agent_get(seg, i))
				o = agent_object(env, bpftime_agent_get(seg, i));
			if (o != NULL && !list)
				return o;
			if (o != NULL)
				napi_set_element(env, out, n++, o);
		}
		return list ? out : undefined(env);
	}
	int r = -EINVAL;
	if (strcmp(op, "remove") == 0 && !agent) {
		r = prog ? bpftime_prog_remove(seg, id) : bpftime_attach_remove(seg, id);
	} else if (prog && (strcmp(op, "enable") == 0 || strcmp(op, "disable") == 0)) {
		r = bpftime_prog_set_enabled(seg, id, op[0] == 'e');
	} else if (prog && strcmp(op, "fault") == 0) {
		napi_value f;
		uint32_t fault = BPFTIME_FAULT_TRAP, pc = 0;
		char msg[BPFTIME_MSG_LEN] = "";
		if ((opt_value(env, argv[4], "fault", &f) && value_of(env, faults, f, "fault", &fault) < 0) ||
		    opt_u32(env, argv[4], "pc", &pc) < 0 || opt_str(env, argv[4], "msg", msg, sizeof(msg)) < 0)
			return NULL;
		r = bpftime_prog_fault(seg, id, fault, pc, msg);
	} else if (att && (strcmp(op, "hit") == 0 || strcmp(op, "miss") == 0)) {
		if (bpftime_attach_get(seg, id) == NULL)
			return throw_errno(env, -ENOENT, "no such attachment");
		op[0] == 'h' ? bpftime_attach_hit(seg, id) : bpftime_attach_miss(seg, id);
		r = 0;
	} else if (agent && strcmp(op, "register") == 0) {
		uint32_t mode = BPFTIME_AGENT_PRELOAD;
		if (argc > 3 && value_of(env, agent_modes, argv[3], "agent mode", &mode) < 0)
			return NULL;
		r = bpftime_agent_register(seg, mode, err, sizeof(err));
	} else if (agent && strcmp(op, "state") == 0) {
		napi_value s;
		uint32_t state = 0;
		char msg[BPFTIME_MSG_LEN] = "";
		int has_msg = opt_value(env, argv[4], "msg", &s);
		if (!opt_value(env, argv[4], "state", &s) || value_of(env, agent_states, s, "agent state", &state) < 0 ||
		    opt_str(env, argv[4], "msg", msg, sizeof(msg)) < 0)
			return NULL;
		r = bpftime_agent_set_state(seg, id, state, has_msg ? msg : NULL);
	} else if (agent && strcmp(op, "request") == 0) {
		uint32_t req;
		struct bpftime_agent_entry *a = bpftime_agent_get(seg, id);
		if (value_of(env, requests, argv[4], "request", &req) < 0)
			return NULL;
		r = a == NULL ? -ENOENT : 0;
		if (a != NULL) {
			__atomic_store_n(&a->request, req, __ATOMIC_RELEASE);
			bpftime_tables_changed(seg);
		}
	} else if (agent && strcmp(op, "reap") == 0) {
		r = bpftime_agent_reap(seg);
	} else {
		return throw_errno(env, -EINVAL, "unknown table operation");
	}
	if (r < 0)
		return throw_errno(env, r, err[0] ? err : NULL);
	return num(env, r);
}

void register_tables(napi_env env, napi_value exports)
{
	export_fn(env, exports, "progAdd", js_prog_add);
	export_fn(env, exports, "attachAdd", js_attach_add);
	export_fn(env, exports, "table", js_table);
}
