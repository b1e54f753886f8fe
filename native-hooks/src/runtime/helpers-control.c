/* Helpers that run BPF code or guard it (src/helpers/kernel/control.ts): bpf_loop calls a function of the program
 * per iteration, in a frame below the caller's, with a budget of its own; bpf_spin_lock and bpf_spin_unlock take
 * the segment's lock word in a map value (threads and processes run programs at once here, unlike in the
 * TypeScript runtime). As the verifier requires, a run holds at most one lock and releases it: a second lock or an
 * unlock of another lock traps, and a lock still held when the run ends (or traps) is released then. */
#include <errno.h>

#include "bpftime_maps.h"
#include "helpers.h"

#define SPIN_LOCK_SIZE 4

HELPER(spin_lock)
{
	void *lock = rt_guest_ptr(x, r1, SPIN_LOCK_SIZE, 1);
	if (x->th->lock_held) rt_helper_fault(x, "bpf_spin_lock while this run holds a lock already");
	bpftime_spin_lock(lock);
	x->th->lock_held = lock;
	return 0;
}

HELPER(spin_unlock)
{
	void *lock = rt_guest_ptr(x, r1, SPIN_LOCK_SIZE, 1);
	if (x->th->lock_held != lock) rt_helper_fault(x, "bpf_spin_unlock of a lock this run does not hold");
	x->th->lock_held = NULL;
	bpftime_spin_unlock(lock);
	return 0;
}

#define BPF_MAX_LOOPS (1ull << 23)

HELPER(loop)
{
	if (r4 != 0) return RET_ERR(EINVAL);
	if (r1 > BPF_MAX_LOOPS) return RET_ERR(E2BIG);
	for (uint64_t i = 0; i < r1; i++)
		if (rt_call_function(x, r2, i, r3, 0, 0, 0) == 1) return i + 1;
	return r1;
}
