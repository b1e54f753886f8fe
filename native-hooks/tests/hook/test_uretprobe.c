// Uretprobes: return values, entry + return, override, re-entrancy, recursion, tail calls, longjmp, signals.
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "targets.h"

static void return_values(void)
{
	struct snap s = snapshot((void *)t_endbr);
	struct rec r = {0};
	struct bpftime_probe *p = attach_ok((void *)t_endbr, BPFTIME_URETPROBE, &r);
	long got = t_endbr(40, 2);
	CHECK(got == 42 && r.hits == 1, "returned %ld, %ld hits", got, r.hits);
	CHECK(r.last.rax == 42, "rax at return %lu", (unsigned long)r.last.rax);
	CHECK(r.last.rip > (uintptr_t)return_values && r.last.rip < (uintptr_t)return_values + 4096,
	      "rip at return %#lx is not in the caller", (unsigned long)r.last.rip);
	CHECK(r.last.rsp % 16 == 0, "rsp after return %#lx", (unsigned long)r.last.rsp);
	double d = 0;
	struct rec rf = {0};
	struct bpftime_probe *pf = attach_ok((void *)t_fadd, BPFTIME_URETPROBE, &rf);
	d = t_fadd(0.25, 0.5);
	CHECK(d == 0.75 && rf.hits == 1, "double return %f", d);
	detach_ok(pf);
	detach_ok(p);
	CHECK(same_bytes((void *)t_endbr, &s), "bytes not restored");
}

static long order[8];
static int norder;
static int log_entry(void *c, struct bpftime_pt_regs *r) { (void)r, order[norder++] = (long)c; return 0; }
static int log_ret(void *c, struct bpftime_pt_regs *r) { order[norder++] = (long)c * 100 + (long)r->rax; return 0; }

static void entry_and_return(void)
{
	struct bpftime_hook_error err;
	struct bpftime_probe *e = bpftime_probe_attach((void *)t_pushrbp, BPFTIME_UPROBE, log_entry, (void *)1, 0, &err);
	struct bpftime_probe *r = bpftime_probe_attach((void *)t_pushrbp, BPFTIME_URETPROBE, log_ret, (void *)2, 0, &err);
	CHECK(e && r, "attach: %s", err.msg);
	norder = 0;
	CHECK(t_pushrbp(3, 5) == 15, "result");
	CHECK(norder == 2 && order[0] == 1 && order[1] == 215, "order %d: %ld %ld", norder, order[0], order[1]);
	bpftime_probe_detach(e, NULL);
	bpftime_probe_detach(r, NULL);
}

static void override(void)
{
	struct rec e = {.action = BPFTIME_HOOK_OVERRIDE, .override_rax = -12}, r = {0};
	long before = hooktarget_calls();
	struct bpftime_probe *pe = attach_ok((void *)hooktarget_mul, BPFTIME_UPROBE, &e);
	struct bpftime_probe *pr = attach_ok((void *)hooktarget_mul, BPFTIME_URETPROBE, &r);
	long got = hooktarget_mul(6, 7);
	CHECK(got == -12, "override returned %ld", got);
	CHECK(hooktarget_calls() == before, "the function body ran");
	CHECK(r.hits == 1 && (long)r.last.rax == -12, "return probe saw rax %ld", (long)r.last.rax);
	e.action = BPFTIME_HOOK_CONTINUE;
	CHECK(hooktarget_mul(6, 7) == 42 && hooktarget_calls() == before + 1, "continue after override");
	detach_ok(pe);
	detach_ok(pr);
}

/* reenter: a callback calling the probed function itself: the inner call runs without probes. */
static long reenter_hits;
static int reenter(void *c, struct bpftime_pt_regs *r)
{
	(void)c, (void)r;
	reenter_hits++;
	return t_double(1) == 2 ? 0 : 0;
}

static void reentrancy(void)
{
	struct bpftime_hook_stats before, after;
	bpftime_hook_get_stats(&before);
	struct bpftime_probe *p = bpftime_probe_attach((void *)t_double, BPFTIME_UPROBE, reenter, NULL, 0, NULL);
	struct bpftime_probe *q = bpftime_probe_attach((void *)t_double, BPFTIME_URETPROBE, reenter, NULL, 0, NULL);
	CHECK(p && q, "attach");
	CHECK(t_double(21) == 42, "result");
	CHECK(reenter_hits == 2, "hits %ld (want entry + return, no recursion)", reenter_hits);
	bpftime_hook_get_stats(&after);
	CHECK(after.missed_reentrant - before.missed_reentrant == 2, "missed %lu (the inner entries)",
	      (unsigned long)(after.missed_reentrant - before.missed_reentrant));
	bpftime_probe_detach(p, NULL);
	bpftime_probe_detach(q, NULL);
}

__attribute__((noinline)) long fib(long n)
{
	__asm__ volatile("");
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void recursion(void)
{
	struct rec e = {0}, r = {0};
	struct bpftime_probe *pe = attach_ok((void *)fib, BPFTIME_UPROBE, &e);
	struct bpftime_probe *pr = attach_ok((void *)fib, BPFTIME_URETPROBE, &r);
	CHECK(fib(15) == 610, "fib");
	CHECK(e.hits == 1973 && r.hits == 1973, "entries %ld returns %ld (want 1973)", e.hits, r.hits);
	CHECK((long)r.last.rax == 610, "last return %ld", (long)r.last.rax);
	detach_ok(pe);
	detach_ok(pr);
}

static void tail_calls(void)
{
	norder = 0;
	struct bpftime_probe *o = bpftime_probe_attach((void *)t_tail_outer, BPFTIME_URETPROBE, log_ret, (void *)1, 0, NULL);
	struct bpftime_probe *i = bpftime_probe_attach((void *)t_tail_inner, BPFTIME_URETPROBE, log_ret, (void *)2, 0, NULL);
	CHECK(o && i, "attach");
	CHECK(t_tail_outer(1) == 102, "result");
	CHECK(norder == 2 && order[0] == 302 && order[1] == 202, "returns %d: %ld %ld (want inner, then outer)",
	      norder, order[0], order[1]);
	bpftime_probe_detach(o, NULL);
	bpftime_probe_detach(i, NULL);
}

static jmp_buf jb;
__attribute__((noinline)) long dive(long n)
{
	if (n < 0)
		return 0;
	if (n == 0)
		longjmp(jb, 1);
	__asm__ volatile("");
	return dive(n - 1) + 1;
}

static void longjmp_over_frames(void)
{
	struct rec r = {0};
	struct bpftime_hook_stats before, after;
	bpftime_hook_get_stats(&before);
	struct bpftime_probe *p = attach_ok((void *)dive, BPFTIME_URETPROBE, &r);
	for (int k = 0; k < 3; k++)
		if (setjmp(jb) == 0)
			dive(5); /* 6 frames with replaced return addresses, abandoned */
	CHECK(r.hits == 0, "returns ran for abandoned frames: %ld", r.hits);
	/* later calls must find their own entries: the stale ones are dropped */
	CHECK(t_endbr(1, 2) == 3, "unrelated call");
	struct bpftime_probe *q = attach_ok((void *)fib, BPFTIME_URETPROBE, &r);
	CHECK(fib(10) == 55 && r.hits == 177, "returns after longjmp: %ld", r.hits);
	bpftime_hook_get_stats(&after);
	CHECK(after.stale_shadow - before.stale_shadow == 18, "stale entries dropped: %lu (want 18)",
	      (unsigned long)(after.stale_shadow - before.stale_shadow));
	detach_ok(p);
	detach_ok(q);
}

/* A signal handler runs probed functions in the middle of a return-probed frame, and longjmps out of another. */
static sigjmp_buf sjb;
static volatile int jump_out;
static void on_usr1(int sig)
{
	(void)sig;
	CHECK(fib(5) == 5, "fib in handler");
	if (jump_out)
		siglongjmp(sjb, 1);
}

__attribute__((noinline)) long raiser(long x)
{
	raise(SIGUSR1);
	__asm__ volatile("");
	return x + 1;
}

static void signals(void)
{
	struct rec r = {0}, f = {0};
	signal(SIGUSR1, on_usr1);
	struct bpftime_probe *p = attach_ok((void *)raiser, BPFTIME_URETPROBE, &r);
	struct bpftime_probe *q = attach_ok((void *)fib, BPFTIME_URETPROBE, &f);
	CHECK(raiser(1) == 2 && r.hits == 1 && f.hits == 15, "handler inside a probed frame: %ld %ld", r.hits, f.hits);
	jump_out = 1;
	if (sigsetjmp(sjb, 1) == 0)
		raiser(1);
	jump_out = 0;
	CHECK(r.hits == 1 && f.hits == 30, "after siglongjmp: %ld %ld", r.hits, f.hits);
	CHECK(raiser(5) == 6 && r.hits == 2, "probed call after siglongjmp: %ld", r.hits);
	detach_ok(p);
	detach_ok(q);
	signal(SIGUSR1, SIG_DFL);
}

/* threads: each thread has its own shadow stack and guard */
static void *thread_fib(void *arg)
{
	(void)arg;
	long s = 0;
	for (int i = 0; i < 200; i++)
		s += fib(8);
	return (void *)s;
}

static void per_thread(void)
{
	struct rec e = {0}, r = {0};
	struct bpftime_probe *pe = attach_ok((void *)fib, BPFTIME_UPROBE, &e);
	struct bpftime_probe *pr = attach_ok((void *)fib, BPFTIME_URETPROBE, &r);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thread_fib, NULL);
	long total = 0;
	for (int i = 0; i < 4; i++) {
		void *v;
		pthread_join(t[i], &v);
		total += (long)v;
	}
	CHECK(total == 4 * 200 * 21, "sum %ld", total);
	CHECK(e.hits == 4 * 200 * 67 && r.hits == e.hits, "entries %ld returns %ld (want %d)", e.hits, r.hits,
	      4 * 200 * 67);
	detach_ok(pe);
	detach_ok(pr);
}

/* pause: a paused thread's hits run nothing; other threads are unaffected; nested pauses resume at the outermost */
static void *call_endbr(void *arg)
{
	(void)arg;
	return (void *)t_endbr(1, 1);
}

static void thread_pause(void)
{
	struct rec e = {0};
	struct bpftime_probe *p = attach_ok((void *)t_endbr, BPFTIME_UPROBE, &e);
	int outer = bpftime_hook_thread_pause(), inner = bpftime_hook_thread_pause();
	CHECK(outer == 1 && inner == 0, "tokens %d %d", outer, inner);
	CHECK(t_endbr(1, 2) == 3 && e.hits == 0, "a paused thread ran a probe");
	pthread_t t;
	pthread_create(&t, NULL, call_endbr, NULL);
	pthread_join(t, NULL);
	CHECK(e.hits == 1, "another thread's hit: %ld", e.hits);
	bpftime_hook_thread_resume(inner);
	CHECK(t_endbr(1, 2) == 3 && e.hits == 1, "resumed by the inner token");
	bpftime_hook_thread_resume(outer);
	CHECK(t_endbr(1, 2) == 3 && e.hits == 2, "not resumed: %ld", e.hits);
	detach_ok(p);
}

/* Stack arguments, varargs (al counts the vector registers used) and a struct returned through memory: the
 * return probe's call into the function must leave the stack exactly as the caller built it. */
__attribute__((noinline)) long many(long a, long b, long c, long d, long e, long f, long g, long h)
{
	__asm__ volatile("");
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

__attribute__((noinline)) double vsum(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	double s = 0;
	for (int i = 0; i < n; i++)
		s += va_arg(ap, double);
	va_end(ap);
	return s;
}

struct big {
	long v[6];
};
__attribute__((noinline)) struct big make_big(long x)
{
	struct big b;
	for (int i = 0; i < 6; i++)
		b.v[i] = x + i;
	__asm__ volatile("" ::"r"(&b) : "memory");
	return b;
}

static long stack_arg7;
static int read_stack_arg(void *c, struct bpftime_pt_regs *r)
{
	(void)c;
	stack_arg7 = *(long *)(r->rsp + 8); /* the 7th argument, above the return address */
	return 0;
}

static void calling_conventions(void)
{
	struct rec e = {0}, r = {0};
	struct bpftime_probe *pe = bpftime_probe_attach((void *)many, BPFTIME_UPROBE, read_stack_arg, NULL, 0, NULL);
	struct bpftime_probe *pr = attach_ok((void *)many, BPFTIME_URETPROBE, &r);
	CHECK(pe, "attach");
	CHECK(many(1, 1, 1, 1, 1, 1, 10, 100) == 21 + 70 + 800 && stack_arg7 == 10, "stack arguments: %ld",
	      stack_arg7);
	CHECK(r.hits == 1 && r.last.rax == 891, "return %lu", (unsigned long)r.last.rax);
	detach_ok(pe);
	detach_ok(pr);
	r.hits = 0;
	pe = attach_ok((void *)vsum, BPFTIME_UPROBE, &e);
	pr = attach_ok((void *)vsum, BPFTIME_URETPROBE, &r);
	double d = vsum(4, 1.5, 2.5, 3.0, 4.0);
	CHECK(d == 11.0 && e.hits == 1 && r.hits == 1, "varargs: %f", d);
	CHECK((e.last.rax & 0xff) == 4, "al at entry %lu (vector registers used)", (unsigned long)(e.last.rax & 0xff));
	detach_ok(pe);
	detach_ok(pr);
	r.hits = 0;
	pr = attach_ok((void *)make_big, BPFTIME_URETPROBE, &r);
	struct big b = make_big(40);
	CHECK(b.v[0] == 40 && b.v[5] == 45 && r.hits == 1, "struct through memory: %ld %ld", b.v[0], b.v[5]);
	detach_ok(pr);
}

/* fork while another thread is inside a callback: the child (one thread) can still detach (a grace period). */
static atomic_int fork_stop;
static int slow_cb(void *c, struct bpftime_pt_regs *r)
{
	(void)c, (void)r;
	for (volatile int i = 0; i < 2000; i++)
		;
	return 0;
}
static void *busy_caller(void *arg)
{
	(void)arg;
	while (!atomic_load(&fork_stop))
		t_double(1);
	return NULL;
}

static void fork_child(void)
{
	struct bpftime_probe *p = bpftime_probe_attach((void *)t_double, BPFTIME_UPROBE, slow_cb, NULL, 0, NULL);
	struct rec r = {0};
	struct bpftime_probe *q = attach_ok((void *)fib, BPFTIME_URETPROBE, &r);
	CHECK(p, "attach");
	pthread_t t;
	pthread_create(&t, NULL, busy_caller, NULL);
	int ok = 0;
	for (int k = 0; k < 20; k++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(10); /* a hang would be a grace period waiting for the parent's threads */
			int good = fib(10) == 55 && r.hits == 177 && bpftime_probe_detach(p, NULL) == 0 &&
				   bpftime_probe_detach(q, NULL) == 0 && t_double(4) == 8;
			_exit(good ? 0 : 1);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	atomic_store(&fork_stop, 1);
	pthread_join(t, NULL);
	CHECK(ok == 20, "%d of 20 children detached and ran normally", ok);
	detach_ok(p);
	detach_ok(q);
}

int main(void)
{
	RUN(return_values);
	RUN(entry_and_return);
	RUN(override);
	RUN(reentrancy);
	RUN(recursion);
	RUN(tail_calls);
	RUN(longjmp_over_frames);
	RUN(signals);
	RUN(per_thread);
	RUN(fork_child);
	RUN(calling_conventions);
	RUN(thread_pause);
	return DONE();
}
