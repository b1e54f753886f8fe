/*
 * syscall_bench.c: cost of the syscall hook per syscall, getppid N times, side by side: no hook, zpoline with
 * empty callbacks, zpoline building the tracepoint records, Syscall User Dispatch with empty callbacks. Each
 * configuration runs in a fresh child process (installing is process-wide), ROUNDS times, alternating. Inside a
 * child, batches of 1000 hooked calls (libc's syscall(), whose instruction is rewritten) alternate with batches of
 * the same call through the agent's never-hooked raw path, so the machine's noise (a shared, loaded VM) hits both
 * alike: the overhead is the difference. The "no hook" configuration measures the same pair with nothing
 * installed, the noise floor of the method. The last configuration skips the syscall in the enter callback: the
 * hook's whole userspace path (page 0, entry, dispatch, both callbacks) without the kernel. The anchor is the bare
 * mechanism: the same rewriting and page 0, whose stub jumps to three instructions that make the syscall and
 * return (no callbacks, no checks): what any zpoline costs on this machine.
 * Usage: syscall_bench [N] [ROUNDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpftime_syscall.h"

int bench_install(int mode, int record, char *msg, size_t len);
uint64_t bench_hits(long nr);
long bench_raw_getppid(void);

static const struct {
	const char *name;
	int mode, record;
	long n_div; /* SUD is ~50x slower: fewer iterations */
} configs[] = {
	{ "no hook", BPFTIME_SYSCALL_NONE, 0, 1 },
	{ "zpoline, empty callbacks", BPFTIME_SYSCALL_ZPOLINE, 0, 1 },
	{ "zpoline, tracepoint records", BPFTIME_SYSCALL_ZPOLINE, 1, 1 },
	{ "SUD, empty callbacks", BPFTIME_SYSCALL_SUD, 0, 20 },
	{ "zpoline, enter skips (no kernel)", BPFTIME_SYSCALL_ZPOLINE, 2, 1 },
	{ "bare page-0 trampoline (anchor)", BPFTIME_SYSCALL_ZPOLINE, 3, 1 },
};
#define NCONF (sizeof(configs) / sizeof(configs[0]))

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the time the thread was preempted (a loaded, shared VM) does not count */
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* run measures one configuration in this (child) process; writes {hooked, raw} ns per call to fd. */
static void run(int c, long n, int fd)
{
	char msg[512] = "";
	if (configs[c].mode != BPFTIME_SYSCALL_NONE && bench_install(configs[c].mode, configs[c].record, msg, sizeof(msg))) {
		fprintf(stderr, "%s: %s\n", configs[c].name, msg);
		_exit(1);
	}
	n /= configs[c].n_div;
	for (long i = 0; i < n / 10; i++)
		syscall(SYS_getppid);
	double hooked = 0, raw = 0;
	const long batch = 1000;
	for (long done = 0; done < n; done += batch) {
		double t0 = now();
		for (long i = 0; i < batch; i++)
			syscall(SYS_getppid);
		double t1 = now();
		for (long i = 0; i < batch; i++)
			bench_raw_getppid();
		double t2 = now();
		hooked += t1 - t0;
		raw += t2 - t1;
	}
	long calls = (n + batch - 1) / batch * batch;
	if (configs[c].record == 1 && bench_hits(SYS_getppid) < (uint64_t)calls) {
		fprintf(stderr, "%s: the callbacks missed syscalls\n", configs[c].name);
		_exit(1);
	}
	double out[2] = { hooked / (double)calls, raw / (double)calls };
	if (write(fd, out, sizeof(out)) != sizeof(out))
		_exit(1);
	_exit(0);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double hooked[NCONF][64], over[NCONF][64];
	if (rounds < 1 || rounds > 64)
		return 2;
	for (int r = 0; r < rounds; r++) {
		for (unsigned c = 0; c < NCONF; c++) {
			int p[2];
			if (pipe(p))
				return 1;
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				run((int)c, n, p[1]);
			}
			close(p[1]);
			double ns[2];
			int st;
			if (read(p[0], ns, sizeof(ns)) != sizeof(ns) || waitpid(pid, &st, 0) != pid || st) {
				fprintf(stderr, "%s: failed\n", configs[c].name);
				return 1;
			}
			close(p[0]);
			hooked[c][r] = ns[0];
			over[c][r] = ns[0] - ns[1];
		}
	}
	printf("getppid, %ld calls per round (SUD: /20), %d rounds; ns per call, median (min-max)\n", n, rounds);
	printf("  %-34s %-24s %s\n", "configuration", "per call", "overhead vs the raw path, interleaved");
	for (unsigned c = 0; c < NCONF; c++) {
		qsort(hooked[c], (size_t)rounds, sizeof(double), cmp);
		qsort(over[c], (size_t)rounds, sizeof(double), cmp);
		char a[64], b[64];
		snprintf(a, sizeof(a), "%.1f (%.1f-%.1f)", hooked[c][rounds / 2], hooked[c][0], hooked[c][rounds - 1]);
		snprintf(b, sizeof(b), "%+.1f (%+.1f..%+.1f)", over[c][rounds / 2], over[c][0], over[c][rounds - 1]);
		printf("  %-34s %-24s %s\n", configs[c].name, a, b);
	}
	return 0;
}
