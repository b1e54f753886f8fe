/*
 * agent.c: the library the injection tests load. Its constructor and bpftime_agent_main say so on the target's
 * stderr. ARG "refuse" makes bpftime_agent_main refuse; ARG "syscalls" installs the syscall hooks (zpoline) in the
 * running target and counts its writes to stdout, reported by the destructor at the target's exit. Built twice:
 * with the entry point, and with -DNO_ENTRY (constructor only).
 */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpftime_syscall.h"

static unsigned long writes;
static int installed;

__attribute__((constructor)) static void ctor(void)
{
	dprintf(2, "inject agent: constructor in process %d\n", getpid());
}

#ifndef NO_ENTRY
static void on_exit_(void *d, long nr, const long a[6], long ret)
{
	(void)d;
	if (nr == SYS_write && a[0] == 1 && ret > 0)
		__atomic_fetch_add(&writes, 1, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) const char *bpftime_agent_main(const char *arg);
const char *bpftime_agent_main(const char *arg)
{
	dprintf(2, "inject agent: main(%s)\n", arg ? arg : "null");
	if (arg && !strcmp(arg, "refuse"))
		return "refusing as asked";
	if (arg && !strcmp(arg, "syscalls")) {
		static char msg[512];
		struct bpftime_syscall_opts o = { NULL, on_exit_, NULL, BPFTIME_SYSCALL_AUTO };
		if (bpftime_syscall_install(&o, msg, sizeof(msg)))
			return msg;
		installed = 1;
		dprintf(2, "inject agent: %s\n", msg);
	}
	return NULL;
}
#endif

__attribute__((destructor)) static void dtor(void)
{
	if (installed)
		dprintf(2, "inject agent: saw %lu writes to stdout\n", writes);
}
