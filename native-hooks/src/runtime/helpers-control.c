/* Helpers that run BPF code (src/helpers/kernel/control.ts): bpf_loop calls a function of the program per
 * iteration, in a frame below the caller's, with a budget of its own. */
#include <errno.h>

#include "helpers.h"

#define BPF_MAX_LOOPS (1ull << 23)

HELPER(loop)
{
	if (r4 != 0) return RET_ERR(EINVAL);
	if (r1 > BPF_MAX_LOOPS) return RET_ERR(E2BIG);
	for (uint64_t i = 0; i < r1; i++)
		if (rt_call_function(x, r2, i, r3, 0, 0, 0) == 1) return i + 1;
	return r1;
}
