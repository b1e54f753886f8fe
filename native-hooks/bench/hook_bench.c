// Overhead of the hook component's probes (docs/native.md "hook": numbers; bench/RESULTS.md).
//
// A loop calls an ordinary noinline function N times; each variant attaches its probes (callbacks that return at
// once, or do one relaxed atomic add; with BPFTIME_PROBE_NO_VECTOR on a twin function) and times the loop, all variants side by side in one process, repeated in
// rounds; each measure is the best of 20 batches; the table gives the median and the minimum over the rounds of
// ns per call and the overhead over no probe.
//   build/bench/hook_bench [calls-per-measure] [rounds]
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpftime_hook.h"

/* Ordinary functions (the probe sites, one per kind of stub): gcc -O2 gives them a multi-instruction body. */
#define TARGET(name)                                                                                             \
	__attribute__((noinline)) long name(long a, long b)                                                      \
	{                                                                                                        \
		__asm__ volatile("");                                                                            \
		return a * 3 + (b ^ (a >> 7));                                                                   \
	}
TARGET(bench_target)
TARGET(bench_target_novec)
typedef long (*target_fn)(long, long);

static volatile long sink;
static _Atomic long counter;

static int empty(void *c, struct bpftime_pt_regs *r)
{
	(void)c, (void)r;
	return BPFTIME_HOOK_CONTINUE;
}

static int count(void *c, struct bpftime_pt_regs *r)
{
	(void)c;
	atomic_fetch_add_explicit(&counter, (long)r->rdi & 1, memory_order_relaxed);
	return BPFTIME_HOOK_CONTINUE;
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* run: ns per call over n calls: the best of BATCHES batches (a shared machine preempts the long ones). */
#define BATCHES 20
static double run_once(target_fn f, long n);
static double run(target_fn f, long n)
{
	double best = 1e30;
	for (int b = 0; b < BATCHES; b++) {
		double x = run_once(f, n / BATCHES);
		if (x < best)
			best = x;
	}
	return best;
}

static double run_once(target_fn f, long n)
{
	long s = 0;
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		s += f(i, 1);
	double t1 = now_ns();
	sink = s;
	return (t1 - t0) / (double)n;
}

struct variant {
	const char *name;
	int entry, ret; /* probes of each kind */
	bpftime_hook_fn fn;
	unsigned flags;
	double *ns;
};

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	struct variant v[] = {
		{"no probe", 0, 0, empty, 0, NULL},
		{"uprobe (empty callback)", 1, 0, empty, 0, NULL},
		{"uretprobe (empty callback)", 0, 1, empty, 0, NULL},
		{"uprobe + uretprobe (empty)", 1, 1, empty, 0, NULL},
		{"uprobe (atomic add callback)", 1, 0, count, 0, NULL},
		{"uprobe + uretprobe (atomic add)", 1, 1, count, 0, NULL},
		{"NO_VECTOR uprobe (empty)", 1, 0, empty, BPFTIME_PROBE_NO_VECTOR, NULL},
		{"NO_VECTOR uretprobe (empty)", 0, 1, empty, BPFTIME_PROBE_NO_VECTOR, NULL},
		{"NO_VECTOR uprobe + uretprobe (empty)", 1, 1, empty, BPFTIME_PROBE_NO_VECTOR, NULL},
		{"NO_VECTOR uprobe (atomic add)", 1, 0, count, BPFTIME_PROBE_NO_VECTOR, NULL},
	};
	size_t nv = sizeof v / sizeof v[0];
	for (size_t i = 0; i < nv; i++)
		v[i].ns = calloc((size_t)rounds, sizeof(double));
	run(bench_target, n / 10); /* warm-up */
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < nv; i++) {
			struct bpftime_hook_error err;
			struct bpftime_probe *e = NULL, *x = NULL;
			target_fn f = v[i].flags & BPFTIME_PROBE_NO_VECTOR ? bench_target_novec : bench_target;
			if (v[i].entry && !(e = bpftime_probe_attach((void *)f, BPFTIME_UPROBE, v[i].fn, NULL,
								     v[i].flags, &err)))
				return fprintf(stderr, "attach: %s\n", err.msg), 1;
			if (v[i].ret && !(x = bpftime_probe_attach((void *)f, BPFTIME_URETPROBE, v[i].fn, NULL,
								   v[i].flags, &err)))
				return fprintf(stderr, "attach: %s\n", err.msg), 1;
			run(f, n / 20);
			v[i].ns[r] = run(f, n);
			if (e)
				bpftime_probe_detach(e, NULL);
			if (x)
				bpftime_probe_detach(x, NULL);
		}
	printf("%ld calls per measure, %d rounds (variants alternate within each round)\n\n", n, rounds);
	printf("| variant | median ns/call | min ns/call | overhead (median) | overhead (min) |\n|---|---:|---:|---:|---:|\n");
	qsort(v[0].ns, (size_t)rounds, sizeof(double), cmp);
	double base_med = v[0].ns[rounds / 2], base_min = v[0].ns[0];
	for (size_t i = 0; i < nv; i++) {
		if (i)
			qsort(v[i].ns, (size_t)rounds, sizeof(double), cmp);
		printf("| %s | %.2f | %.2f | %+.2f | %+.2f |\n", v[i].name, v[i].ns[rounds / 2], v[i].ns[0],
		       v[i].ns[rounds / 2] - base_med, v[i].ns[0] - base_min);
	}
	return 0;
}
