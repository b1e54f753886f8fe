// Live patching of a site while other threads run it (docs/native.md, "hook": patching safety).
//
// As the kernel's text_poke_bp: int3 on the first byte, serialise every core, write bytes 1-4, serialise, write the
// first byte, serialise. A thread reaching the int3 meanwhile takes SIGTRAP and our handler moves it to the
// trampoline (attach) or to the relocated original instructions (detach). Unlike the kernel we replace several
// instructions, so on attach a thread could be stopped *between* two of them (preempted at site+1..4): after the
// int3 is in place, every other thread that is running, or sleeping with its user pc inside those bytes, is sent
// a queued real-time signal (the highest one the program leaves at SIG_DFL); the handler moves a pc found there to
// the same instruction in the relocated copy and acknowledges. It must not be SIGTRAP: a thread hitting the int3
// while the request is pending would have the two merged into one, and a pc of site+1 would then be ambiguous.
// A thread that cannot be checked in time makes the attach fail (nothing was changed).
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "../../core/hook_internal.h"

#define INT3 0xcc
#define JMP_REL32 0xe9
#define ACK_TIMEOUT_NS 2000000000LL

/* The patch in progress (at most one: the attach lock serialises patching), read by the SIGTRAP handler. */
static struct bpftime_site *_Atomic poking;
static _Atomic uintptr_t poke_redirect;
/* Threads asked to check their pc, and their answers: static, as a late handler may still read them. */
#define MAX_THREADS 8192
static _Atomic pid_t ask_tids[MAX_THREADS];
static _Atomic int ask_acks[MAX_THREADS];
static _Atomic int ask_n;
static char fixup_tag; /* si_value of our fixup requests */
static int fixup_sig;   /* the real-time signal carrying them */

static struct sigaction prev_trap;

/* fixup_pc moves a pc between the overwritten instructions to the same instruction in the relocated copy. */
static void fixup_pc(greg_t *g)
{
	struct bpftime_site *s = atomic_load(&poking);
	uintptr_t pc = (uintptr_t)g[REG_RIP];
	if (!s || pc <= s->addr || pc >= s->addr + s->arch.r.len)
		return;
	for (unsigned i = 0; i < s->arch.r.n_insn; i++)
		if (s->addr + s->arch.r.insn_off[i] == pc)
			g[REG_RIP] = (greg_t)(s->arch.reloc + s->arch.r.reloc_off[i]);
}

static void acknowledge(void)
{
	pid_t self = (pid_t)syscall(SYS_gettid);
	int n = atomic_load(&ask_n);
	for (int i = 0; i < n; i++)
		if (atomic_load(&ask_tids[i]) == self)
			atomic_store(&ask_acks[i], 1);
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	if (prev_trap.sa_flags & SA_SIGINFO) {
		if (prev_trap.sa_sigaction)
			prev_trap.sa_sigaction(sig, si, uc);
	} else if (prev_trap.sa_handler == SIG_DFL || prev_trap.sa_handler == SIG_IGN) {
		/* as the kernel would: an unhandled breakpoint kills the process (with a core dump) */
		signal(SIGTRAP, SIG_DFL);
		raise(SIGTRAP);
	} else {
		prev_trap.sa_handler(sig);
	}
}

static void fixup_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	int saved = errno;
	if (si->si_code == SI_QUEUE && si->si_value.sival_ptr == &fixup_tag) {
		fixup_pc(((ucontext_t *)ucv)->uc_mcontext.gregs);
		acknowledge();
	}
	errno = saved;
}

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
	int saved = errno;
	greg_t *g = ((ucontext_t *)ucv)->uc_mcontext.gregs;
	if (si->si_code == SI_KERNEL && bpftime_site_find((uintptr_t)g[REG_RIP] - 1)) {
		uintptr_t pc = (uintptr_t)g[REG_RIP] - 1;
		/* during a patch: go where the patch leads; after it: run what the site holds now */
		g[REG_RIP] = (greg_t)(atomic_load(&poking) && atomic_load(&poking)->addr == pc ? atomic_load(&poke_redirect)
											: pc);
	} else {
		chain(sig, si, ucv);
	}
	errno = saved;
}

static int is_ours(int sig, void (*h)(int, siginfo_t *, void *))
{
	struct sigaction cur;
	return sigaction(sig, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == h;
}

/*
 * install_handlers puts our SIGTRAP handler first (again, if the program replaced it), chaining to the previous,
 * and claims a real-time signal the program does not handle for fixup requests (kept once claimed: a late request
 * may still be pending).
 */
static int install_handlers(struct bpftime_hook_error *err)
{
	struct sigaction sa = {.sa_sigaction = trap_handler, .sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK};
	sigemptyset(&sa.sa_mask);
	if (!is_ours(SIGTRAP, trap_handler) && sigaction(SIGTRAP, &sa, &prev_trap) != 0)
		return bpftime_set_error(err, -errno, "install the SIGTRAP handler: %s", strerror(errno));
	if (fixup_sig && is_ours(fixup_sig, fixup_handler))
		return 0;
	sa.sa_sigaction = fixup_handler;
	for (int sig = SIGRTMAX; sig > SIGRTMIN + 2; sig--) {
		struct sigaction cur;
		if (sigaction(sig, NULL, &cur) != 0 || (cur.sa_flags & SA_SIGINFO) || cur.sa_handler != SIG_DFL)
			continue;
		if (sigaction(sig, &sa, NULL) == 0) {
			fixup_sig = sig;
			return 0;
		}
	}
	return bpftime_set_error(err, -EBUSY, "every real-time signal is handled by the program: none is free "
				 "for the patch protocol");
}

/*
 * pc_outside reads the user pc of a sleeping (or stopped) thread from /proc/self/task/TID/syscall: 1 when it is
 * known and not inside the patched bytes, 0 when the thread runs or its pc is inside.
 */
static int pc_outside(pid_t tid, const struct bpftime_site *s)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 1; /* gone */
	int ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	if (!ok)
		return 1;
	if (strncmp(line, "running", 7) == 0)
		return 0;
	char *last = strrchr(line, ' ');
	uintptr_t pc = last ? (uintptr_t)strtoull(last + 1, NULL, 16) : 0;
	return last && !(pc > s->addr && pc < s->addr + s->arch.r.len);
}

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* list_threads: the other threads of the process (malloc'd). */
static int list_threads(pid_t **out, int *n)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	pid_t self = (pid_t)syscall(SYS_gettid), *v = NULL;
	*out = NULL;
	*n = 0;
	int len = 0, cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		pid_t t = (pid_t)atoi(e->d_name);
		if (t <= 0 || t == self)
			continue;
		if (len == cap) {
			pid_t *nv = realloc(v, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *v);
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[len++] = t;
	}
	closedir(d);
	*out = v;
	*n = len;
	return 0;
}

/* fixup_threads: make sure no thread is stopped between the instructions being overwritten (see the top). */
static int fixup_threads(struct bpftime_site *s, struct bpftime_hook_error *err)
{
	pid_t *tids = NULL;
	int n = 0, rc = list_threads(&tids, &n);
	if (rc)
		return bpftime_set_error(err, rc, "list threads: %s", strerror(-rc));
	if (n > MAX_THREADS) {
		free(tids);
		return bpftime_set_error(err, -EBUSY, "%d threads: more than the %d a patch can check", n, MAX_THREADS);
	}
	for (int i = 0; i < n; i++) {
		atomic_store(&ask_acks[i], 0);
		atomic_store(&ask_tids[i], tids[i]);
	}
	atomic_store(&ask_n, n);
	pid_t pid = getpid();
	for (int i = 0; i < n; i++) {
		if (pc_outside(tids[i], s)) {
			atomic_store(&ask_acks[i], 1);
			continue;
		}
		siginfo_t si = {.si_signo = fixup_sig, .si_code = SI_QUEUE, .si_pid = pid, .si_uid = getuid()};
		si.si_value.sival_ptr = &fixup_tag;
		if (syscall(SYS_rt_tgsigqueueinfo, pid, tids[i], fixup_sig, &si) != 0)
			atomic_store(&ask_acks[i], 1); /* the thread is gone */
	}
	int64_t deadline = now_ns() + ACK_TIMEOUT_NS;
	for (int i = 0; i < n && rc == 0;) {
		if (atomic_load(&ask_acks[i]) || syscall(SYS_tgkill, pid, tids[i], 0) != 0 || pc_outside(tids[i], s)) {
			i++; /* answered, gone, or asleep outside the bytes (e.g. with the signal blocked) */
			continue;
		}
		if (now_ns() > deadline)
			rc = bpftime_set_error(err, -EBUSY, "thread %d did not answer the patch signal %d (blocked?) and "
					       "may be stopped inside the bytes to patch", tids[i], fixup_sig);
		else
			sched_yield();
	}
	atomic_store(&ask_n, 0);
	free(tids);
	return rc;
}

static void poke_byte(uintptr_t at, uint8_t v)
{
	atomic_store_explicit((_Atomic uint8_t *)at, v, memory_order_release);
	bpftime_sync_core();
}

/* poke writes `bytes` over the site's first 5 bytes with the int3 protocol; an int3 hit goes to `redirect`. */
static int poke(struct bpftime_site *s, const uint8_t *bytes, uintptr_t redirect, int fix, struct bpftime_hook_error *err)
{
	int rc = install_handlers(err);
	struct bpftime_text_window win;
	if (rc || (rc = bpftime_text_open(&win, s->addr, BPFTIME_X86_PATCH_LEN, err)))
		return rc;
	uint8_t first = *(volatile uint8_t *)s->addr;
	atomic_store(&poke_redirect, redirect);
	atomic_store(&poking, s);
	poke_byte(s->addr, INT3);
	if (fix && (rc = fixup_threads(s, err)) != 0) {
		poke_byte(s->addr, first);
	} else {
		memcpy((void *)(s->addr + 1), bytes + 1, BPFTIME_X86_PATCH_LEN - 1);
		bpftime_sync_core();
		poke_byte(s->addr, bytes[0]);
	}
	atomic_store(&poking, NULL);
	bpftime_text_close(&win);
	return rc;
}

/* patch_bytes: the jump from the site to its trampoline. */
static void patch_bytes(const struct bpftime_site *s, uint8_t jmp[BPFTIME_X86_PATCH_LEN])
{
	int32_t rel = (int32_t)(s->arch.stub - (s->addr + BPFTIME_X86_PATCH_LEN));
	jmp[0] = JMP_REL32;
	memcpy(jmp + 1, &rel, 4);
}

int bpftime_arch_is_patched(const struct bpftime_site *s)
{
	uint8_t jmp[BPFTIME_X86_PATCH_LEN], now[BPFTIME_X86_PATCH_LEN];
	patch_bytes(s, jmp);
	struct iovec local = {now, sizeof now}, remote = {(void *)s->addr, sizeof now};
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)sizeof now &&
	       memcmp(now, jmp, sizeof now) == 0;
}

int bpftime_arch_patch(struct bpftime_site *s, struct bpftime_hook_error *err)
{
	uint8_t jmp[BPFTIME_X86_PATCH_LEN];
	patch_bytes(s, jmp);
	/* one instruction under the jump: no thread can stand inside it, no need to ask the threads */
	int rc = poke(s, jmp, s->arch.stub, s->arch.r.n_insn > 1, err);
	if (rc && err) {
		char msg[sizeof err->msg];
		snprintf(msg, sizeof msg, "patch %p: %s", (void *)s->addr, err->msg);
		memcpy(err->msg, msg, sizeof msg);
	}
	return rc;
}

int bpftime_arch_unpatch(struct bpftime_site *s, struct bpftime_hook_error *err)
{
	/* The code may be gone (dlclose) and the address reused: never write over what is not our jump. */
	if (!bpftime_arch_is_patched(s))
		return bpftime_set_error(err, -ENXIO, "%p no longer holds the probe's jump (its code was unmapped or "
					 "replaced): nothing restored", (void *)s->addr);
	/* No thread can stand between bytes 1-4 now: they belong to the jump, which is one instruction. */
	return poke(s, s->arch.orig, s->arch.reloc, 0, err);
}
