/* inject.h: the parts of bpftime-inject (docs/native.md, "inject"). */
#ifndef BPFTIME_INJECT_H
#define BPFTIME_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* Exit statuses of bpftime-inject, which the control plane maps to its errors. */
enum {
	INJ_OK = 0,
	INJ_FAIL = 1,     /* anything else (the message says what) */
	INJ_USAGE = 2,
	INJ_PERM = 3,     /* ptrace refused: privilege */
	INJ_NOPROC = 4,   /* no such process, or it ended during the injection */
	INJ_DLOPEN = 5,   /* dlopen failed in the target (dlerror's message) */
	INJ_AGENT = 6,    /* the agent's bpftime_agent_main refused */
};

/* inj_err is an error: the exit status and a lowercase message. */
struct inj_err {
	int status;
	char msg[512];
};

/* inj_fail fills e and returns its status. */
int inj_fail(struct inj_err *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* inj_symbol finds the address of a function exported by a library mapped in process pid (libc.so.6 first, then
 * the others), from /proc/PID/maps and the libraries' ELF dynamic symbols. lib receives the library's path. */
int inj_symbol(pid_t pid, const char *name, uint64_t *addr, char *lib, size_t liblen, struct inj_err *e);

/* inj_thread is a thread of the target stopped under ptrace, with its state saved to be restored exactly. */
struct inj_thread {
	pid_t pid, tid;
	int memfd;                       /* /proc/PID/mem */
	struct user_regs_struct regs;    /* as stopped */
	uint8_t xstate[8192];            /* FPU/SSE/AVX state (NT_X86_XSTATE) */
	size_t xstate_len;
	uint64_t scratch_lo, scratch_hi; /* target stack bytes we use, saved below */
	uint8_t saved[4096];
	uint64_t scratch_next;           /* allocation cursor (grows down) */
	int pending_sig;                 /* a signal that arrived while we held the thread: delivered at detach */
	int seized;                      /* what inj_detach has to undo: the seize, then what was saved */
	int have_regs, have_xstate, have_stack;
};

/* inj_attach seizes and stops one thread of pid; inj_detach restores it and lets it go. */
int inj_attach(struct inj_thread *t, pid_t pid, struct inj_err *e);
int inj_detach(struct inj_thread *t, struct inj_err *e);

/* inj_push_string copies s into the target's scratch area; returns its target address (0 when it does not fit). */
uint64_t inj_push_string(struct inj_thread *t, const char *s);

/* inj_call calls fn(a0, a1, a2) in the stopped thread and waits for its return value. */
int inj_call(struct inj_thread *t, uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *ret, struct inj_err *e);

/* inj_read_string reads a NUL-terminated string of the target (at most len-1 bytes). */
int inj_read_string(struct inj_thread *t, uint64_t addr, char *buf, size_t len);

#endif
