/*
 * sud.c: the Syscall User Dispatch fallback (PR_SET_SYSCALL_USER_DISPATCH), used when page 0 cannot be mapped.
 * The kernel turns every syscall made outside the allowed region (the agent's code) into a SIGSYS while the
 * thread's selector byte says BLOCK. The handler does not make the syscall from signal context: it edits the
 * interrupted context to look as if the syscall instruction had been `call *%rax` through the zpoline page (return
 * address pushed, red zone stepped over) and resumes at the same entry, so every special case (clone stacks, vfork,
 * rt_sigreturn) is handled once. The handler's own rt_sigreturn goes through a restorer in the allowed region.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "internal.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

/* The kernel's struct sigaction (rt_sigaction with an 8-byte mask), which glibc's sigaction() would not let us give
 * our own restorer. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
#define KSA_RESTORER 0x04000000UL
#define SIGSYS_BIT (1ULL << (SIGSYS - 1))

/* The program's own SIGSYS disposition (seccomp's SIGSYS goes there). */
static struct ksigaction chained = { SIG_DFL, 0, 0, 0 };

ZP_FRAME_CODE static void sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	if (si->si_code != SYS_USER_DISPATCH) {
		if (chained.handler == SIG_IGN)
			return;
		if (chained.handler != SIG_DFL) {
			if (chained.flags & SA_SIGINFO)
				((void (*)(int, siginfo_t *, void *))chained.handler)(sig, si, ucv);
			else
				((void (*)(int))chained.handler)(sig);
			return;
		}
		struct ksigaction dfl = { SIG_DFL, 0, 0, 0 };
		bpftime_syscall_raw(SYS_rt_sigaction, SIGSYS, (long)&dfl, 0, 8, 0, 0);
		return; /* the faulting syscall is made again, now with the default action: the process ends as it would */
	}
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t sp = (uint64_t)g[REG_RSP] - 8;
	*(uint64_t *)sp = (uint64_t)g[REG_RIP]; /* RIP is already past the syscall instruction */
	g[REG_RSP] = (greg_t)(sp - ZP_REDZONE);
	g[REG_RAX] = si->si_syscall;
	g[REG_RIP] = (greg_t)(uintptr_t)&bpftime_zp_entry;
}

static long arm(void)
{
	return bpftime_syscall_raw(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (long)zp.self_lo,
				   (long)(zp.self_hi - zp.self_lo), (long)&zp_tls.selector, 0);
}

int zp_sud_install(char *msg, size_t len)
{
	struct ksigaction sa = { (void *)sigsys, SA_SIGINFO | KSA_RESTORER, (void *)bpftime_zp_restorer, ~0ULL };
	long r = bpftime_syscall_raw(SYS_rt_sigaction, SIGSYS, (long)&sa, (long)&chained, 8, 0, 0);
	if (r)
		return zp_msg(msg, len, (int)r, "cannot install the SIGSYS handler: %s", strerror((int)-r));
	zp_tls.selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	r = arm();
	if (r) {
		bpftime_syscall_raw(SYS_rt_sigaction, SIGSYS, (long)&chained, 0, 8, 0, 0);
		return zp_msg(msg, len, (int)r, "Syscall User Dispatch refused: %s (kernel 5.11+ with CONFIG_SYSCALL_USER_DISPATCH)",
			      strerror((int)-r));
	}
	return 0;
}

void zp_sud_thread_start(void)
{
	zp_tls.selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	if (arm() == 0 && zp_tls.guard == 0 && zp.active)
		zp_tls.selector = SYSCALL_DISPATCH_FILTER_BLOCK;
}

int zp_sud_uninstall(void)
{
	zp_tls.selector = SYSCALL_DISPATCH_FILTER_ALLOW;
	return (int)bpftime_syscall_raw(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
}

int zp_sud_filter(long nr, const long *args, long *ret)
{
	if (nr == SYS_rt_sigprocmask && args[1] && args[0] != SIG_UNBLOCK) {
		uint64_t set;
		memcpy(&set, (const void *)args[1], 8);
		if (!(set & SIGSYS_BIT))
			return 0;
		set &= ~SIGSYS_BIT; /* a blocked SIGSYS would make the next dispatched syscall fatal */
		*ret = bpftime_syscall_raw(nr, args[0], (long)&set, args[2], args[3], 0, 0);
		return 1;
	}
	if (nr != SYS_rt_sigaction)
		return 0;
	if (args[0] == SIGSYS && !args[1]) { /* a query: the program's own disposition, not ours */
		if (args[2])
			memcpy((void *)args[2], &chained, sizeof(chained));
		*ret = 0;
		return 1;
	}
	if (!args[1])
		return 0;
	struct ksigaction act;
	memcpy(&act, (const void *)args[1], sizeof(act));
	if (args[0] == SIGSYS) { /* the program's handler is kept and called for the SIGSYS that are not ours */
		if (args[2])
			memcpy((void *)args[2], &chained, sizeof(chained));
		chained = act;
		*ret = 0;
		return 1;
	}
	if (!(act.mask & SIGSYS_BIT))
		return 0;
	act.mask &= ~SIGSYS_BIT;
	*ret = bpftime_syscall_raw(nr, args[0], (long)&act, args[2], args[3], 0, 0);
	return 1;
}
