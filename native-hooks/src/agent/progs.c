/*
 * progs.c: the session's programs in this process. A program is loaded when the first attachment using it is
 * installed and unloaded after the last one is removed: its shared object (compiled by the control plane) is
 * dlopened by the runtime with its map references resolved from the segment's program entry (lddw pc -> map id).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpftime_prog_abi.h"
#include "internal.h"

/* map_refs resolves the object's map indexes to the segment's maps: the entry records, per lddw pc, the map id. */
static int map_refs(struct agent *ag, const struct bpftime_prog_entry *e, struct bpftime_prog_map *maps, uint32_t *nmaps,
		    char *err, size_t errlen)
{
	void *h = dlopen(e->so_path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return snprintf(err, errlen, "cannot load %s: %s", e->so_path, dlerror()), -ENOEXEC;
	const struct bpftime_prog_desc *d = dlsym(h, BPFTIME_PROG_DESC_SYMBOL);
	int rc = 0;
	*nmaps = 0;
	if (!d) {
		rc = -ENOEXEC;
		snprintf(err, errlen, "%s has no %s", e->so_path, BPFTIME_PROG_DESC_SYMBOL);
	}
	for (uint32_t i = 0; d && i < d->nlddw && rc == 0; i++) {
		const struct bpftime_lddw_desc *l = &d->lddw[i];
		uint32_t id = 0;
		for (uint32_t k = 0; k < e->nr_map_refs && k < BPFTIME_PROG_MAX_MAP_REFS; k++)
			if (e->map_refs[k].pc == l->pc)
				id = e->map_refs[k].map_id;
		if (l->map_index >= BPFTIME_MAX_MAPS || id == 0) {
			rc = -ENOENT;
			snprintf(err, errlen, "map reference at pc %u (map %s) is not in the session's program entry", l->pc,
				 l->map_name ? l->map_name : "?");
			break;
		}
		maps[l->map_index] = bpftime_runtime_map_ref(ag->rt, id);
		if (l->map_index + 1 > *nmaps)
			*nmaps = l->map_index + 1;
	}
	dlclose(h);
	return rc;
}

struct agent_prog *agent_prog_get(struct agent *ag, uint32_t id, char *err, size_t errlen)
{
	struct bpftime_prog_entry *e = bpftime_prog_get(ag->seg, id);
	if (!e)
		return snprintf(err, errlen, "program %u is not in the session", id), NULL;
	struct agent_prog *p = &ag->progs[id - 1];
	if (p->prog && strncmp(p->hash, e->hash, sizeof(p->hash)) == 0) {
		p->users++;
		return p;
	}
	if (p->prog && p->users)
		return snprintf(err, errlen, "program %u was replaced while attachments still run it", id), NULL;
	if (p->prog) {
		bpftime_prog_unload(p->prog);
		p->prog = NULL;
	}
	static struct bpftime_prog_map maps[BPFTIME_MAX_MAPS];
	memset(maps, 0, sizeof(maps));
	uint32_t nmaps = 0;
	char why[BPFTIME_ERR_LEN];
	if (map_refs(ag, e, maps, &nmaps, why, sizeof(why)) != 0 || bpftime_runtime_add_map_regions(ag->rt) != 0) {
		snprintf(err, errlen, "program \"%s\": %s", e->name, why);
		return NULL;
	}
	struct bpftime_prog_opts o = { .maps = maps, .nmaps = nmaps, .seg_prog_id = id };
	struct bpftime_prog *prog = bpftime_prog_load(ag->rt, e->so_path, &o, why);
	if (!prog) {
		snprintf(err, errlen, "program \"%s\": %s", e->name, why);
		return NULL;
	}
	*p = (struct agent_prog){ .id = id, .prog = prog, .enabled = &e->enabled, .users = 1 };
	memcpy(p->hash, e->hash, sizeof(p->hash));
	return p;
}

void agent_prog_put(struct agent *ag, struct agent_prog *p)
{
	(void)ag;
	if (!p || !p->prog || --p->users > 0)
		return;
	bpftime_prog_unload(p->prog);
	p->prog = NULL;
	p->id = 0;
}

void agent_progs_sync(struct agent *ag)
{
	for (uint32_t i = 0; i < BPFTIME_MAX_PROGS; i++) {
		struct agent_prog *p = &ag->progs[i];
		if (!p->prog)
			continue;
		struct bpftime_prog_status st;
		bpftime_prog_status(p->prog, &st);
		struct bpftime_prog_entry *e = bpftime_prog_get(ag->seg, p->id);
		/* The control plane enabled a program a trap had disabled: the runtime runs it again. */
		if (e && st.state == BPFTIME_PROG_DISABLED && __atomic_load_n(&e->enabled, __ATOMIC_ACQUIRE) &&
		    e->fault == BPFTIME_FAULT_NONE)
			bpftime_prog_enable(p->prog);
	}
}
