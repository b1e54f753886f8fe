// Uprobes on functions with various prologues: relocation, arguments in pt_regs, refusals, exact detach.
#include <errno.h>

#include "common.h"
#include "targets.h"

typedef long (*fn2)(long, long);

/* probe_call: attach to f, call it, check result and pt_regs, detach, check bytes and that the probe is gone. */
static void probe_call(const char *name, void *f, long a, long b, long want)
{
	struct snap before = snapshot(f);
	struct rec r = {0};
	struct bpftime_probe *p = attach_ok(f, BPFTIME_UPROBE, &r);
	if (!p)
		return;
	CHECK(!same_bytes(f, &before), "%s: not patched", name);
	long got = ((fn2)f)(a, b);
	CHECK(got == want, "%s: returned %ld, want %ld", name, got, want);
	CHECK(r.hits == 1, "%s: %ld hits", name, r.hits);
	CHECK(r.last.rdi == (uint64_t)a && r.last.rsi == (uint64_t)b, "%s: args %lu %lu", name,
	      (unsigned long)r.last.rdi, (unsigned long)r.last.rsi);
	CHECK(r.last.rip == (uintptr_t)f, "%s: rip %#lx", name, (unsigned long)r.last.rip);
	CHECK(r.last.rsp % 16 == 8, "%s: rsp %#lx is not a function entry's", name, (unsigned long)r.last.rsp);
	CHECK(r.last.cs == 0x33 && r.last.ss == 0x2b && r.last.orig_rax == (uint64_t)-1, "%s: cs/ss/orig_rax", name);
	detach_ok(p);
	CHECK(same_bytes(f, &before), "%s: detach did not restore the bytes", name);
	CHECK(((fn2)f)(a, b) == want && r.hits == 1, "%s: probe still active after detach", name);
}

static void prologues(void)
{
	probe_call("endbr64", (void *)t_endbr, 11, 22, 33);
	probe_call("push rbp", (void *)t_pushrbp, 6, 7, 42);
	probe_call("rip-relative mov", (void *)t_riprel, 5, 0, 1005);
	probe_call("rip-relative lea", (void *)t_riplea, 5, 0, 2005);
	probe_call("jcc taken", (void *)t_jcc, 0, 0, 2);
	probe_call("jcc not taken", (void *)t_jcc, 1, 0, 1);
	probe_call("call first", (void *)t_callfirst, 20, 0, 41);
	probe_call("shared library", (void *)hooktarget_mul, 6, 9, 54);
}

static void refusals(void)
{
	struct bpftime_hook_error err = {0};
	struct rec r = {0};
	struct snap s = snapshot((void *)t_short);
	CHECK(bpftime_probe_attach((void *)t_short, BPFTIME_UPROBE, record, &r, 0, &err) == NULL, "short accepted");
	CHECK(err.code == -EINVAL && strstr(err.msg, "too short"), "short: %d %s", err.code, err.msg);
	CHECK(same_bytes((void *)t_short, &s), "short: bytes changed");
	s = snapshot((void *)t_jmpback);
	CHECK(bpftime_probe_attach((void *)t_jmpback, BPFTIME_UPROBE, record, &r, 0, &err) == NULL, "jmpback accepted");
	CHECK(err.code == -EINVAL && strstr(err.msg, "jumps into"), "jmpback: %d %s", err.code, err.msg);
	CHECK(same_bytes((void *)t_jmpback, &s) && t_jmpback(3) == 0, "jmpback: bytes changed");
	s = snapshot((void *)t_shared);
	CHECK(bpftime_probe_attach((void *)t_shared, BPFTIME_UPROBE, record, &r, 0, &err) == NULL, "shared accepted");
	CHECK(err.code == -EINVAL && strstr(err.msg, "jumps into") && strstr(err.msg, "function-"),
	      "a jump from another function: %d %s", err.code, err.msg);
	CHECK(same_bytes((void *)t_shared, &s) && t_side(0, 4) == 5, "shared: bytes changed");
	CHECK(bpftime_probe_attach(t_flags_probe, BPFTIME_URETPROBE, record, &r, 0, &err) == NULL,
	      "uretprobe inside a function accepted");
	CHECK(err.code == -EINVAL && strstr(err.msg, "not a function entry"), "uretprobe offset: %s", err.msg);
}

/* clobber: a callback that changes flags and the vector registers, as compiled C may. */
static volatile double sink;
static int clobber(void *cookie, struct bpftime_pt_regs *regs)
{
	volatile double x = 0.5, y = 3.0;
	for (int i = 0; i < 4; i++)
		x = x * y + (double)i;
	sink = x;
	(*(long *)cookie)++;
	/* asking an override inside a function must be ignored */
	return regs->rdi == 10 ? BPFTIME_HOOK_OVERRIDE : BPFTIME_HOOK_CONTINUE;
}

static void state_preserved(void)
{
	struct bpftime_hook_error err = {0};
	long hits = 0;
	struct bpftime_probe *p = bpftime_probe_attach(t_flags_probe, BPFTIME_UPROBE, clobber, &hits, 0, &err);
	CHECK(p, "flags probe: %s", err.msg);
	CHECK(t_flags(10) == 1 && t_flags(1) == 0 && t_flags(5) == 0, "flags not preserved at an offset probe");
	CHECK(hits == 3, "flags probe hits %ld", hits);
	if (p)
		bpftime_probe_detach(p, NULL);
	p = bpftime_probe_attach(t_redzone_probe, BPFTIME_UPROBE, clobber, &hits, 0, &err);
	CHECK(p, "red zone probe: %s", err.msg);
	CHECK(t_redzone(30, 12) == 42, "red zone clobbered: %ld", t_redzone(30, 12));
	if (p)
		bpftime_probe_detach(p, NULL);
	p = bpftime_probe_attach((void *)t_fadd, BPFTIME_UPROBE, clobber, &hits, 0, &err);
	CHECK(p, "fadd probe: %s", err.msg);
	double d = t_fadd(1.5, 2.25);
	CHECK(d == 3.75, "xmm arguments clobbered: %f", d);
	if (p)
		bpftime_probe_detach(p, NULL);
}

static void multiple_probes(void)
{
	struct snap s = snapshot((void *)t_pushrbp);
	struct rec a = {0}, b = {0};
	struct bpftime_probe *pa = attach_ok((void *)t_pushrbp, BPFTIME_UPROBE, &a);
	struct bpftime_probe *pb = attach_ok((void *)t_pushrbp, BPFTIME_UPROBE, &b);
	CHECK(t_pushrbp(2, 3) == 6 && a.hits == 1 && b.hits == 1, "two probes: %ld %ld", a.hits, b.hits);
	detach_ok(pa);
	CHECK(!same_bytes((void *)t_pushrbp, &s), "unpatched while a probe remains");
	CHECK(t_pushrbp(2, 3) == 6 && a.hits == 1 && b.hits == 2, "after one detach: %ld %ld", a.hits, b.hits);
	detach_ok(pb);
	CHECK(same_bytes((void *)t_pushrbp, &s), "bytes not restored");
	for (int i = 0; i < 50; i++) { /* re-attaching reuses the site and its trampoline */
		pa = attach_ok((void *)t_pushrbp, BPFTIME_UPROBE, &a);
		CHECK(t_pushrbp(1, 1) == 1, "re-attach %d", i);
		detach_ok(pa);
	}
	CHECK(a.hits == 51 && same_bytes((void *)t_pushrbp, &s), "re-attach: %ld hits", a.hits);
}

/* no_vector: BPFTIME_PROBE_NO_VECTOR sites skip saving xmm registers; probes at one address must agree. */
static void no_vector(void)
{
	struct snap s = snapshot((void *)t_endbr);
	struct bpftime_hook_error err = {0};
	struct rec a = {0}, b = {0};
	struct bpftime_probe *pa = bpftime_probe_attach((void *)t_endbr, BPFTIME_URETPROBE, record, &a,
							BPFTIME_PROBE_NO_VECTOR, &err);
	CHECK(pa, "attach no-vector: %s", err.msg);
	CHECK(t_endbr(2, 3) == 5 && a.hits == 1 && a.last.rax == 5, "no-vector return probe: %ld", a.hits);
	CHECK(!bpftime_probe_attach((void *)t_endbr, BPFTIME_UPROBE, record, &b, 0, &err) && err.code == -EBUSY &&
		      strstr(err.msg, "NO_VECTOR"),
	      "a vector-using probe joined a no-vector site: %s", err.msg);
	detach_ok(pa);
	CHECK(same_bytes((void *)t_endbr, &s), "bytes not restored");
	struct bpftime_probe *pb = attach_ok((void *)t_endbr, BPFTIME_UPROBE, &b); /* a new, vector-saving site */
	CHECK(t_endbr(2, 3) == 5 && b.hits == 1, "vector-saving probe after the no-vector site: %ld", b.hits);
	pa = bpftime_probe_attach((void *)t_endbr, BPFTIME_UPROBE, record, &a, BPFTIME_PROBE_NO_VECTOR, &err);
	CHECK(pa, "a no-vector probe may join a vector-saving site: %s", err.msg);
	CHECK(t_endbr(2, 3) == 5 && a.hits == 2 && b.hits == 2, "both probes: %ld %ld", a.hits, b.hits);
	detach_ok(pa);
	detach_ok(pb);
	CHECK(same_bytes((void *)t_endbr, &s), "bytes not restored");
}

int main(void)
{
	RUN(prologues);
	RUN(refusals);
	RUN(state_preserved);
	RUN(multiple_probes);
	RUN(no_vector);
	return DONE();
}
