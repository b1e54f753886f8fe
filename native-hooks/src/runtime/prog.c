/* Loading a compiled program (dlopen, ABI and helper checks, map references), unloading it, and its status. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* resolve_lddw computes the values of the program's map references from the maps the loader gave. */
static int resolve_lddw(struct bpftime_prog *p, const struct bpftime_prog_opts *opts, char *err)
{
	const struct bpftime_prog_desc *d = p->desc;
	p->lddw = calloc(d->nlddw ? d->nlddw : 1, sizeof(uint64_t));
	if (!p->lddw) return snprintf(err, BPFTIME_ERR_LEN, "out of memory"), -ENOMEM;
	for (uint32_t i = 0; i < d->nlddw; i++) {
		const struct bpftime_lddw_desc *l = &d->lddw[i];
		if (!opts || l->map_index >= opts->nmaps) {
			snprintf(err, BPFTIME_ERR_LEN, "map reference at pc %u: map %s (index %u) was not given", l->pc, l->map_name, l->map_index);
			return -ENOENT;
		}
		const struct bpftime_prog_map *m = &opts->maps[l->map_index];
		if (m->handle == 0 && m->value_guest == 0) {
			snprintf(err, BPFTIME_ERR_LEN, "map reference at pc %u: map %s (index %u) is not available", l->pc, l->map_name, l->map_index);
			return -ENOENT;
		}
		switch (l->source) {
		case BPFTIME_LDDW_MAP_FD:
		case BPFTIME_LDDW_MAP_IDX:
			p->lddw[i] = m->handle;
			break;
		case BPFTIME_LDDW_MAP_VALUE:
		case BPFTIME_LDDW_MAP_IDX_VALUE:
			if (m->value_guest == 0) {
				snprintf(err, BPFTIME_ERR_LEN, "map reference at pc %u: map %s has no value address (not an array map)", l->pc, l->map_name);
				return -EINVAL;
			}
			p->lddw[i] = m->value_guest + l->offset;
			break;
		default:
			snprintf(err, BPFTIME_ERR_LEN, "map reference at pc %u: unknown source %u", l->pc, l->source);
			return -EINVAL;
		}
	}
	return 0;
}

/* reads_ctx_helper: whether the program calls a helper that reads its context by itself (not through r1). */
static int reads_ctx_helper(const struct bpftime_prog_desc *d)
{
	for (uint32_t i = 0; i < d->nhelpers; i++) {
		uint32_t id = d->helper_ids[i];
		if (id == BPFTIME_HELPER_GET_FUNC_ARG || id == BPFTIME_HELPER_GET_FUNC_RET || id == BPFTIME_HELPER_GET_FUNC_ARG_CNT)
			return 1;
	}
	return 0;
}

/* runs_without_pad: whether runs of the program need no trap landing pad: the verifier accepted it, its own code
 * cannot trap (no budget, no checked access, no trap, tail call or callx: BPFTIME_DESC_SELF_TRAPS), and every helper
 * it calls cannot fault on a verified program's arguments (docs/native.md, "Runs without a landing pad").
 * BPFTIME_LANDING_PAD=always keeps the pad for every program (to compare the two). */
static int runs_without_pad(const struct bpftime_prog_desc *d)
{
	if (!(d->flags & BPFTIME_DESC_VERIFIED) || (d->flags & BPFTIME_DESC_SELF_TRAPS)) return 0;
	for (uint32_t i = 0; i < d->nhelpers; i++)
		if (!rt_helper_cannot_fault(d->helper_ids[i])) return 0;
	const char *env = getenv("BPFTIME_LANDING_PAD");
	return !(env && strcmp(env, "always") == 0);
}

/* check_desc refuses an object built for another ABI, without an entry, or needing a helper the runtime lacks. */
static int check_desc(const struct bpftime_prog_desc *d, char *err)
{
	if (d->abi_version != BPFTIME_PROG_ABI_VERSION)
		return snprintf(err, BPFTIME_ERR_LEN, "built for program ABI %u, the runtime has %u (recompile it)", d->abi_version, BPFTIME_PROG_ABI_VERSION), -ENOEXEC;
	if (d->nfns == 0 || d->fns[0].pc != 0) return snprintf(err, BPFTIME_ERR_LEN, "no entry function"), -ENOEXEC;
	for (uint32_t i = 0; i < d->nhelpers; i++) {
		uint32_t id = d->helper_ids[i];
		if (!bpftime_helper_supported(id))
			return snprintf(err, BPFTIME_ERR_LEN, "program %s: helper %s (id %u) is not implemented by the native runtime", d->name, d->helper_names[i], id), -ENOTSUP;
	}
	return 0;
}

struct bpftime_prog *bpftime_prog_load(struct bpftime_runtime *rt, const char *path, const struct bpftime_prog_opts *opts, char err[BPFTIME_ERR_LEN])
{
	char why[BPFTIME_ERR_LEN] = "";
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		snprintf(err, BPFTIME_ERR_LEN, "load %s: %s", path, dlerror());
		return NULL;
	}
	struct bpftime_prog_desc *d = dlsym(dl, BPFTIME_PROG_DESC_SYMBOL);
	struct bpftime_prog *p = calloc(1, sizeof(*p));
	int e = 0;
	if (!d) e = -ENOEXEC, snprintf(why, sizeof(why), "no %s symbol: not a compiled program", BPFTIME_PROG_DESC_SYMBOL);
	else if (!p) e = -ENOMEM, snprintf(why, sizeof(why), "out of memory");
	else if ((e = check_desc(d, why)) == 0) {
		p->rt = rt;
		p->dl = dl;
		p->desc = d;
		p->main = d->fns[0].fn;
		p->copy_ctx = !d->ctx_unread || reads_ctx_helper(d);
		p->helpers = d->flags & BPFTIME_DESC_VERIFIED ? bpftime_helper_table_verified : bpftime_helper_table;
		p->no_pad = runs_without_pad(d);
		p->budget = opts && opts->budget ? opts->budget : BPFTIME_DEFAULT_BUDGET;
		p->cookie = opts ? opts->cookie : 0;
		p->seg_prog_id = opts ? opts->seg_prog_id : 0;
		snprintf(p->path, sizeof(p->path), "%s", path);
		pthread_mutex_init(&p->status_lock, NULL);
		e = resolve_lddw(p, opts, why);
	}
	if (e == 0) {
		pthread_mutex_lock(&rt->lock);
		uint32_t i = 0;
		while (i < BPFTIME_RT_MAX_PROGS && rt->progs[i]) i++;
		if (i < BPFTIME_RT_MAX_PROGS) {
			p->index = i;
			rt->progs[i] = p;
		} else e = -ENOSPC, snprintf(why, sizeof(why), "%u programs are loaded already", BPFTIME_RT_MAX_PROGS);
		pthread_mutex_unlock(&rt->lock);
	}
	if (e != 0) {
		snprintf(err, BPFTIME_ERR_LEN, "load %s: %s", path, why);
		if (p) free(p->lddw);
		free(p);
		dlclose(dl);
		return NULL;
	}
	d->wasm_trap = rt_wasm_trap;
	d->init_module();
	return p;
}

void bpftime_prog_unload(struct bpftime_prog *p)
{
	if (!p) return;
	struct bpftime_runtime *rt = p->rt;
	pthread_mutex_lock(&rt->lock);
	for (struct rt_thread *t = rt->threads; t; t = t->next) {
		if (t->execs[p->index]) rt_exec_free(t->execs[p->index]);
		t->execs[p->index] = NULL;
	}
	rt->progs[p->index] = NULL;
	rt_prog_arrays_forget(rt, p);
	pthread_mutex_unlock(&rt->lock);
	dlclose(p->dl);
	pthread_mutex_destroy(&p->status_lock);
	free(p->lddw);
	free(p);
}

void bpftime_prog_status(const struct bpftime_prog *cp, struct bpftime_prog_status *out)
{
	struct bpftime_prog *p = (struct bpftime_prog *)cp;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&p->rt->lock);
	out->runs = atomic_load(&p->runs);
	for (struct rt_thread *t = p->rt->threads; t; t = t->next)
		if (t->execs[p->index]) out->runs += __atomic_load_n(&t->execs[p->index]->runs, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&p->rt->lock);
	pthread_mutex_lock(&p->status_lock);
	out->state = (enum bpftime_prog_state)atomic_load(&p->state);
	out->missed = atomic_load(&p->missed);
	out->landing_pad = !p->no_pad;
	if (out->state == BPFTIME_PROG_DISABLED) {
		out->pc = p->trap_pc;
		out->trap_kind = p->trap_kind;
		out->tid = p->trap_tid;
		snprintf(out->reason, sizeof(out->reason), "%s", p->reason);
	}
	pthread_mutex_unlock(&p->status_lock);
}

const char *bpftime_prog_name(const struct bpftime_prog *p)
{
	return p->desc->name;
}

void bpftime_prog_enable(struct bpftime_prog *p)
{
	pthread_mutex_lock(&p->status_lock);
	atomic_store(&p->state, BPFTIME_PROG_ENABLED);
	pthread_mutex_unlock(&p->status_lock);
}
