// A minimal test harness for the C tests: CHECK records a failure with its location, RUN prints TAP-like lines.
#ifndef HOOK_TEST_CHECK_H
#define HOOK_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>

static int check_failures, check_current;

#define CHECK(cond, ...)                                                                                         \
	do {                                                                                                     \
		if (!(cond)) {                                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
			fprintf(stderr, __VA_ARGS__);                                                            \
			fputc('\n', stderr);                                                                     \
			check_failures++;                                                                        \
			check_current++;                                                                         \
		}                                                                                                \
	} while (0)

#define RUN(fn)                                                                                                  \
	do {                                                                                                     \
		check_current = 0;                                                                               \
		fn();                                                                                            \
		printf("%s - %s\n", check_current ? "not ok" : "ok", #fn);                                       \
		fflush(stdout);                                                                                  \
	} while (0)

#define DONE() (printf("%s\n", check_failures ? "FAILED" : "PASSED"), check_failures ? 1 : 0)

#endif
