// Shared helpers of the hook tests: a recording callback and byte snapshots of probed code.
#ifndef HOOK_TEST_COMMON_H
#define HOOK_TEST_COMMON_H
#include <string.h>

#include "bpftime_hook.h"
#include "check.h"

/** rec: what a recording callback saw. */
struct rec {
	long hits;
	struct bpftime_pt_regs last;
	int action; /* returned by the callback */
	long override_rax;
};

static __attribute__((unused)) int record(void *cookie, struct bpftime_pt_regs *regs)
{
	struct rec *r = cookie;
	__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
	r->last = *regs;
	if (r->action == BPFTIME_HOOK_OVERRIDE)
		regs->rax = (uint64_t)r->override_rax;
	return r->action;
}

/** attach_ok: attach or fail the test with the error message. */
static __attribute__((unused)) struct bpftime_probe *attach_ok(void *addr, enum bpftime_probe_kind kind, struct rec *r)
{
	struct bpftime_hook_error err = {0};
	struct bpftime_probe *p = bpftime_probe_attach(addr, kind, record, r, 0, &err);
	CHECK(p != NULL, "attach %p: %s", addr, err.msg);
	return p;
}

static __attribute__((unused)) void detach_ok(struct bpftime_probe *p)
{
	struct bpftime_hook_error err = {0};
	if (p)
		CHECK(bpftime_probe_detach(p, &err) == 0, "detach: %s", err.msg);
}

/** snapshot: the first 32 bytes of a function (to compare after detach). */
struct snap {
	unsigned char b[32];
};
static __attribute__((unused)) struct snap snapshot(const void *f)
{
	struct snap s;
	memcpy(s.b, f, sizeof s.b);
	return s;
}
static __attribute__((unused)) int same_bytes(const void *f, const struct snap *s) { return memcmp(f, s->b, sizeof s->b) == 0; }
#endif
