// SPDX-License-Identifier: MIT
/*
 * A target for funclatency.bpf.c: calls work() N times (default 20); call i sleeps for 50 us << (i % 5), and the
 * target measures each call itself. It prints, as JSON, each call's latency in ns, so a test can compare the
 * program's histogram with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

__attribute__((noinline)) int work(long us)
{
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };
	return nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	printf("{\"ns\": [");
	for (int i = 0; i < n; i++) {
		unsigned long long t0 = now();
		work(50L << (i % 5));
		printf("%s%llu", i ? ", " : "", now() - t0);
	}
	printf("]}\n");
	return 0;
}
