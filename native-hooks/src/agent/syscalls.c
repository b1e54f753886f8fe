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

#include "counters.h"
#include "qsbr.h"
/* The run path inline, as in uprobe.c: one code page fewer for a traced syscall to touch after its TLB flush. */
#include "../runtime/run-inline.h"

#define SYS_TABLE_NR 512 /* syscall numbers with their own list; others are seen by the all-syscalls lists only */

/* One installed attachment as the dispatch needs it: a copy, so a syscall touches the table and nothing else of
 * the agent (on kernels that flush the TLB at every syscall, PTI without PCID, each page touched afterwards costs a
 * page walk). */
struct sys_ent {
	struct bpftime_prog *prog;
	uint64_t *counters;
	uint64_t counters_stride;
	uint32_t ncpus;
	uint8_t raw_tp;
	uint8_t is_exit;
	uint8_t enabled;
	struct bpftime_syscall_tp tp;
};

/* A run of entries: `first` and `n` in ents. */
struct sys_run {
	uint16_t first, n;
};

/* The table, one allocation: runs by direction ([0] enter, [1] exit), every syscall's then each number's. */
struct sys_table {
	struct sys_run all[2];
	struct sys_run by_nr[SYS_TABLE_NR][2];
	struct sys_ent ents[];
};

/* What a syscall reads first, 144 bytes: the table and which numbers have entries (a syscall nobody traces
 * goes no further). The bits may be stale in either direction: the table, read inside a grace period, decides. */
static struct {
	struct sys_table *table;
	uint32_t all[2];
	uint64_t bits[2][SYS_TABLE_NR / 64];
} hot __attribute__((aligned(64)));

/* run_one runs one attachment's program on a syscall event. */
static void run_one(const struct sys_ent *e, long nr, const long args[6], long ret)
{
	if (AGENT_UNLIKELY(!e->enabled)) {
		agent_counter_add(e->counters, e->counters_stride, e->ncpus, 1);
		return;
	}
	uint64_t rec[64];
	struct bpftime_pt_regs regs;
	struct bpftime_run run = { .func_ip = 0 };
	if (e->raw_tp) {
		memset(&regs, 0, sizeof(regs));
		regs.rdi = (uint64_t)args[0], regs.rsi = (uint64_t)args[1], regs.rdx = (uint64_t)args[2];
		regs.r10 = (uint64_t)args[3], regs.r8 = (uint64_t)args[4], regs.r9 = (uint64_t)args[5];
		regs.orig_rax = (uint64_t)nr;
		regs.rax = e->is_exit ? (uint64_t)ret : (uint64_t)-ENOSYS;
		rec[0] = (uint64_t)(uintptr_t)&regs;
		rec[1] = e->is_exit ? (uint64_t)ret : (uint64_t)nr;
		run.ctx_len = 16;
	} else {
		run.ctx_len = (uint32_t)bpftime_syscall_tp_fill(&e->tp, rec, nr, args, ret);
	}
	run.ctx = rec;
	int rc = rt_run(e->prog, &run);
	agent_counter_add(e->counters, e->counters_stride, e->ncpus, rc == 0 || rc == -EFAULT ? 0 : 1);
}

static inline void run_list(const struct sys_table *t, struct sys_run r, long nr, const long args[6], long ret)
{
	for (uint32_t i = 0; i < r.n; i++)
		run_one(&t->ents[r.first + i], nr, args, ret);
}

static void dispatch(int dir, long nr, const long args[6], long ret)
{
	int mine = (unsigned long)nr < SYS_TABLE_NR && (__atomic_load_n(&hot.bits[dir][nr >> 6], __ATOMIC_RELAXED) >> (nr & 63)) & 1;
	if (AGENT_LIKELY(!mine && !__atomic_load_n(&hot.all[dir], __ATOMIC_RELAXED)))
		return;
	struct agent_reader *r = agent_read_enter();
	if (AGENT_UNLIKELY(r == NULL))
		return;
	const struct sys_table *t = __atomic_load_n(&hot.table, __ATOMIC_ACQUIRE);
	if (t) {
		run_list(t, t->all[dir], nr, args, ret);
		if ((unsigned long)nr < SYS_TABLE_NR)
			run_list(t, t->by_nr[nr][dir], nr, args, ret);
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
	/* Nothing traced until agent_syscalls_publish says what: every syscall takes zpoline's straight path. */
	static const uint64_t none[BPFTIME_SYSCALL_TRACED_WORDS];
	bpftime_syscall_set_traced(none, 0);
	agent_uprobe_guard_syscalls(1);
	agent_log(ag->sys_mode == BPFTIME_SYSCALL_SUD ? BPFTIME_LOG_WARN : BPFTIME_LOG_INFO, "%s", ag->sys_msg);
	if (ag->sys_mode == BPFTIME_SYSCALL_SUD)
		agent_say("%s", ag->sys_msg);
	return 0;
}

static int is_sys(const struct agent_att *a)
{
	return a && a->installed &&
	       (a->snap.kind == BPFTIME_ATTACH_SYSCALL_ENTER || a->snap.kind == BPFTIME_ATTACH_SYSCALL_EXIT);
}

/* key orders entries: every-syscall ones first, then by number; exit after enter. */
static int key(const struct agent_att *a)
{
	return (a->sys_nr == BPFTIME_SYSCALL_ALL ? 0 : 1 + a->sys_nr) * 2 + a->is_exit;
}

int agent_syscalls_publish(struct agent *ag)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++)
		n += is_sys(ag->atts[i]) && (ag->atts[i]->sys_nr == BPFTIME_SYSCALL_ALL || (unsigned)ag->atts[i]->sys_nr < SYS_TABLE_NR);
	struct sys_table *t = NULL;
	uint32_t all[2] = { 0, 0 };
	uint64_t bits[2][SYS_TABLE_NR / 64];
	memset(bits, 0, sizeof(bits));
	if (n && !(t = calloc(1, sizeof(*t) + n * sizeof(t->ents[0]))))
		return -ENOMEM;
	/* Entries grouped by (number, direction): a counting pass over the keys, in key order. */
	for (int k = 0, at = 0; t && k < (SYS_TABLE_NR + 1) * 2; k++) {
		struct sys_run run = { (uint16_t)at, 0 };
		for (uint32_t i = 0; i < BPFTIME_MAX_ATTACH; i++) {
			const struct agent_att *a = ag->atts[i];
			if (!is_sys(a) || key(a) != k)
				continue;
			t->ents[at++] = (struct sys_ent){ .prog = a->prog->prog, .counters = a->counters,
				.counters_stride = a->counters_stride, .ncpus = a->ncpus, .raw_tp = a->sys_ctx == AGENT_SYS_RAW_TP,
				.is_exit = (uint8_t)a->is_exit, .enabled = (uint8_t)a->run_enabled, .tp = a->tp };
			run.n++;
		}
		if (!run.n)
			continue;
		int dir = k & 1, nr = k / 2 - 1;
		if (nr < 0) {
			t->all[dir] = run;
			all[dir] = 1;
		} else {
			t->by_nr[nr][dir] = run;
			bits[dir][nr >> 6] |= 1ull << (nr & 63);
		}
	}
	struct sys_table *old = __atomic_exchange_n(&hot.table, t, __ATOMIC_ACQ_REL);
	for (int d = 0; d < 2; d++) {
		__atomic_store_n(&hot.all[d], all[d], __ATOMIC_RELEASE);
		for (int w = 0; w < SYS_TABLE_NR / 64; w++)
			__atomic_store_n(&hot.bits[d][w], bits[d][w], __ATOMIC_RELEASE);
	}
	/* After the table: a number that becomes traced reaches the dispatch only once the table has its entries. */
	uint64_t want[BPFTIME_SYSCALL_TRACED_WORDS];
	for (int w = 0; w < BPFTIME_SYSCALL_TRACED_WORDS; w++)
		want[w] = bits[0][w] | bits[1][w];
	_Static_assert(SYS_TABLE_NR == 64 * BPFTIME_SYSCALL_TRACED_WORDS, "the table and the hook's filter cover the same numbers");
	bpftime_syscall_set_traced(want, all[0] || all[1]);
	int rc = agent_grace_period();
	if (rc == 0)
		free(old);
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
