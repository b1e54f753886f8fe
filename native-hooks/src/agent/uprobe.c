/*
 * uprobe.c: uprobe and uretprobe attachments through the hook component (bpftime_hook.h): the attachment's
 * BINARY:FUNC+OFF resolved in this process, a probe whose callback runs the program with the probe's pt_regs as its
 * context, counts the hit, and honours bpf_override_return at a function's entry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
/* The run path inline: a hit is this callback and the run as one function (docs/native.md, "A hit"). */
#include "../runtime/run-inline.h"

/* sys_guarded: the syscall hooks are installed, so a program's own syscalls (probe_read_user, helpers) must be
 * kept out of the syscall tracepoints (the syscall component's guard). */
static int sys_guarded;

static int on_probe(void *cookie, struct bpftime_pt_regs *regs)
{
	struct agent_att *a = cookie;
	if (AGENT_UNLIKELY(!__atomic_load_n(&a->run_enabled, __ATOMIC_RELAXED))) {
		agent_miss(a);
		return BPFTIME_HOOK_CONTINUE;
	}
	struct bpftime_run run = { .ctx = regs, .ctx_len = sizeof(*regs), .func_ip = a->func_ip };
	int guard = __atomic_load_n(&sys_guarded, __ATOMIC_RELAXED);
	if (guard)
		bpftime_syscall_guard_enter();
	int rc = rt_run(a->prog->prog, &run);
	if (guard)
		bpftime_syscall_guard_leave();
	if (rc != 0 && rc != -EFAULT) {
		agent_miss(a);
		return BPFTIME_HOOK_CONTINUE;
	}
	agent_hit(a);
	if (rc == 0 && (run.flags & BPFTIME_RUN_OVERRIDE) && a->override_ok) {
		regs->rax = run.override_value;
		return BPFTIME_HOOK_OVERRIDE;
	}
	return BPFTIME_HOOK_CONTINUE;
}

/* spec_of writes the function part of an attachment: "SYM", "SYM+OFF", or "0xOFF" (a file offset). */
static void spec_of(const struct bpftime_attach_entry *e, char *out, size_t len)
{
	if (e->symbol[0] && e->offset)
		snprintf(out, len, "%s+0x%" PRIx64, e->symbol, e->offset);
	else if (e->symbol[0])
		snprintf(out, len, "%s", e->symbol);
	else
		snprintf(out, len, "0x%" PRIx64, e->offset);
}

int agent_uprobe_install(struct agent_att *a, char *err, size_t errlen)
{
	char fn[sizeof(a->snap.symbol) + 24];
	spec_of(&a->snap, fn, sizeof(fn));
	struct bpftime_resolved r;
	struct bpftime_hook_error he = { 0, "" };
	int rc = bpftime_resolve(a->snap.target[0] ? a->snap.target : NULL, fn, &r, &he);
	if (rc) {
		snprintf(err, errlen, "%s", he.msg);
		return rc;
	}
	a->func_ip = r.func ? r.func : r.addr;
	a->override_ok = a->snap.kind == BPFTIME_ATTACH_UPROBE && r.is_entry;
	enum bpftime_probe_kind kind = a->snap.kind == BPFTIME_ATTACH_URETPROBE ? BPFTIME_URETPROBE : BPFTIME_UPROBE;
	/* NO_VECTOR: on_probe, the runtime, the maps and the programs use no vector register (built with
	 * -mgeneral-regs-only; slow paths save them: docs/native.md, "Vector registers"), so the stub need not save
	 * xmm0-15, about half of a hook's cost. */
	a->probe = bpftime_probe_attach((void *)r.addr, kind, on_probe, a,
					(r.is_entry ? BPFTIME_PROBE_ENTRY : 0) | BPFTIME_PROBE_NO_VECTOR, &he);
	if (!a->probe) {
		snprintf(err, errlen, "%s", he.msg);
		return he.code ? he.code : -EINVAL;
	}
	return 0;
}

void agent_uprobe_uninstall(struct agent_att *a)
{
	struct bpftime_hook_error he = { 0, "" };
	if (a->probe && bpftime_probe_detach(a->probe, &he) != 0)
		agent_log(BPFTIME_LOG_WARN, "detaching %s %s:%s: %s", a->snap.kind == BPFTIME_ATTACH_URETPROBE ? "uretprobe" : "uprobe",
			  a->snap.target, a->snap.symbol, he.msg);
	a->probe = NULL;
}

void agent_uprobe_guard_syscalls(int on)
{
	__atomic_store_n(&sys_guarded, on, __ATOMIC_RELAXED);
}
