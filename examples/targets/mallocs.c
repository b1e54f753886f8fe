// SPDX-License-Identifier: MIT
/*
 * A target for malloc-sizes.bpf.c and malloc-fail.bpf.c: makes a fixed set of malloc calls and prints, as JSON, what
 * it did, so a test can compare the programs' maps with it. It makes no other malloc call of its own: standard output
 * is unbuffered (no stdio buffer to allocate) and written with write(2).
 *   mallocs           the calls of `plan` below: {"calls": {"CLASS": N, ...}}
 *   mallocs inject    malloc(4242) and malloc(100) alternately, 200 times: {"null": N, "ok": M} (NULL results)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct { unsigned long size; int count; } plan[] = {
	{ 8, 300 }, { 24, 1000 }, { 100, 500 }, { 1000, 200 }, { 5000, 50 }, { 70000, 10 }, { 1 << 20, 3 },
};

/* class is the size class malloc-sizes.bpf.c counts: the request rounded up to a power of two, at least 16. */
static unsigned long class(unsigned long size)
{
	unsigned long c = 16;
	while (c < size)
		c <<= 1;
	return c;
}

static void out(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(2);
}

int main(int argc, char **argv)
{
	char buf[512];
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "inject") == 0) {
		int null = 0, ok = 0;
		for (int i = 0; i < 200; i++) {
			void *p = malloc(i % 2 ? 100 : 4242);
			if (p == NULL)
				null++;
			else
				ok++;
			free(p);
		}
		snprintf(buf, sizeof(buf), "{\"null\": %d, \"ok\": %d}\n", null, ok);
		out(buf);
		return 0;
	}
	unsigned long classes[16] = { 0 }, counts[16] = { 0 };
	int n = 0;
	for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
		for (int k = 0; k < plan[i].count; k++) {
			void *p = malloc(plan[i].size);
			if (p == NULL)
				return 1;
			((volatile char *)p)[0] = 1;
			free(p);
		}
		int j = 0;
		while (j < n && classes[j] != class(plan[i].size))
			j++;
		if (j == n)
			classes[n++] = class(plan[i].size);
		counts[j] += (unsigned long)plan[i].count;
	}
	int len = snprintf(buf, sizeof(buf), "{\"calls\": {");
	for (int j = 0; j < n; j++)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s\"%lu\": %lu", j ? ", " : "", classes[j], counts[j]);
	snprintf(buf + len, sizeof(buf) - (size_t)len, "}}\n");
	out(buf);
	return 0;
}
