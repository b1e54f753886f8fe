/*
 * bpftime_syscall.h: syscall hooks for the agent (docs/native.md, "syscall").
 *
 * Every syscall the process makes goes through two callbacks: enter (may skip the syscall with a value) and exit
 * (sees the result). Mechanism, chosen by bpftime_syscall_install:
 *   - zpoline (x86-64): every `syscall`/`sysenter` instruction of the executable file mappings is rewritten to
 *     `call *%rax`, landing in a trampoline page mapped at address 0 (needs vm.mmap_min_addr=0), which jumps to the
 *     handler. Covers all threads; libraries mapped later (dlopen) are rewritten when they are mapped.
 *   - Syscall User Dispatch (PR_SET_SYSCALL_USER_DISPATCH), when page 0 cannot be mapped or when asked: a SIGSYS
 *     per syscall redirected into the same handler. Slower; covers the installing thread and the threads and
 *     processes it creates afterwards, not threads that already exist.
 * Syscalls made by the agent are not traced: the object this library is linked into (the agent .so) is never
 * rewritten and is the region Syscall User Dispatch allows, its raw path is bpftime_syscall_raw, and a per-thread
 * guard (held while the callbacks run, or by bpftime_syscall_guard_enter) lets other syscalls through untraced.
 *
 * Link this static library into a shared object (the agent), not into the target executable: the object that
 * contains it is never rewritten, so code linked beside it would not be traced.
 *
 * Tracepoint contexts: bpftime_syscall_tp_resolve/bpftime_syscall_tp_fill build the records eBPF programs attached
 * to syscalls:sys_enter_NAME / sys_exit_NAME and raw_syscalls:sys_enter / sys_exit receive, laid out as tracefs
 * describes them (formats read from tracefs when it is mounted, the built-in layout otherwise).
 *
 * Errors: functions returning int give 0 or a negative errno, and write a lowercase message to (msg, msglen).
 */
#ifndef BPFTIME_SYSCALL_H
#define BPFTIME_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * bpftime_syscall_enter_fn is called before a syscall, on the thread making it, with the syscall number and its six
 * argument registers (rdi, rsi, rdx, r10, r8, r9). Returning nonzero skips the syscall: *ret is then its result
 * (a negative errno for an error, as the kernel returns). The guard is held: syscalls made inside are not traced.
 */
typedef int (*bpftime_syscall_enter_fn)(void *data, long nr, const long args[6], long *ret);

/*
 * bpftime_syscall_exit_fn is called after a syscall (or after a skipped one, with the value the enter callback
 * gave) with its result. Not called for syscalls that do not return (exit, exit_group, rt_sigreturn, a successful
 * execve); called in both parent and child of fork/vfork/clone (result 0 in the child).
 */
typedef void (*bpftime_syscall_exit_fn)(void *data, long nr, const long args[6], long ret);

/* bpftime_syscall_mode names the hook mechanism. */
enum bpftime_syscall_mode {
	BPFTIME_SYSCALL_NONE = 0, /* not installed */
	BPFTIME_SYSCALL_ZPOLINE = 1,
	BPFTIME_SYSCALL_SUD = 2,
	BPFTIME_SYSCALL_AUTO = 3, /* install: zpoline, or the fallback when page 0 cannot be mapped */
};

/* bpftime_syscall_opts configures bpftime_syscall_install. */
struct bpftime_syscall_opts {
	bpftime_syscall_enter_fn enter; /* may be NULL */
	bpftime_syscall_exit_fn exit;   /* may be NULL */
	void *data;                     /* passed to both */
	enum bpftime_syscall_mode mode; /* AUTO (default when 0 is given as NONE), ZPOLINE or SUD */
};

/*
 * bpftime_syscall_install installs the hooks for the whole process (once). Returns 0 and writes to msg a line the
 * agent must log (which mechanism, how many sites rewritten, and, when it fell back to Syscall User Dispatch, why);
 * or a negative errno with the reason in msg (nothing installed then). Call it from one thread, with no other
 * thread of the process inside the agent.
 */
int bpftime_syscall_install(const struct bpftime_syscall_opts *opts, char *msg, size_t msglen);

/*
 * bpftime_syscall_uninstall stops tracing: zpoline sites get their original bytes back, Syscall User Dispatch is
 * switched off for the calling thread (other threads pass through untraced). The trampoline page and the SIGSYS
 * handler stay (a thread may still be inside them): never unload the agent.
 */
int bpftime_syscall_uninstall(char *msg, size_t msglen);

/* bpftime_syscall_mode_now returns the installed mechanism. */
enum bpftime_syscall_mode bpftime_syscall_mode_now(void);

/* bpftime_syscall_stats counts what the installation did. */
struct bpftime_syscall_stats {
	uint64_t sites;    /* syscall instructions rewritten (zpoline), including later mappings */
	uint64_t mappings; /* executable mappings scanned */
	uint64_t skipped;  /* executable mappings left alone (vDSO, the agent, unreadable, anonymous) */
};

/* bpftime_syscall_get_stats fills *st. */
void bpftime_syscall_get_stats(struct bpftime_syscall_stats *st);

/*
 * bpftime_syscall_guard_enter / _leave bracket agent code whose syscalls must not be traced (nesting allowed, per
 * thread). Under Syscall User Dispatch they also let the thread's syscalls through without a SIGSYS.
 */
void bpftime_syscall_guard_enter(void);
void bpftime_syscall_guard_leave(void);

/* bpftime_syscall_raw makes a syscall that is never traced; returns the kernel's result (negative errno). */
long bpftime_syscall_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* Syscall tracepoint contexts ------------------------------------------------------------------------------------ */

/* bpftime_syscall_tp is a resolved syscall tracepoint: what a record of it contains and where. */
struct bpftime_syscall_tp {
	int nr;              /* the syscall number; -1 for raw_syscalls (every syscall) */
	int is_exit;         /* sys_exit (ret) rather than sys_enter (args) */
	int is_raw;          /* raw_syscalls: `long id` and `unsigned long args[6]` */
	int from_tracefs;    /* the layout and id come from tracefs (else the built-in layout, id 0) */
	uint16_t common_type; /* the event id tracefs gives (the record's common_type) */
	uint16_t size;        /* record size in bytes */
	uint16_t nr_off, nr_size;   /* __syscall_nr (syscalls) or id (raw_syscalls) */
	uint16_t ret_off;           /* sys_exit: the ret field */
	uint16_t nargs;             /* sys_enter: how many argument fields */
	uint16_t arg_off[6];
};

/*
 * bpftime_syscall_tp_resolve resolves a tracepoint given as category and name ("syscalls", "sys_enter_openat";
 * "raw_syscalls", "sys_exit"), reading its format from tracefs (/sys/kernel/tracing, /sys/kernel/debug/tracing)
 * when mounted. Returns 0, or -ENOENT with msg naming what is unknown.
 */
int bpftime_syscall_tp_resolve(const char *category, const char *name, struct bpftime_syscall_tp *tp, char *msg,
			       size_t msglen);

/*
 * bpftime_syscall_tp_fill writes tp's record for one syscall event into buf (at least tp->size bytes): the common
 * header (type, pid = the calling thread's id), the number, then the arguments (enter) or the result (exit).
 * Returns tp->size.
 */
size_t bpftime_syscall_tp_fill(const struct bpftime_syscall_tp *tp, void *buf, long nr, const long args[6], long ret);

/* bpftime_syscall_nr returns the number of the syscall named (without sys_ prefix), or -1. */
int bpftime_syscall_nr(const char *name);

/* bpftime_syscall_name returns the name of syscall nr, or NULL. */
const char *bpftime_syscall_name(long nr);

#ifdef __cplusplus
}
#endif
#endif
