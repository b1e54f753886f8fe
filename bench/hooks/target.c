// SPDX-License-Identifier: MIT
/*
 * The target of `npm run bench -- hooks` (bench/hooks.ts): times N calls of an ordinary noinline function
 * (`target fn N`) or N getppid syscalls through libc (`target sys N`) in the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID: kernel time of a trap or a syscall included, time descheduled on the shared machine not),
 * the best of BATCHES batches, and prints {"ns": ns per call}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCHES 7

/* The probed function: gcc -O2 gives it a few instructions; its result feeds the next call. */
__attribute__((noinline)) long bench_fn(long a)
{
	__asm__ volatile("");
	return a * 3 + 1;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int sys = strcmp(argv[1], "sys") == 0;
	long n = atol(argv[2]) / BATCHES, acc = 0;
	double best = 1e30;
	for (int b = 0; b < BATCHES; b++) {
		double t0 = now_ns();
		if (sys)
			for (long i = 0; i < n; i++)
				acc += getppid();
		else
			for (long i = 0; i < n; i++)
				acc = bench_fn(acc);
		double ns = (now_ns() - t0) / (double)n;
		if (ns < best)
			best = ns;
	}
	printf("{\"ns\": %.2f, \"acc\": %ld}\n", best, acc & 1);
	return 0;
}
