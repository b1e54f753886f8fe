/* tap.h: TAP output for the C tests (`ok N - what` / `not ok N - what`, then the plan; exit status 1 on a failure). */
#ifndef TESTS_SYSCALL_TAP_H
#define TESTS_SYSCALL_TAP_H

#include <stdio.h>

static int tap_failed, tap_count;

#define CHECK(cond, ...)                                                                                             \
	do {                                                                                                          \
		int ok_ = (cond);                                                                                     \
		tap_count++;                                                                                          \
		tap_failed += !ok_;                                                                                   \
		printf("%s %d - ", ok_ ? "ok" : "not ok", tap_count);                                                \
		printf(__VA_ARGS__);                                                                                  \
		printf("\n");                                                                                         \
		fflush(stdout);                                                                                       \
	} while (0)

/* tap_done prints the plan and returns the exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
