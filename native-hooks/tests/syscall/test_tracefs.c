/*
 * test_tracefs.c: syscall tracepoint records (TAP). Usage: test_tracefs [builtin]
 * With tracefs mounted the layouts must be the kernel's (compared with the format files, parsed here
 * independently); with `builtin` (run where tracefs is not mounted, e.g. in a mount namespace without it) they must
 * be the built-in ones of src/loader/contexts.ts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpftime_syscall.h"
#include "tap.h"


/* kernel_id reads the event id from tracefs independently of the library. */
static int kernel_id(const char *cat, const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "/sys/kernel/tracing/events/%s/%s/id", cat, name);
	FILE *f = fopen(p, "r");
	int id = -1;
	if (f) {
		if (fscanf(f, "%d", &id) != 1)
			id = -1;
		fclose(f);
	}
	return id;
}

int main(int argc, char **argv)
{
	int builtin = argc > 1 && !strcmp(argv[1], "builtin");
	struct bpftime_syscall_tp tp;
	char msg[256];
	long args[6] = { -100, 0x1234, 0x42, 0644, 5, 6 };
	unsigned char rec[128];

	CHECK(bpftime_syscall_nr("openat") == SYS_openat && bpftime_syscall_nr("clone3") == SYS_clone3 &&
		      bpftime_syscall_nr("nope") == -1 && !strcmp(bpftime_syscall_name(SYS_write), "write"),
	      "syscall names and numbers from <asm/unistd_64.h>");

	int rc = bpftime_syscall_tp_resolve("syscalls", "sys_enter_openat", &tp, msg, sizeof(msg));
	CHECK(rc == 0 && tp.nr == SYS_openat && !tp.is_exit && tp.from_tracefs == !builtin, "resolve sys_enter_openat (%s)",
	      rc ? msg : builtin ? "built-in" : "tracefs");
	if (builtin) {
		CHECK(tp.size == 64 && tp.nr_off == 8 && tp.nr_size == 8 && tp.nargs == 6 && tp.arg_off[0] == 16 &&
			      tp.arg_off[5] == 56 && tp.common_type == 0,
		      "built-in sys_enter layout: contexts.ts SYS_ENTER (64 bytes, id at 8, args at 16)");
	} else {
		CHECK(tp.size == 48 && tp.nr_off == 8 && tp.nr_size == 4 && tp.nargs == 4 && tp.arg_off[0] == 16 &&
			      tp.arg_off[3] == 40 && tp.common_type == kernel_id("syscalls", "sys_enter_openat"),
		      "tracefs sys_enter_openat: 48 bytes, int __syscall_nr at 8, 4 args at 16..40, id %d", tp.common_type);
	}
	size_t n = bpftime_syscall_tp_fill(&tp, rec, SYS_openat, args, 0);
	int pid, nr32;
	unsigned short type;
	long a2;
	memcpy(&type, rec, 2);
	memcpy(&pid, rec + 4, 4);
	memcpy(&nr32, rec + 8, 4);
	memcpy(&a2, rec + tp.arg_off[2], 8);
	CHECK(n == tp.size && type == tp.common_type && pid == (int)syscall(SYS_gettid) && nr32 == SYS_openat &&
		      a2 == 0x42,
	      "sys_enter record: common_type, common_pid = tid, __syscall_nr, args");

	rc = bpftime_syscall_tp_resolve("syscalls", "sys_exit_openat", &tp, msg, sizeof(msg));
	long ret;
	n = bpftime_syscall_tp_fill(&tp, rec, SYS_openat, args, -ENOENT);
	memcpy(&ret, rec + 16, 8);
	CHECK(rc == 0 && tp.is_exit && tp.size == (builtin ? 24 : 24) && tp.ret_off == 16 && ret == -ENOENT &&
		      n == tp.size,
	      "sys_exit_openat: ret at 16, record of 24 bytes");

	rc = bpftime_syscall_tp_resolve("raw_syscalls", "sys_enter", &tp, msg, sizeof(msg));
	long id, a5;
	bpftime_syscall_tp_fill(&tp, rec, SYS_write, args, 0);
	memcpy(&id, rec + 8, 8);
	memcpy(&a5, rec + 56, 8);
	CHECK(rc == 0 && tp.is_raw && tp.nr == -1 && tp.size == 64 && tp.nr_size == 8 && id == SYS_write && a5 == 6,
	      "raw_syscalls:sys_enter: long id at 8, args[6] at 16 (64 bytes)");
	rc = bpftime_syscall_tp_resolve("raw_syscalls", "sys_exit", &tp, msg, sizeof(msg));
	CHECK(rc == 0 && tp.is_exit && tp.ret_off == 16 && tp.size == 24, "raw_syscalls:sys_exit: ret at 16");

	rc = bpftime_syscall_tp_resolve("syscalls", "sys_enter_nope", &tp, msg, sizeof(msg));
	CHECK(rc == -ENOENT && strstr(msg, "no syscall named nope"), "unknown syscall: %s", msg);
	rc = bpftime_syscall_tp_resolve("sched", "sched_switch", &tp, msg, sizeof(msg));
	CHECK(rc == -ENOENT && strstr(msg, "not a syscall tracepoint"), "not a syscall tracepoint: %s", msg);
	return tap_done();
}
