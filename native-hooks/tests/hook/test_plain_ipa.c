// Registers across a probed call when the caller knows its callee (gcc -O2's interprocedural register allocation
// lets it keep values in caller-saved registers the callee does not touch). Built without sanitizers, whose
// instrumentation would make the callee clobber everything and hide the case.
#include "common.h"

/*
 * ipa_leaf is known to its caller (same unit, gcc -O2's interprocedural register allocation): the caller may keep
 * its own values in caller-saved registers the leaf does not touch, so the probes must give back every register.
 */
static __attribute__((noinline)) long ipa_leaf(long x)
{
	__asm__ volatile("");
	return x * 3 + 1;
}

static __attribute__((noinline)) long ipa_caller(long n)
{
	long s = 0;
	double d = 0.5;
	for (long i = 0; i < n; i++) {
		s += ipa_leaf(i);
		d *= 1.0001;
	}
	return s + (d > 0.5);
}

static void registers_across_call(void)
{
	long want = ipa_caller(1000);
	struct rec e = {0}, r = {0};
	struct bpftime_probe *pe = attach_ok((void *)ipa_leaf, BPFTIME_UPROBE, &e);
	struct bpftime_probe *pr = attach_ok((void *)ipa_leaf, BPFTIME_URETPROBE, &r);
	long got = ipa_caller(1000);
	CHECK(got == want, "the caller's registers changed: %ld, want %ld", got, want);
	CHECK(e.hits == 1000 && r.hits == 1000, "hits %ld %ld", e.hits, r.hits);
	detach_ok(pe);
	detach_ok(pr);
}

int main(void)
{
	RUN(registers_across_call);
	return DONE();
}
