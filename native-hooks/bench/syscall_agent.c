/*
 * syscall_agent.c: the agent side of the syscall hook benchmark (bench/syscall_bench.c). Two kinds of callbacks:
 * empty ones (the hook's own cost), and ones doing what the agent does around a small program for
 * syscalls:sys_enter_NAME / sys_exit_NAME: look up the attachment by number, build the tracefs record, count.
 */
#include <stdint.h>
#include <string.h>

#include "../src/syscall/internal.h"

/* The anchor: page 0's stub jumps here, to a syscall and a return over the red zone the stub stepped over. */
__asm__(".text\n"
	"bench_bare_entry:\n"
	"\tsyscall\n"
	"\tlea 128(%rsp), %rsp\n"
	"\tret\n");
void bench_bare_entry(void);

#define API __attribute__((visibility("default")))

static int empty_enter(void *d, long nr, const long a[6], long *ret)
{
	(void)d, (void)nr, (void)a, (void)ret;
	return 0;
}

static void empty_exit(void *d, long nr, const long a[6], long ret)
{
	(void)d, (void)nr, (void)a, (void)ret;
}

static int skip_enter(void *d, long nr, const long a[6], long *ret)
{
	(void)d, (void)a;
	*ret = nr == 110 ? 1 : 0;
	return nr == 110;
}

static struct bpftime_syscall_tp tp_enter, tp_exit;
static uint64_t hits[512];

static int rec_enter(void *d, long nr, const long a[6], long *ret)
{
	(void)d, (void)ret;
	if ((unsigned long)nr < 512 && nr == tp_enter.nr) {
		uint64_t rec[16];
		bpftime_syscall_tp_fill(&tp_enter, rec, nr, a, 0);
		__atomic_fetch_add(&hits[nr], rec[1] != 0, __ATOMIC_RELAXED);
	}
	return 0;
}

static void rec_exit(void *d, long nr, const long a[6], long ret)
{
	(void)d;
	if ((unsigned long)nr < 512 && nr == tp_exit.nr) {
		uint64_t rec[8];
		bpftime_syscall_tp_fill(&tp_exit, rec, nr, a, ret);
		__atomic_fetch_add(&hits[nr], rec[2] != 0, __ATOMIC_RELAXED);
	}
}

/* bench_install installs the hooks: mode as bpftime_syscall_mode; kind 0 empty callbacks, 1 the record-building
 * ones, 2 an enter callback that skips getppid (the hook's whole cost without entering the kernel), 3 the bare
 * mechanism (internals of the library: page 0 pointing at bench_bare_entry, then the same rewriting). */
API int bench_install(int mode, int record, char *msg, size_t len)
{
	if (record == 3) {
		int rc = zp_page_map(bench_bare_entry, msg, len);
		return rc ? rc : zp_rewrite_all(msg, len);
	}
	if (record == 1) {
		if (bpftime_syscall_tp_resolve("syscalls", "sys_enter_getppid", &tp_enter, msg, len) ||
		    bpftime_syscall_tp_resolve("syscalls", "sys_exit_getppid", &tp_exit, msg, len))
			return -1;
	}
	struct bpftime_syscall_opts o = { record == 1 ? rec_enter : record == 2 ? skip_enter : empty_enter,
					  record == 1 ? rec_exit : empty_exit, NULL, (enum bpftime_syscall_mode)mode };
	return bpftime_syscall_install(&o, msg, len);
}

API uint64_t bench_hits(long nr)
{
	return hits[nr];
}

/* bench_raw_getppid makes getppid through the agent's own, never hooked, path: the baseline measured alongside. */
API long bench_raw_getppid(void)
{
	return bpftime_syscall_raw(110, 0, 0, 0, 0, 0, 0);
}
