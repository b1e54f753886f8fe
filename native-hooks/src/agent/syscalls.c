/*
 * syscalls.c: syscall tracepoints. One pair of callbacks for the whole process (the syscall component calls them
 * around every syscall) looks the syscall number up in a table of installed attachments, builds each program's
 * context and runs it: a tracefs record for syscalls:sys_enter_NAME/sys_exit_NAME and raw_syscalls:sys_enter/
 * sys_exit, or struct bpf_raw_tracepoint_args {regs, id or ret} for raw_tracepoint/sys_enter and sys_exit. The
 * table is immutable and replaced as a whole by the control thread; qsbr.h says when an old one may be freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qsbr.h"

#define SYS_TABLE_NR 512 /* syscall numbers with their own list; others are seen by the all-syscalls lists only */

struct sys_list {
	uint32_t n;
	struct agent_att *att[];
};

/* [0] enter, [1] exit */
struct sys_table {
	struct sys_list *all[2];
	struct sys_list *by_nr[2][SYS_TABLE_NR];
};

static struct sys_table *sys_table;

/* run_one runs one attachment's program on a syscall event. */
static void run_one(struct agent_att *a, long nr, const long args[6], long ret)
{
	if (AGENT_UNLIKELY(!__atomic_load_n(a->enabled, __ATOMIC_RELAXED))) {
		bpftime_attach_miss(a->seg, a->id);
		return;
	}
	uint64_t rec[64];
	struct bpftime_pt_regs regs;
	struct bpftime_run run = { .func_ip = 0 };
	if (a->sys_ctx == AGENT_SYS_RAW_TP) {
		memset(&regs, 0, sizeof(regs));
		regs.rdi = (uint64_t)args[0], regs.rsi = (uint64_t)args[1], regs.rdx = (uint64_t)args[2];
		regs.r10 = (uint64_t)args[3], regs.r8 = (uint64_t)args[4], regs.r9 = (uint64_t)args[5];
		regs.orig_rax = (uint64_t)nr;
		regs.rax = a->is_exit ? (uint64_t)ret : (uint64_t)-ENOSYS;
		rec[0] = (uint64_t)(uintptr_t)&regs;
		rec[1] = a->is_exit ? (uint64_t)ret : (uint64_t)nr;
		run.ctx_len = 16;
	} else {
		run.ctx_len = (uint32_t)bpftime_syscall_tp_fill(&a->tp, rec, nr, args, ret);
	}
	run.ctx = rec;
	int rc = bpftime_prog_run(a->prog->prog, &run);
	if (rc == 0 || rc == -EFAULT)
		bpftime_attach_hit(a->seg, a->id);
	else
		bpftime_attach_miss(a->seg, a->id);
}

static inline void run_list(const struct sys_list *l, long nr, const long args[6], long ret)
{
	if (l)
		for (uint32_t i = 0; i < l->n; i++)
			run_one(l->att[i], nr, args, ret);
}

static void dispatch(int dir, long nr, const long args[6], long ret)
{
	struct agent_reader *r = agent_read_enter();
	if (AGENT_UNLIKELY(r == NULL))
		return;
	const struct sys_table *t = __atomic_load_n(&sys_table, __ATOMIC_ACQUIRE);
	if (t) {
		run_list(t->all[dir], nr, args, ret);
		if ((unsigned long)nr < SYS_TABLE_NR)
			run_list(t->by_nr[dir][nr], nr, args, ret);
	}
	agent_read_leave(r);
}

static int on_enter(void *data, long nr, const long args[6], long *ret)
{
	(void)data, (void)ret;
	dispatch(0, nr, args, 0);
	return 0;
}

static void on_exit_(void *data, long nr, const long args[6], long ret)
{
	(void)data;
	dispatch(1, nr, args, ret);
}

int agent_syscalls_prepare(struct agent_att *a, char *err, size_t errlen)
{
	const char *cat = a->snap.target, *name = a->snap.symbol;
	a->is_exit = a->snap.kind == BPFTIME_ATTACH_SYSCALL_EXIT;
	if (strcmp(cat, "raw_tracepoint") == 0) {
		if (strcmp(name, a->is_exit ? "sys_exit" : "sys_enter") != 0)
			return snprintf(err, errlen, "raw_tracepoint/%s is not a syscall hook", name), -EINVAL;
		a->sys_ctx = AGENT_SYS_RAW_TP;
		a->sys_nr = BPFTIME_SYSCALL_ALL;
		return 0;
	}
	int rc = bpftime_syscall_tp_resolve(cat, name, &a->tp, err, errlen);
	if (rc)
		return rc;
	if (a->tp.is_exit != a->is_exit || a->tp.size > 512)
		return snprintf(err, errlen, "tracepoint %s/%s does not match an attachment of kind %s", cat, name,
				a->is_exit ? "syscall-exit" : "syscall-enter"), -EINVAL;
	a->sys_ctx = AGENT_SYS_TRACEFS;
	a->sys_nr = a->tp.nr;
	return 0;
}

int agent_syscalls_install(struct agent *ag, enum bpftime_syscall_mode mode, char *err, size_t errlen)
{
	if (ag->sys_mode != BPFTIME_SYSCALL_NONE)
		return 0;
	struct bpftime_syscall_opts o = { on_enter, on_exit_, NULL, mode };
	int rc = bpftime_syscall_install(&o, ag->sys_msg, sizeof(ag->sys_msg));
	if (rc == -EALREADY)
		snprintf(ag->sys_msg, sizeof(ag->sys_msg),
			 "syscall hooks cannot be installed again in a process they were removed from");
	if (rc) {
		snprintf(err, errlen, "%s", ag->sys_msg);
		agent_log(BPFTIME_LOG_WARN, "%s", ag->sys_msg);
		return rc;
	}
	ag->sys_mode = bpftime_syscall_mode_now();
	agent_uprobe_guard_syscalls(1);
	agent_log(ag->sys_mode == BPFTIME_SYSCALL_SUD ? BPFTIME_LOG_WARN : BPFTIME_LOG_INFO, "%s", ag->sys_msg);
	if (ag->sys_mode == BPFTIME_SYSCALL_SUD)
		agent_say("%s", ag->sys_msg);
	return 0;
}

static void list_add(struct sys_list **slot, struct agent_att *a)
{
	struct sys_list *old = *slot;
	uint32_t n = old ? old->n : 0;
	struct sys_list *l = realloc(old, sizeof(*l) + (n + 1) * sizeof(l->att[0]));
	if (!l)
		return;
	l->att[n] = a;
	l->n = n + 1;
	*slot = l;
}

static void table_free(struct sys_table *t)
{
	if (!t)
		return;
	for (int d = 0; d < 2; d++) {
		free(t->all[d]);
		for (int i = 0; i < SYS_TABLE_NR; i++)
			free(t->by_nr[d][i]);
	}
	free(t);
}

int agent_syscalls_publish(struct agent *ag)
{
	struct sys_table *t = NULL;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++) {
		struct agent_att *a = ag->atts[i];
		if (!a || !a->installed || (a->snap.kind != BPFTIME_ATTACH_SYSCALL_ENTER && a->snap.kind != BPFTIME_ATTACH_SYSCALL_EXIT))
			continue;
		if (!t && !(t = calloc(1, sizeof(*t))))
			return -ENOMEM;
		if (a->sys_nr == BPFTIME_SYSCALL_ALL)
			list_add(&t->all[a->is_exit], a);
		else if ((unsigned)a->sys_nr < SYS_TABLE_NR)
			list_add(&t->by_nr[a->is_exit][a->sys_nr], a);
	}
	struct sys_table *old = __atomic_exchange_n(&sys_table, t, __ATOMIC_ACQ_REL);
	int rc = agent_grace_period();
	if (rc == 0)
		table_free(old);
	return rc;
}

void agent_syscalls_uninstall(struct agent *ag)
{
	if (ag->sys_mode == BPFTIME_SYSCALL_NONE)
		return;
	char msg[256];
	int rc = bpftime_syscall_uninstall(msg, sizeof(msg));
	agent_log(rc ? BPFTIME_LOG_WARN : BPFTIME_LOG_INFO, "%s", msg);
	ag->sys_mode = BPFTIME_SYSCALL_NONE;
	agent_uprobe_guard_syscalls(0);
}
