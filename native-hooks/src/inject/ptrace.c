/*
 * ptrace.c: holding one thread of the target and making it call functions (docs/native.md, "inject"). The thread
 * is seized and interrupted (PTRACE_SEIZE + PTRACE_INTERRUPT: no signal is sent that the target could see), its
 * registers (general and the whole FPU/SSE/AVX state) and the stack bytes we use are saved, and each call returns to
 * a non-canonical address: the `ret` faults, and the SIGSEGV stop (which the target never sees) says the call is
 * done. At the end everything saved is put back and the thread resumes where it was; a syscall it was blocked in
 * is restarted by the kernel as after any signal stop. One thread is enough: dlopen is thread-safe, the other
 * threads run on undisturbed, and the agent's constructor runs on this one.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inject.h"

#define RET_MAGIC 0xdead0000bee50000ULL /* non-canonical: returning there faults */
#define REDZONE 128

int inj_fail(struct inj_err *e, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->status = status;
	return status;
}

static int ptrace_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* tracer_of returns the process already tracing pid (TracerPid in /proc/PID/status), or 0. */
static int tracer_of(pid_t pid)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	FILE *f = fopen(p, "re");
	int tracer = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	if (f)
		fclose(f);
	return tracer;
}

static int perm_error(struct inj_err *e, pid_t pid)
{
	int tracer = tracer_of(pid);
	if (tracer > 0)
		return inj_fail(e, INJ_PERM, "ptrace process %d: it is already traced by process %d (a debugger?)", pid, tracer);
	int scope = ptrace_scope();
	char why[160];
	if (scope < 0)
		snprintf(why, sizeof(why), "no Yama LSM here: the target must run as your user and not be privileged");
	else
		snprintf(why, sizeof(why), "kernel.yama.ptrace_scope is %d (%s)", scope,
			 scope == 0 ? "same user allowed" : scope == 1 ? "only descendants: set it to 0 or use CAP_SYS_PTRACE"
						: scope == 2 ? "only with CAP_SYS_PTRACE" : "ptrace disabled");
	return inj_fail(e, INJ_PERM, "ptrace process %d: operation not permitted: attaching needs CAP_SYS_PTRACE (run as "
				     "root) or the same user; %s", pid, why);
}

/* task_state returns the state letter of /proc/PID/stat (R, S, D, T, t, Z, ...), or 0. */
static char task_state(pid_t pid)
{
	char p[64], st[512];
	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return 0;
	char state = 0;
	if (fgets(st, sizeof(st), f)) {
		char *rp = strrchr(st, ')');
		if (rp && rp[1])
			state = rp[2];
	}
	fclose(f);
	return state;
}

/* pick_thread returns the main thread unless it is a zombie (it called pthread_exit), then another. */
static pid_t pick_thread(pid_t pid)
{
	char p[64];
	if (task_state(pid) != 'Z')
		return pid;
	snprintf(p, sizeof(p), "/proc/%d/task", pid);
	pid_t other = pid;
	DIR *d = opendir(p);
	for (struct dirent *de; d && (de = readdir(d));) {
		pid_t tid = (pid_t)atoi(de->d_name);
		if (tid > 0 && tid != pid) {
			other = tid;
			break;
		}
	}
	if (d)
		closedir(d);
	return other;
}

/* wait_stop waits for the thread's next stop; *sig is the signal of a signal-delivery stop, 0 for PTRACE_EVENT_STOP. */
static int wait_stop(struct inj_thread *t, int *sig, struct inj_err *e)
{
	int st;
	for (;;) {
		pid_t r = waitpid(t->tid, &st, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return inj_fail(e, INJ_NOPROC, "process %d: waiting for thread %d: %s", t->pid, t->tid, strerror(errno));
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return inj_fail(e, INJ_NOPROC, "process %d ended during the injection (%s %d)", t->pid,
					WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		if (!WIFSTOPPED(st))
			continue;
		*sig = (st >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(st);
		return 0;
	}
}

static int mem_rw(struct inj_thread *t, uint64_t addr, void *buf, size_t n, int write)
{
	ssize_t r = write ? pwrite(t->memfd, buf, n, (off_t)addr) : pread(t->memfd, buf, n, (off_t)addr);
	return r == (ssize_t)n ? 0 : -1;
}

int inj_attach(struct inj_thread *t, pid_t pid, struct inj_err *e)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->memfd = -1;
	t->tid = pick_thread(pid);
	/* Running it for the calls would let a stopped process go on; its owner stopped it for a reason. */
	if (task_state(t->tid) == 'T')
		return inj_fail(e, INJ_FAIL, "process %d is stopped (SIGSTOP): continue it first (kill -CONT %d)", pid, pid);
	if (ptrace(PTRACE_SEIZE, t->tid, 0, 0)) {
		if (errno == EPERM)
			return perm_error(e, pid);
		if (errno == ESRCH)
			return inj_fail(e, INJ_NOPROC, "no process %d", pid);
		return inj_fail(e, INJ_FAIL, "ptrace process %d: %s", pid, strerror(errno));
	}
	t->seized = 1;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0))
		return inj_fail(e, INJ_NOPROC, "process %d: interrupting thread %d: %s", pid, t->tid, strerror(errno));
	int sig;
	int rc = wait_stop(t, &sig, e);
	if (rc)
		return rc;
	t->pending_sig = sig; /* a signal that was on its way: handed back at detach */
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/mem", t->tid);
	t->memfd = open(p, O_RDWR | O_CLOEXEC);
	if (t->memfd < 0)
		return inj_fail(e, INJ_FAIL, "%s: %s", p, strerror(errno));
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->regs))
		return inj_fail(e, INJ_FAIL, "process %d: reading registers: %s", pid, strerror(errno));
	t->have_regs = 1;
	struct iovec iov = { t->xstate, sizeof(t->xstate) };
	if (ptrace(PTRACE_GETREGSET, t->tid, NT_X86_XSTATE, &iov))
		return inj_fail(e, INJ_FAIL, "process %d: reading the FPU/vector state: %s", pid, strerror(errno));
	t->xstate_len = iov.iov_len;
	t->have_xstate = 1;
	t->scratch_hi = (t->regs.rsp - REDZONE) & ~15ULL;
	t->scratch_lo = t->scratch_hi - sizeof(t->saved);
	t->scratch_next = t->scratch_hi;
	if (mem_rw(t, t->scratch_lo, t->saved, sizeof(t->saved), 0))
		return inj_fail(e, INJ_FAIL, "process %d: reading its stack at 0x%llx: %s", pid,
				(unsigned long long)t->scratch_lo, strerror(errno));
	t->have_stack = 1;
	return 0;
}

int inj_detach(struct inj_thread *t, struct inj_err *e)
{
	int bad = 0;
	if (!t->seized)
		return 0;
	if (t->have_stack)
		bad |= mem_rw(t, t->scratch_lo, t->saved, sizeof(t->saved), 1);
	if (t->have_xstate) {
		struct iovec iov = { t->xstate, t->xstate_len };
		bad |= ptrace(PTRACE_SETREGSET, t->tid, NT_X86_XSTATE, &iov) != 0;
	}
	if (t->have_regs)
		bad |= ptrace(PTRACE_SETREGS, t->tid, 0, &t->regs) != 0;
	if (t->memfd >= 0)
		close(t->memfd);
	t->memfd = -1;
	if (ptrace(PTRACE_DETACH, t->tid, 0, (void *)(long)t->pending_sig) && errno != ESRCH)
		bad = 1;
	if (bad && e->status == 0)
		return inj_fail(e, INJ_FAIL, "process %d: restoring thread %d: %s", t->pid, t->tid, strerror(errno));
	return 0;
}

uint64_t inj_push_string(struct inj_thread *t, const char *s)
{
	size_t n = strlen(s) + 1;
	uint64_t at = (t->scratch_next - n) & ~15ULL;
	if (at < t->scratch_lo + 256 || mem_rw(t, at, (void *)s, n, 1)) /* keep room for the call's return slot */
		return 0;
	t->scratch_next = at;
	return at;
}

int inj_read_string(struct inj_thread *t, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;
	while (got + 1 < len) { /* byte runs up to a page boundary, so an unmapped next page does not fail the read */
		size_t chunk = 4096 - ((addr + got) & 4095);
		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		if (mem_rw(t, addr + got, buf + got, chunk, 0))
			break;
		void *z = memchr(buf + got, 0, chunk);
		got += chunk;
		if (z)
			return 0;
	}
	buf[got] = 0;
	return got ? 0 : -1;
}

int inj_call(struct inj_thread *t, uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *ret, struct inj_err *e)
{
	struct user_regs_struct r = t->regs;
	uint64_t sp = ((t->scratch_next - 64) & ~15ULL) - 8; /* at the callee's entry, rsp + 8 is 16-byte aligned */
	uint64_t magic = RET_MAGIC;
	if (mem_rw(t, sp, &magic, 8, 1))
		return inj_fail(e, INJ_FAIL, "process %d: writing its stack: %s", t->pid, strerror(errno));
	r.rip = fn;
	r.rdi = a0;
	r.rsi = a1;
	r.rdx = a2;
	r.rax = 0;
	r.rsp = sp;
	r.orig_rax = (unsigned long long)-1; /* no syscall restart on this resume */
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &r))
		return inj_fail(e, INJ_FAIL, "process %d: setting registers: %s", t->pid, strerror(errno));
	int deliver = 0;
	for (;;) {
		if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)deliver))
			return inj_fail(e, INJ_NOPROC, "process %d: resuming thread %d: %s", t->pid, t->tid, strerror(errno));
		int sig, rc = wait_stop(t, &sig, e);
		if (rc)
			return rc;
		deliver = 0;
		if (sig != SIGSEGV) {
			deliver = sig; /* the target's own signal (0: a group stop or interrupt): pass it on */
			continue;
		}
		struct user_regs_struct now;
		if (ptrace(PTRACE_GETREGS, t->tid, 0, &now))
			return inj_fail(e, INJ_FAIL, "process %d: reading registers: %s", t->pid, strerror(errno));
		/* The `ret` to the magic address faults on the ret itself (rsp still at the slot) or, on some CPUs, at
		 * the fetch (rip = the magic address). */
		if (now.rip == RET_MAGIC || now.rsp == sp) {
			*ret = now.rax;
			return 0;
		}
		return inj_fail(e, INJ_FAIL, "process %d: the call to 0x%llx crashed (SIGSEGV at 0x%llx)", t->pid,
				(unsigned long long)fn, (unsigned long long)now.rip);
	}
}
