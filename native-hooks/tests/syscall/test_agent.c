/*
 * test_agent.c: a minimal agent for the syscall hook tests. It is a shared object (as the real agent is) holding
 * libbpftime_syscall.a; its callbacks record every event into an array the test program reads, and exercise what
 * the real agent does inside a callback (libc calls that make syscalls, which must not be traced, and SSE code).
 */
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpftime_syscall.h"
#include "test_agent.h"

#define MAXEV (1 << 19)
static struct ta_event evs[MAXEV];
static atomic_ulong nev;

static void record(int kind, long nr, const long a[6], long ret)
{
	unsigned long i = atomic_fetch_add(&nev, 1);
	if (i >= MAXEV)
		return;
	struct ta_event *e = &evs[i];
	e->kind = kind;
	e->tid = (int)bpftime_syscall_raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	e->nr = nr;
	memcpy(e->args, a, sizeof(e->args));
	e->ret = ret;
	atomic_store_explicit(&e->done, 1, memory_order_release);
}

static int on_enter(void *data, long nr, const long a[6], long *ret)
{
	(void)data;
	record(TA_ENTER, nr, a, 0);
	if (nr == SYS_getppid) {
		sched_yield(); /* the agent's own syscall: never seen */
		/* Clobber vector registers as compiled programs and libc routines do: the hook must preserve them. */
		__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm8, %%xmm8\n\tpxor %%xmm15, %%xmm15" ::: "xmm0", "xmm8", "xmm15");
		if (a[0] == TA_SKIP_MARKER) {
			*ret = TA_SKIP_VALUE;
			return 1;
		}
	}
	return 0;
}

static void on_exit_(void *data, long nr, const long a[6], long ret)
{
	(void)data;
	record(TA_EXIT, nr, a, ret);
}

int ta_install(int mode, char *msg, size_t len)
{
	struct bpftime_syscall_opts o = { on_enter, on_exit_, NULL, (enum bpftime_syscall_mode)mode };
	return bpftime_syscall_install(&o, msg, len);
}

int ta_uninstall(char *msg, size_t len)
{
	return bpftime_syscall_uninstall(msg, len);
}

const struct ta_event *ta_events(unsigned long *n)
{
	unsigned long k = atomic_load(&nev);
	*n = k < MAXEV ? k : MAXEV;
	return evs;
}

void ta_reset(void)
{
	atomic_store(&nev, 0);
	memset(evs, 0, sizeof(evs));
}

mode_t ta_guarded_umask(mode_t m)
{
	bpftime_syscall_guard_enter();
	mode_t old = umask(m);
	bpftime_syscall_guard_leave();
	return old;
}

long ta_raw(long nr, long a1)
{
	return bpftime_syscall_raw(nr, a1, 0, 0, 0, 0, 0);
}

int ta_mode(void)
{
	return bpftime_syscall_mode_now();
}
