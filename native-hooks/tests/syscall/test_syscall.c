/*
 * test_syscall.c: the syscall hooks seen from a traced program (TAP output, exit status 1 on a failure).
 * Usage: test_syscall zpoline|sud|fallback LATE_LIB
 * The program links the test agent (test_agent.c), installs the hooks in the mode given, makes syscalls through
 * libc and its own inline `syscall` instructions, and checks what the callbacks saw. `fallback` takes page 0 first
 * (PROT_NONE) and installs in the automatic mode, which must fall back to Syscall User Dispatch and say why.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpftime_syscall.h"
#include "tap.h"
#include "test_agent.h"

extern char **environ;

/* find returns the first event of kind for nr whose first argument is a0 (any when a0 is -1), or NULL. */
static const struct ta_event *find(int kind, long nr, long a0)
{
	unsigned long n;
	const struct ta_event *e = ta_events(&n);
	for (unsigned long i = 0; i < n; i++)
		if (e[i].kind == kind && e[i].nr == nr && (a0 == -1 || e[i].args[0] == a0))
			return &e[i];
	return NULL;
}

static unsigned long count_events(int kind, long nr, long a0, int tid)
{
	unsigned long n, c = 0;
	const struct ta_event *e = ta_events(&n);
	for (unsigned long i = 0; i < n; i++)
		if (e[i].kind == kind && e[i].nr == nr && (a0 == -1 || e[i].args[0] == a0) && (!tid || e[i].tid == tid))
			c++;
	return c;
}

/* The register test's values: static, so the assembly addresses them RIP-relative and needs no register. */
static struct {
	uint64_t in[12], out[12], x_in[2], x_out[2];
} rt = { { 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888, 0x9999, 0xaaaa, 0xbbbb, 0xcccc },
	 { 0 },
	 { 0x0123456789abcdefULL, 0xfedcba9876543210ULL },
	 { 0 } };

/* inline_regs_kept makes getppid with this program's own syscall instruction; the registers a syscall preserves
 * must come back unchanged (xmm8 included: the test agent's callback clobbers it). */
static int __attribute__((noinline)) inline_regs_kept(long *ppid)
{
	long rax;
	__asm__ volatile(
		"movdqu rt+192(%%rip), %%xmm8\n\t"
		"push %%rbp\n\t"
		"mov rt+0(%%rip), %%rdi\n\tmov rt+8(%%rip), %%rsi\n\tmov rt+16(%%rip), %%rdx\n\tmov rt+24(%%rip), %%r10\n\t"
		"mov rt+32(%%rip), %%r8\n\tmov rt+40(%%rip), %%r9\n\tmov rt+48(%%rip), %%rbx\n\tmov rt+56(%%rip), %%r12\n\t"
		"mov rt+64(%%rip), %%r13\n\tmov rt+72(%%rip), %%r14\n\tmov rt+80(%%rip), %%r15\n\tmov rt+88(%%rip), %%rbp\n\t"
		"mov $110, %%eax\n\t"
		"syscall\n\t"
		"mov %%rdi, rt+96(%%rip)\n\tmov %%rsi, rt+104(%%rip)\n\tmov %%rdx, rt+112(%%rip)\n\tmov %%r10, rt+120(%%rip)\n\t"
		"mov %%r8, rt+128(%%rip)\n\tmov %%r9, rt+136(%%rip)\n\tmov %%rbx, rt+144(%%rip)\n\tmov %%r12, rt+152(%%rip)\n\t"
		"mov %%r13, rt+160(%%rip)\n\tmov %%r14, rt+168(%%rip)\n\tmov %%r15, rt+176(%%rip)\n\tmov %%rbp, rt+184(%%rip)\n\t"
		"pop %%rbp\n\t"
		"movdqu %%xmm8, rt+208(%%rip)\n\t"
		: "=a"(rax)
		:
		: "rdi", "rsi", "rdx", "r10", "r8", "r9", "rbx", "r12", "r13", "r14", "r15", "rcx", "r11", "xmm8", "memory");
	*ppid = rax;
	return !memcmp(rt.in, rt.out, sizeof(rt.in)) && !memcmp(rt.x_in, rt.x_out, sizeof(rt.x_in));
}

static void *thread_main(void *arg)
{
	long *tid = arg;
	*tid = ta_raw(SYS_gettid, 0);
	syscall(SYS_getppid, 0x7777L);
	return NULL;
}

#define THREADS 4
#define PER_THREAD 20000
static void *hammer(void *arg)
{
	int *tid = arg;
	*tid = (int)ta_raw(SYS_gettid, 0);
	for (int i = 0; i < PER_THREAD; i++)
		syscall(SYS_getppid, 0x4444L);
	return NULL;
}

static volatile int got_signal;
static void on_usr1(int sig)
{
	got_signal = sig;
}

static volatile int got_sigsys_code = -1;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	got_sigsys_code = si->si_code;
}

static int child_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s zpoline|sud|auto LATE_LIB\n", argv[0]);
		return 2;
	}
	int fallback = !strcmp(argv[1], "fallback");
	int mode = !strcmp(argv[1], "sud") ? BPFTIME_SYSCALL_SUD : !strcmp(argv[1], "zpoline") ? BPFTIME_SYSCALL_ZPOLINE
											       : BPFTIME_SYSCALL_AUTO;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fallback) /* where vm.mmap_min_addr forbids it, page 0 is unavailable anyway */
		mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	char msg[512];
	int rc = ta_install(mode, msg, sizeof(msg));
	printf("# %s\n", msg);
	CHECK(rc == 0, "install (%s)", argv[1]);
	if (rc)
		return 1;
	int want = mode == BPFTIME_SYSCALL_ZPOLINE ? BPFTIME_SYSCALL_ZPOLINE : BPFTIME_SYSCALL_SUD;
	if (fallback)
		CHECK(strstr(msg, "zpoline unavailable (") && strstr(msg, "using Syscall User Dispatch instead"),
		      "the automatic mode falls back to Syscall User Dispatch and says why");
	else
		CHECK(strstr(msg, want == BPFTIME_SYSCALL_SUD ? "Syscall User Dispatch" : "zpoline") != NULL,
		      "the message names the mechanism");
	CHECK(ta_mode() == want, "mode reported");

	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	static const char hello[] = "hello";
	ssize_t w = write(p[1], hello, 5);
	const struct ta_event *e = find(TA_ENTER, SYS_write, p[1]), *x = find(TA_EXIT, SYS_write, p[1]);
	CHECK(w == 5 && e && e->args[1] == (long)hello && e->args[2] == 5 && x && x->ret == 5,
	      "write: enter sees fd, buffer, length; exit sees 5");

	static const char missing[] = "/nonexistent/bpftime-test";
	int fd = openat(AT_FDCWD, missing, O_RDONLY);
	int err = errno;
	e = x = NULL;
	unsigned long n;
	const struct ta_event *all = ta_events(&n);
	for (unsigned long i = 0; i < n; i++) /* the kernel reads dfd as an int: the register's upper half is not its */
		if (all[i].nr == SYS_openat && all[i].args[1] == (long)missing && (int)all[i].args[0] == AT_FDCWD)
			*(all[i].kind == TA_ENTER ? &e : &x) = &all[i];
	CHECK(fd == -1 && err == ENOENT && e && e->args[2] == O_RDONLY && x && x->ret == -ENOENT,
	      "openat: arguments, and -ENOENT at exit");

	long ppid = getppid(), raw = ta_raw(SYS_getppid, 0);
	x = find(TA_EXIT, SYS_getppid, -1);
	CHECK(ppid == raw && x && x->ret == ppid, "getppid: exit sees the kernel's value %ld", ppid);

	long skipped = syscall(SYS_getppid, TA_SKIP_MARKER);
	x = find(TA_EXIT, SYS_getppid, TA_SKIP_MARKER);
	CHECK(skipped == TA_SKIP_VALUE && x && x->ret == TA_SKIP_VALUE, "a skipped syscall returns the enter callback's value");

	CHECK(count_events(TA_ENTER, SYS_sched_yield, -1, 0) == 0, "the agent's own syscalls in callbacks are not seen");
	ta_guarded_umask(022);
	CHECK(count_events(TA_ENTER, SYS_umask, -1, 0) == 0, "syscalls under the agent's guard are not seen");
	umask(022);
	CHECK(count_events(TA_ENTER, SYS_umask, -1, 0) == 1, "the same syscall outside the guard is seen");

	long ippid;
	CHECK(inline_regs_kept(&ippid) && ippid == ppid, "inline syscall: registers and xmm8 preserved, result right");
	CHECK(find(TA_ENTER, SYS_getppid, 0x1111) != NULL, "inline syscall in the program's own code is seen");

	long unknown = syscall(1000);
	CHECK(unknown == -1 && errno == ENOSYS, "an unknown syscall number gives ENOSYS");

	pthread_t th;
	long ttid = 0;
	pthread_create(&th, NULL, thread_main, &ttid);
	pthread_join(th, NULL);
	e = find(TA_ENTER, SYS_getppid, 0x7777);
	CHECK(e && e->tid == ttid, "a new thread's syscall is seen with its thread id");
	all = ta_events(&n);
	int parent_saw = 0, child_saw = 0;
	for (unsigned long i = 0; i < n; i++) {
		if (all[i].kind != TA_EXIT || (all[i].nr != SYS_clone3 && all[i].nr != SYS_clone))
			continue;
		parent_saw |= all[i].ret == ttid;
		child_saw |= all[i].ret == 0 && all[i].tid == ttid;
	}
	CHECK(parent_saw && child_saw, "thread creation: exit seen in the parent (tid) and in the child (0)");

	pid_t pid = fork();
	if (pid == 0) {
		const struct ta_event *ce = find(TA_EXIT, SYS_clone, -1);
		int ok = 0;
		unsigned long cn;
		const struct ta_event *ca = ta_events(&cn);
		for (unsigned long i = 0; i < cn; i++)
			ok |= ca[i].kind == TA_EXIT && ca[i].nr == SYS_clone && ca[i].ret == 0;
		syscall(SYS_getppid, 0xc41dL);
		ok = ok && ce && find(TA_EXIT, SYS_getppid, 0xc41d) != NULL;
		_exit(ok ? 0 : 3);
	}
	int st = child_status(pid);
	int fork_seen = 0;
	all = ta_events(&n);
	for (unsigned long i = 0; i < n; i++)
		fork_seen |= all[i].kind == TA_EXIT && all[i].nr == SYS_clone && all[i].ret == pid;
	CHECK(st == 0 && fork_seen, "fork: the child sees its exit (0) and its syscalls, the parent its exit (pid)");

	volatile long canary = 0x5ca1ab1e;
	pid = vfork();
	if (pid == 0)
		_exit(42);
	st = child_status(pid);
	x = NULL;
	all = ta_events(&n);
	for (unsigned long i = 0; i < n; i++)
		if (all[i].kind == TA_EXIT && all[i].nr == SYS_vfork && all[i].ret == pid)
			x = &all[i];
	CHECK(st == 42 && canary == 0x5ca1ab1e && x, "vfork: child exits 42, parent resumes intact, exit seen with the pid");

	pid = vfork();
	if (pid == 0) {
		char *av[] = { "/bin/sh", "-c", "exit 7", NULL };
		execve(av[0], av, environ);
		_exit(99);
	}
	CHECK(child_status(pid) == 7, "vfork + execve: the child runs the new program");

	char *sav[] = { "/bin/sh", "-c", "exit 5", NULL };
	CHECK(posix_spawn(&pid, sav[0], NULL, NULL, sav, environ) == 0 && child_status(pid) == 5,
	      "posix_spawn (clone with CLONE_VM|CLONE_VFORK and a new stack)");

	struct sigaction sa = { 0 };
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	CHECK(got_signal == SIGUSR1 && find(TA_ENTER, SYS_rt_sigreturn, -1) != NULL,
	      "a signal handler returns through rt_sigreturn (seen at enter)");

	/* The program's own SIGSYS handler: installed (under Syscall User Dispatch the hook keeps SIGSYS and calls it
	 * for the SIGSYS that are not dispatch) and called for a SIGSYS sent to the process. */
	struct sigaction ss = { 0 }, prev;
	ss.sa_sigaction = on_sigsys;
	ss.sa_flags = SA_SIGINFO;
	int sa_rc = sigaction(SIGSYS, &ss, NULL);
	raise(SIGSYS);
	int sa_back = sigaction(SIGSYS, NULL, &prev);
	CHECK(sa_rc == 0 && got_sigsys_code == SI_TKILL && sa_back == 0 && prev.sa_sigaction == on_sigsys &&
		      getppid() == ppid,
	      "the program's own SIGSYS handler is installed, reported back and called; syscalls still hooked");

	sigset_t all_sigs, old;
	sigfillset(&all_sigs);
	pthread_sigmask(SIG_BLOCK, &all_sigs, &old);
	long blocked_ppid = getppid();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	CHECK(blocked_ppid == ppid, "syscalls with every signal blocked");

	void *late = dlopen(argv[2], RTLD_NOW);
	long (*late_fn)(long) = late ? (long (*)(long))dlsym(late, "late_getppid") : NULL;
	CHECK(late_fn && late_fn(0xd10) == ppid && find(TA_ENTER, SYS_getppid, 0xd10) != NULL,
	      "a library loaded after install (dlopen): its own syscall instruction is hooked");
	if (late)
		dlclose(late);

	pthread_t ths[THREADS];
	int tids[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&ths[i], NULL, hammer, &tids[i]);
	for (int i = 0; i < THREADS; i++)
		pthread_join(ths[i], NULL);
	int per_ok = 1;
	for (int i = 0; i < THREADS; i++)
		per_ok &= count_events(TA_EXIT, SYS_getppid, 0x4444, tids[i]) == PER_THREAD &&
			  count_events(TA_ENTER, SYS_getppid, 0x4444, tids[i]) == PER_THREAD;
	CHECK(per_ok, "%d threads x %d syscalls: every enter and exit seen on its thread", THREADS, PER_THREAD);

	pid = fork();
	if (pid == 0) {
		void (*volatile null_fn)(void) = NULL;
		close(2);
		null_fn();
		_exit(0);
	}
	st = child_status(pid);
#ifdef __SANITIZE_ADDRESS__
	/* AddressSanitizer catches a real SIGSEGV (Syscall User Dispatch: page 0 is not mapped) and exits with 1. */
	CHECK(st == 1000 + SIGSEGV || (ta_mode() == BPFTIME_SYSCALL_SUD && st == 1),
	      "a call through a null function pointer still ends in SIGSEGV");
#else
	CHECK(st == 1000 + SIGSEGV, "a call through a null function pointer still ends in SIGSEGV");
#endif

	rc = ta_uninstall(msg, sizeof(msg));
	unsigned long before = count_events(TA_ENTER, SYS_getppid, -1, 0);
	getppid();
	CHECK(rc == 0 && count_events(TA_ENTER, SYS_getppid, -1, 0) == before, "uninstall: syscalls no longer seen");
	return tap_done();
}
