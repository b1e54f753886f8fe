// Exceptions and forced unwinding through frames whose return address a return probe replaced.
//
// The DWARF unwinder (libgcc: C++ throw, pthread_exit/pthread_cancel) finds a frame's caller from its return
// address; the return stub has no unwind information, so unwinding would stop there (std::terminate, skipped
// cleanups). As uftrace does, the hook component puts entry probes of its own on the unwinder's entry points: when a
// thread starts unwinding, the original return addresses of its live frames are written back and its shadow stack
// is emptied. The unwinder then sees the real stack; the return probes of those frames do not run (counted in
// stale_shadow), frames that survive (below the catch) return normally.
#include <errno.h>
#include <string.h>

#include "hook_internal.h"
#include "thread.h"

/* The unwinder's entry points: throw, rethrow, forced unwind (pthread_exit, pthread_cancel). */
static const char *const entry_points[] = {"_Unwind_RaiseException", "_Unwind_Resume_or_Rethrow",
					   "_Unwind_ForcedUnwind"};
/* Where the unwinder may be: the shared libgcc, or linked into the executable (-static-libgcc). */
static const char *const binaries[] = {"libgcc_s.so.1", NULL};

#define MAX_HOOKED 8
static uintptr_t hooked[MAX_HOOKED];
static struct bpftime_probe *probes[MAX_HOOKED]; /* kept for the life of the process */
static int n_hooked;

/* restore_frames: an unwind begins on this thread: give the live frames their return addresses back. */
static int restore_frames(void *cookie, struct bpftime_pt_regs *regs)
{
	(void)cookie;
	struct bpftime_thread *t = bpftime_thread_self();
	uint32_t n = t->depth;
	for (uint32_t d = n; d-- > 0;) {
		struct bpftime_shadow_entry *e = &t->shadow[d];
		/* only slots above the unwinder's own frame: lower ones are dead stack, maybe reused by this call;
		 * top-down, so that chained entries sharing a slot end with the outermost original address */
		if (e->slot > regs->rsp && *(uintptr_t *)e->slot == e->site->landing)
			*(uintptr_t *)e->slot = e->ret;
	}
	t->depth = 0;
	if (n)
		atomic_fetch_add_explicit(&bpftime_stat_stale, n, memory_order_relaxed);
	return BPFTIME_HOOK_CONTINUE;
}

static int already(uintptr_t a)
{
	for (int i = 0; i < n_hooked; i++)
		if (hooked[i] == a)
			return 1;
	return 0;
}

int bpftime_unwind_guard(struct bpftime_hook_error *err)
{
	for (size_t b = 0; b < sizeof binaries / sizeof binaries[0]; b++)
		for (size_t k = 0; k < sizeof entry_points / sizeof entry_points[0]; k++) {
			struct bpftime_resolved r;
			if (bpftime_resolve(binaries[b], entry_points[k], &r, NULL) != 0 || already(r.addr))
				continue; /* not in this process (a C program without libgcc_s), or done */
			if (n_hooked == MAX_HOOKED)
				return bpftime_set_error(err, -ENOSPC, "too many unwinder entry points");
			struct bpftime_hook_error e;
			if (!(probes[n_hooked] = bpftime_attach_internal((void *)r.addr, restore_frames, &e)))
				return bpftime_set_error(err, e.code, "return probes need a probe on the unwinder's %s "
							 "(%s): %s", entry_points[k], r.path, e.msg);
			hooked[n_hooked++] = r.addr;
		}
	return 0;
}
