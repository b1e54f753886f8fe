/* test_agent.h: what the test programs call in the test agent (test_agent.c). */
#ifndef TEST_AGENT_H
#define TEST_AGENT_H

#include <stddef.h>
#include <sys/types.h>

#define TA_API __attribute__((visibility("default")))
enum { TA_ENTER = 1, TA_EXIT = 2 };
#define TA_SKIP_MARKER 0x5eedL
#define TA_SKIP_VALUE 4242L

/* ta_event is one recorded callback. */
struct ta_event {
	int kind, tid, done;
	long nr, args[6], ret;
};

TA_API int ta_install(int mode, char *msg, size_t len);
TA_API int ta_uninstall(char *msg, size_t len);
TA_API const struct ta_event *ta_events(unsigned long *n);
TA_API void ta_reset(void);
TA_API mode_t ta_guarded_umask(mode_t m);
TA_API long ta_raw(long nr, long a1);
TA_API int ta_mode(void);

#endif
