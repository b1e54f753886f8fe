/* Internal structures of the agent (docs/native.md, "agent"), shared by its files. */
#ifndef BPFTIME_AGENT_INTERNAL_H
#define BPFTIME_AGENT_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "bpftime.h"
#include "bpftime_hook.h"
#include "bpftime_runtime.h"
#include "bpftime_shm.h"
#include "bpftime_syscall.h"

#define AGENT_HIDDEN __attribute__((visibility("hidden")))
#define AGENT_LIKELY(x) __builtin_expect(!!(x), 1)
#define AGENT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* A program of the session loaded in this process (index: program id - 1). */
struct agent_prog {
	uint32_t id;                      /* 0: not loaded */
	char hash[BPFTIME_NAME_LEN];      /* content hash when loaded: a reused id with other code is reloaded */
	struct bpftime_prog *prog;
	const uint32_t *enabled;          /* the segment entry's `enabled` word, read on every hit */
	uint32_t users;                   /* installed attachments running it */
	uint32_t runtime_disabled;        /* the runtime disabled it after a trap (re-enabled with the segment) */
};

/* Context kinds of syscall attachments. */
enum agent_sys_ctx {
	AGENT_SYS_TRACEFS = 0, /* syscalls:sys_enter_NAME / sys_exit_NAME or raw_syscalls:sys_enter / sys_exit */
	AGENT_SYS_RAW_TP = 1,  /* raw_tracepoint/sys_enter, sys_exit: struct bpf_raw_tracepoint_args {regs, id|ret} */
};

/* An attachment of the session as this process sees it (index: attachment id - 1). */
struct agent_att {
	struct bpftime_attach_entry snap; /* the entry when it was installed or refused: its identity */
	uint32_t id;
	int installed;                    /* 1: hooked; 0: refused or not applicable here (see snap) */
	int pending;                      /* a uprobe whose binary this process does not map (yet): tried again */
	struct agent_prog *prog;
	uint32_t run_enabled;             /* the program's `enabled` in the segment, copied by the control thread (a hit
					     reads this, not a cache line of the segment's program table) */
	struct bpftime_seg *seg;
	uint64_t *counters;               /* this attachment's counters of CPU 0 (counters.h) */
	uint64_t counters_stride;         /* bytes from one CPU's counters to the next's */
	uint32_t ncpus;                   /* CPUs with counters (the segment creator's count) */
	/* uprobes */
	struct bpftime_probe *probe;
	uint64_t func_ip;                 /* bpf_get_func_ip: the probed function */
	int override_ok;                  /* an entry probe at a function's first byte: bpf_override_return works */
	/* syscalls */
	int is_exit;
	int sys_nr;                       /* or BPFTIME_SYSCALL_ALL */
	enum agent_sys_ctx sys_ctx;
	struct bpftime_syscall_tp tp;
};

/* The agent's state in this process (one). */
struct agent {
	pthread_mutex_t lock;             /* start, stop, reconcile */
	struct bpftime_runtime *rt;       /* created once, kept across sessions (its reservation stays) */
	struct bpftime_seg *seg;          /* NULL when not attached */
	char session[BPFTIME_NAME_LEN];
	uint32_t agent_id;
	enum bpftime_agent_mode mode;
	int quiet;
	/* syscall hooks: wanted at start (env), and installed mechanism */
	int sys_env;                      /* 0 no, 1 auto, 2 sud, -1 never */
	enum bpftime_syscall_mode sys_mode;
	char sys_msg[256];
	/* the control thread */
	pthread_t thread;
	int thread_live;
	int stop;                         /* ask the control thread to leave */
	int installed;                    /* install_locked ran for this session */
	uint32_t seen_gen;
	struct agent_prog progs[BPFTIME_MAX_PROGS];
	struct agent_att *atts[BPFTIME_MAX_ATTACH];
	uint32_t hooks;                   /* installed attachments */
	int pending;                      /* uprobes waiting for their binary to be mapped */
	uint64_t retried_ms;              /* when they were last tried (CLOCK_MONOTONIC) */
};

extern struct agent agent_state AGENT_HIDDEN;

/* agent.c */
void agent_say(const char *fmt, ...) AGENT_HIDDEN __attribute__((format(printf, 1, 2)));
void agent_log(enum bpftime_log_kind kind, const char *fmt, ...) AGENT_HIDDEN __attribute__((format(printf, 2, 3)));

/* progs.c */
struct agent_prog *agent_prog_get(struct agent *ag, uint32_t id, char *err, size_t errlen) AGENT_HIDDEN;
void agent_prog_put(struct agent *ag, struct agent_prog *p) AGENT_HIDDEN;
void agent_progs_sync(struct agent *ag) AGENT_HIDDEN;

/* reconcile.c */
int agent_reconcile(struct agent *ag) AGENT_HIDDEN;
int agent_retry_pending(struct agent *ag) AGENT_HIDDEN;
void agent_uninstall_all(struct agent *ag) AGENT_HIDDEN;
int agent_session_has_syscalls(struct agent *ag) AGENT_HIDDEN;

/* uprobe.c */
int agent_uprobe_install(struct agent_att *a, char *err, size_t errlen) AGENT_HIDDEN;
void agent_uprobe_uninstall(struct agent_att *a) AGENT_HIDDEN;
/* agent_uprobe_guard_syscalls tells the probes whether the syscall hooks are installed (programs' syscalls are then
 * kept out of the syscall tracepoints). */
void agent_uprobe_guard_syscalls(int on) AGENT_HIDDEN;

/* syscalls.c */
int agent_syscalls_prepare(struct agent_att *a, char *err, size_t errlen) AGENT_HIDDEN;
int agent_syscalls_install(struct agent *ag, enum bpftime_syscall_mode mode, char *err, size_t errlen) AGENT_HIDDEN;
/* agent_syscalls_publish: the table of installed syscall attachments; 0 when no callback reads the old one any more
 * (removed attachments may be freed), -ENOSYS when that cannot be known (keep them). */
int agent_syscalls_publish(struct agent *ag) AGENT_HIDDEN;
void agent_syscalls_uninstall(struct agent *ag) AGENT_HIDDEN;

/* qsbr.c: grace periods for the syscall dispatch table */
int agent_grace_init(void) AGENT_HIDDEN;
int agent_grace_period(void) AGENT_HIDDEN; /* -ENOSYS without membarrier: the caller must not free */



#endif
