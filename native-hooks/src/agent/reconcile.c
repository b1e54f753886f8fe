/*
 * reconcile.c: bring this process's hooks in line with the session's attachment table. Called at start and by the
 * control thread whenever the tables change: attachments removed, disabled or replaced are uninstalled (uprobes
 * detached, restoring the original bytes; syscall attachments dropped from the dispatch table after a grace
 * period), then new ones that apply to this process are installed. An attachment that cannot be installed here is
 * remembered with its reason (the entry's message and the log ring) and not retried until its entry changes; one
 * whose binary this process does not map is simply not applicable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int is_syscall(const struct bpftime_attach_entry *e)
{
	return e->kind == BPFTIME_ATTACH_SYSCALL_ENTER || e->kind == BPFTIME_ATTACH_SYSCALL_EXIT;
}

/* applies: the entry is enabled and names every process or this one. */
static int applies(const struct bpftime_attach_entry *e)
{
	return __atomic_load_n(&e->enabled, __ATOMIC_ACQUIRE) && (e->pid == 0 || e->pid == (int32_t)getpid());
}

/* same: the entry is still the attachment that was installed (slots are reused for new attachments). */
static int same(const struct bpftime_attach_entry *e, const struct bpftime_attach_entry *s)
{
	return e->kind == s->kind && e->prog_id == s->prog_id && e->syscall_nr == s->syscall_nr && e->pid == s->pid &&
	       e->offset == s->offset && e->cookie == s->cookie && !strcmp(e->target, s->target) &&
	       !strcmp(e->symbol, s->symbol);
}

int agent_session_has_syscalls(struct agent *ag)
{
	for (uint32_t id = 1; id <= BPFTIME_MAX_ATTACH; id++) {
		struct bpftime_attach_entry *e = bpftime_attach_get(ag->seg, id);
		if (e && is_syscall(e) && applies(e))
			return 1;
	}
	return 0;
}

static const char *kind_name(uint32_t kind)
{
	static const char *const names[] = { "?", "uprobe", "uretprobe", "syscall enter", "syscall exit" };
	return kind <= BPFTIME_ATTACH_SYSCALL_EXIT ? names[kind] : "?";
}

/* refuse records why an attachment is not installed in this process. */
static void refuse(struct agent *ag, struct agent_att *a, int rc, const char *why)
{
	struct bpftime_attach_entry *e = bpftime_attach_get(ag->seg, a->id);
	const char *sep = a->snap.target[0] && a->snap.symbol[0] ? ":" : "";
	if (rc == -ESRCH && a->snap.kind <= BPFTIME_ATTACH_URETPROBE) {
		/* The binary is not mapped here (a shell before the exec of the target, a library not loaded yet): nothing
		 * to say in the table; the control thread tries again from time to time (agent_retry_pending). */
		if (!a->pending)
			agent_log(BPFTIME_LOG_INFO, "%s %s%s%s: not in this process (%s)", kind_name(a->snap.kind), a->snap.target,
				  sep, a->snap.symbol, why);
		a->pending = 1;
		return;
	}
	if (e)
		snprintf(e->message, sizeof(e->message), "pid %d: %s", (int)getpid(), why);
	agent_log(BPFTIME_LOG_WARN, "attachment %u (%s %s%s%s) not installed: %s", a->id, kind_name(a->snap.kind),
		  a->snap.target, sep, a->snap.symbol, why);
}

/* count_hooks records how many attachments are installed in this process. */
static void count_hooks(struct agent *ag)
{
	uint32_t hooks = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++)
		hooks += ag->atts[i] && ag->atts[i]->installed;
	ag->hooks = hooks;
	struct bpftime_agent_entry *me = bpftime_agent_get(ag->seg, ag->agent_id);
	if (me)
		__atomic_store_n(&me->hooks, hooks, __ATOMIC_RELEASE);
}

/* install tries one attachment; 1 when a syscall attachment was added (the dispatch table must be published). */
static int install(struct agent *ag, struct agent_att *a)
{
	char why[BPFTIME_ERR_LEN] = "";
	int rc = 0;
	if (is_syscall(&a->snap) && (rc = agent_syscalls_prepare(a, why, sizeof(why))) != 0)
		return refuse(ag, a, rc, why), 0;
	if (is_syscall(&a->snap) && ag->sys_mode == BPFTIME_SYSCALL_NONE) {
		if (ag->sys_env < 0)
			return refuse(ag, a, -EPERM, "syscall hooks are off in this process (BPFTIME_SYSCALLS=0)"), 0;
		/* Late (a running process): only zpoline covers threads that already exist. */
		if ((rc = agent_syscalls_install(ag, BPFTIME_SYSCALL_ZPOLINE, why, sizeof(why))) != 0)
			return refuse(ag, a, rc, why), 0;
	}
	a->prog = agent_prog_get(ag, a->snap.prog_id, why, sizeof(why));
	if (!a->prog)
		return refuse(ag, a, -ENOENT, why), 0;
	a->run_enabled = __atomic_load_n(a->prog->enabled, __ATOMIC_ACQUIRE);
	if (is_syscall(&a->snap)) {
		a->installed = 1;
		return 1;
	}
	if ((rc = agent_uprobe_install(a, why, sizeof(why))) != 0) {
		agent_prog_put(ag, a->prog);
		a->prog = NULL;
		return refuse(ag, a, rc, why), 0;
	}
	a->installed = 1;
	return 0;
}

/* drop uninstalls the attachments in `gone` (already out of ag->atts) and frees them. */
static void drop(struct agent *ag, struct agent_att **gone, uint32_t n)
{
	int sys = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (gone[i]->installed && !is_syscall(&gone[i]->snap))
			agent_uprobe_uninstall(gone[i]); /* no callback of it runs after this */
		sys |= gone[i]->installed && is_syscall(&gone[i]->snap);
	}
	if (sys && agent_syscalls_publish(ag) != 0) {
		/* No way to know when the last callback left: keep them (and their programs) loaded, disabled. */
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (gone[i]->installed)
			agent_prog_put(ag, gone[i]->prog);
		free(gone[i]);
	}
}

/* agent_retry_pending tries again the uprobes whose binary was not mapped (a library dlopened since); returns how
 * many are still waiting. */
int agent_retry_pending(struct agent *ag)
{
	int waiting = 0, sys = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++) {
		struct agent_att *a = ag->atts[i];
		if (!a || !a->pending)
			continue;
		sys |= install(ag, a);
		waiting += a->pending = !a->installed && a->pending;
	}
	if (sys)
		agent_syscalls_publish(ag);
	count_hooks(ag);
	return waiting;
}

int agent_reconcile(struct agent *ag)
{
	static struct agent_att *gone[BPFTIME_MAX_ATTACH];
	uint32_t ngone = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++) {
		struct agent_att *a = ag->atts[i];
		if (!a)
			continue;
		struct bpftime_attach_entry *e = bpftime_attach_get(ag->seg, i + 1);
		if (e && applies(e) && same(e, &a->snap))
			continue;
		ag->atts[i] = NULL;
		gone[ngone++] = a;
	}
	if (ngone)
		drop(ag, gone, ngone);
	agent_progs_sync(ag);
	/* Programs enabled or disabled since: the hits read the attachments' copies (the syscall table has its own). */
	int sys_added = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++) {
		struct agent_att *a = ag->atts[i];
		if (!a || !a->installed)
			continue;
		uint32_t en = __atomic_load_n(a->prog->enabled, __ATOMIC_ACQUIRE);
		if (en != a->run_enabled) {
			__atomic_store_n(&a->run_enabled, en, __ATOMIC_RELAXED);
			sys_added |= is_syscall(&a->snap);
		}
	}
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++) {
		struct bpftime_attach_entry *e = bpftime_attach_get(ag->seg, i + 1);
		if (!e || ag->atts[i] || !applies(e))
			continue;
		struct agent_att *a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		memcpy(&a->snap, e, sizeof(a->snap));
		a->id = i + 1;
		a->seg = ag->seg;
		struct bpftime_shm_header *h = &bpftime_seg_shm(ag->seg)->hdr;
		a->counters = (uint64_t *)((char *)bpftime_seg_base(ag->seg) + h->counters_off) + 2 * i;
		a->counters_stride = BPFTIME_MAX_ATTACH * sizeof(struct bpftime_attach_counters);
		a->ncpus = h->ncpus;
		sys_added |= install(ag, a);
		ag->atts[i] = a;
	}
	if (sys_added)
		agent_syscalls_publish(ag);
	count_hooks(ag);
	ag->pending = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++)
		ag->pending += ag->atts[i] && ag->atts[i]->pending;
	return 0;
}

void agent_uninstall_all(struct agent *ag)
{
	static struct agent_att *gone[BPFTIME_MAX_ATTACH];
	uint32_t ngone = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++) {
		if (ag->atts[i])
			gone[ngone++] = ag->atts[i];
		ag->atts[i] = NULL;
	}
	if (ngone)
		drop(ag, gone, ngone);
	ag->hooks = 0;
}
