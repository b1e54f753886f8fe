/*
 * dispatch.c: what runs for every hooked syscall (docs/native.md, "syscall"). bpftime_zp_dispatch is called by the
 * entry (zpoline_entry.S) with the caller's registers in a frame; for ordinary syscalls it calls the enter callback,
 * makes the syscall, calls the exit callback and returns ZP_ACT_DONE. The syscalls that switch stacks are prepared
 * here and made by the entry: clone/clone3 with a new stack (the frame is copied to the top of the child's stack so
 * the child leaves through its own copy), vfork and clone sharing the stack (the return address is kept in TLS, as
 * the child overwrites the frame), rt_sigreturn (from the caller's stack pointer).
 */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "internal.h"

struct zp_state zp;
__thread struct zp_thread zp_tls __attribute__((tls_model("initial-exec")));

/* The vfork case's state survives the child's use of the stack here; only vfork-like syscalls write it. */
struct zp_vfork {
	uint64_t ret;
	long nr;
	long args[6];
	int traced;
};
static __thread struct zp_vfork zp_vf;

/* Scratch slots of the frame (frame.h). */
enum { SC_NR, SC_ORIG, SC_KIND, SC_ARGS };
#define CLONE_ARGS_MAX (ZP_SCRATCH_BYTES - 8 * SC_ARGS)
enum { K_TRACED = 1, K_CLONE = 2, K_CLONE3 = 4 };

void zp_hold(struct zp_thread *t)
{
	t->guard++;
	t->selector = SYSCALL_DISPATCH_FILTER_ALLOW;
}

void zp_release(struct zp_thread *t)
{
	if (--t->guard == 0 && zp.mode == BPFTIME_SYSCALL_SUD && zp.active)
		t->selector = SYSCALL_DISPATCH_FILTER_BLOCK;
}

void bpftime_syscall_guard_enter(void)
{
	zp_hold(&zp_tls);
}

void bpftime_syscall_guard_leave(void)
{
	zp_release(&zp_tls);
}

/* die ends the process as the jump it caught would have: a call to address 0..4095 that is not a rewritten
 * syscall (a call through a null function pointer) lands in the trampoline page. */
static void ZP_COLD __attribute__((noreturn)) die(uint64_t ret)
{
	static const char hex[] = "0123456789abcdef";
	char m[] = "bpftime: a jump into page 0 from 0x0000000000000000 is not a rewritten syscall (null function pointer?)\n";
	char *p = strchr(m, 'x') + 1;
	for (int i = 15; i >= 0; i--, ret >>= 4)
		p[i] = hex[ret & 15];
	bpftime_syscall_raw(SYS_write, 2, (long)m, sizeof(m) - 1, 0, 0, 0);
	struct { void *h; unsigned long flags; void *restorer; uint64_t mask; } dfl = { SIG_DFL, 0, 0, 0 };
	bpftime_syscall_raw(SYS_rt_sigaction, SIGSEGV, (long)&dfl, 0, 8, 0, 0);
	long pid = bpftime_syscall_raw(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long tid = bpftime_syscall_raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	for (;;)
		bpftime_syscall_raw(SYS_tgkill, pid, tid, SIGSEGV, 0, 0, 0);
}

/* check_site verifies that the return address follows a `call *%rax` the rewriter made (under Syscall User
 * Dispatch only the SIGSYS handler enters, and page 0 is not ours). */
ZP_FRAME_CODE static inline void check_site(struct zp_thread *t, uint64_t ret)
{
	if (__builtin_expect(ret == t->last_site, 1) || zp.mode == BPFTIME_SYSCALL_SUD)
		return;
	if (!zp_site_known(ret - 2))
		die(ret - 2);
	t->last_site = ret;
}

static inline int traced(const struct zp_thread *t)
{
	return !t->guard && zp.active;
}

/* call_enter runs the enter callback; returns nonzero when it skips the syscall (result in *ret). */
static inline int call_enter(struct zp_thread *t, long nr, const long *args, long *ret)
{
	if (!zp.enter)
		return 0;
	zp_hold(t);
	int skip = zp.enter(zp.data, nr, args, ret);
	zp_release(t);
	return skip;
}

static inline void call_exit(struct zp_thread *t, long nr, const long *args, long ret)
{
	if (!zp.exit || !zp.active)
		return;
	zp_hold(t);
	zp.exit(zp.data, nr, args, ret);
	zp_release(t);
}

/* copy_self copies n bytes between addresses of this process without faulting on a bad one (the kernel would have
 * answered -EFAULT, not crashed): process_vm_readv/writev on ourselves. */
static int copy_self(void *dst, const void *src, size_t n, int write)
{
	struct iovec local = { write ? (void *)src : dst, n }, remote = { write ? dst : (void *)src, n };
	long pid = bpftime_syscall_raw(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long r = bpftime_syscall_raw(write ? SYS_process_vm_writev : SYS_process_vm_readv, pid, (long)&local, 1,
				     (long)&remote, 1, 0);
	return r == (long)n ? 0 : -EFAULT;
}

/* new_stack places a copy of the frame so that the child, starting with rsp = the returned address, leaves
 * through it and ends with rsp = top, the stack pointer the caller asked for. */
ZP_FRAME_CODE static uint64_t new_stack(struct zp_frame *f, uint64_t top)
{
	uint64_t cf = top - ZP_FRAME_TO_CRSP;
	return copy_self((void *)cf, f, sizeof(*f), 1) == 0 ? cf : 0;
}

ZP_FRAME_CODE static int vfork_like(struct zp_frame *f, int tr)
{
	zp_vf.ret = f->ret;
	zp_vf.nr = (long)f->rax;
	memcpy(zp_vf.args, f->args, sizeof(zp_vf.args));
	zp_vf.traced = tr;
	return ZP_ACT_VFORK;
}

/* child_start runs first in a new process or thread: Syscall User Dispatch is not inherited by children. */
static void child_start(void)
{
	zp_tid_reset();
	if (zp.mode == BPFTIME_SYSCALL_SUD && zp.active)
		zp_sud_thread_start();
}

/* special handles the syscalls that switch stacks; 0 (ZP_ACT_DONE) when it could be made here after all. */
ZP_FRAME_CODE ZP_COLD static int special(struct zp_frame *f, struct zp_thread *t)
{
	long nr = (long)f->rax, ret;
	long *args = (long *)f->args;
	int tr = traced(t);
	if (tr && nr != SYS_rt_sigreturn && call_enter(t, nr, args, &ret)) {
		call_exit(t, nr, args, ret);
		f->rax = (uint64_t)ret;
		return ZP_ACT_DONE;
	}
	if (tr && nr == SYS_rt_sigreturn && zp.enter) {
		long ignored;
		call_enter(t, nr, args, &ignored); /* skipping rt_sigreturn is not offered: it would return into garbage */
	}
	f->scratch[SC_NR] = (uint64_t)nr;
	f->scratch[SC_KIND] = tr ? K_TRACED : 0;
	switch (nr) {
	case SYS_rt_sigreturn:
		return ZP_ACT_SIGRETURN;
	case SYS_vfork:
		return vfork_like(f, tr);
	case SYS_clone:
		if (args[1]) {
			f->scratch[SC_ORIG] = (uint64_t)args[1];
			f->scratch[SC_KIND] |= K_CLONE;
			uint64_t cf = new_stack(f, (uint64_t)args[1]);
			if (!cf)
				break;
			args[1] = (long)cf;
			return ZP_ACT_SYSCALL;
		}
		if (args[0] & CLONE_VM)
			return vfork_like(f, tr);
		break;
	case SYS_clone3: {
		struct clone_args *ca = (struct clone_args *)&f->scratch[SC_ARGS];
		size_t size = (size_t)args[1];
		if (size < CLONE_ARGS_SIZE_VER0 || size > CLONE_ARGS_MAX)
			break; /* the kernel answers EINVAL / E2BIG-or-more-fields itself */
		memset(ca, 0, CLONE_ARGS_MAX);
		if (copy_self(ca, (void *)args[0], size, 0))
			break; /* EFAULT from the kernel */
		if (ca->stack) {
			f->scratch[SC_ORIG] = (uint64_t)args[0];
			f->scratch[SC_KIND] |= K_CLONE3;
			uint64_t cf = new_stack(f, ca->stack + ca->stack_size);
			if (!cf)
				break;
			ca->stack_size = cf - ca->stack;
			args[0] = (long)ca;
			return ZP_ACT_SYSCALL;
		}
		if (ca->flags & CLONE_VM)
			return vfork_like(f, tr);
		break;
	}
	}
	/* Same stack, own memory (fork-like), or arguments the kernel will refuse: made here like any other. */
	if (f->scratch[SC_KIND] & K_CLONE)
		args[1] = (long)f->scratch[SC_ORIG];
	if (f->scratch[SC_KIND] & K_CLONE3)
		args[0] = (long)f->scratch[SC_ORIG];
	ret = zp_raw6(nr, args);
	if (ret == 0)
		child_start();
	if (tr)
		call_exit(t, nr, args, ret);
	f->rax = (uint64_t)ret;
	return ZP_ACT_DONE;
}

/* mapped follows the program's code mappings: a library mapped with PROT_EXEC from a file (dlopen) has its syscalls
 * rewritten before anyone runs it; an unmapped range is no longer ours to restore. */
ZP_COLD static void mapped(struct zp_thread *t, long nr, const long *args, long ret)
{
	if ((unsigned long)ret >= -4096UL)
		return;
	int unmaps = nr == SYS_munmap || (args[3] & MAP_FIXED);
	int code = nr == SYS_mmap && (args[2] & PROT_EXEC) && (int)args[4] >= 0;
	if (!unmaps && !code)
		return;
	zp_hold(t);
	if (code)
		zp_rewrite_mapped((uintptr_t)ret, (size_t)args[1], (int)args[4], (uint64_t)args[5], (int)args[2]);
	else
		zp_forget_range(nr == SYS_munmap ? (uintptr_t)args[0] : (uintptr_t)ret, (size_t)args[1]);
	zp_release(t);
}

ZP_FRAME_CODE ZP_HOT int bpftime_zp_dispatch(struct zp_frame *f)
{
	struct zp_thread *t = &zp_tls;
	check_site(t, f->ret);
	long nr = (long)f->rax;
	const long *args = (const long *)f->args;
	switch (nr) {
	case SYS_rt_sigreturn:
	case SYS_clone:
	case SYS_clone3:
	case SYS_vfork:
		return special(f, t);
	}
	long ret;
	if (traced(t) && call_enter(t, nr, args, &ret))
		goto done;
	if (__builtin_expect(zp.mode == BPFTIME_SYSCALL_SUD, 0) && zp_sud_filter(nr, args, &ret))
		goto done;
	ret = zp_raw6(nr, args);
	/* Not for the agent's own mappings (guard held): the rewriter itself allocates while it holds its lock. */
	if (__builtin_expect(nr == SYS_mmap || nr == SYS_munmap, 0) && zp.mode == BPFTIME_SYSCALL_ZPOLINE && traced(t))
		mapped(t, nr, args, ret);
done:
	if (traced(t))
		call_exit(t, nr, args, ret);
	f->rax = (uint64_t)ret;
	return ZP_ACT_DONE;
}

/* bpftime_zp_after: after a clone with a new stack, in the parent and (on its copy of the frame) in the child. */
ZP_FRAME_CODE void bpftime_zp_after(struct zp_frame *f)
{
	long nr = (long)f->scratch[SC_NR], ret = (long)f->rax;
	uint64_t kind = f->scratch[SC_KIND];
	if (kind & K_CLONE)
		f->args[1] = f->scratch[SC_ORIG];
	if (kind & K_CLONE3)
		f->args[0] = f->scratch[SC_ORIG];
	if (ret == 0)
		child_start();
	if (kind & K_TRACED)
		call_exit(&zp_tls, nr, (const long *)f->args, ret);
}

/* bpftime_zp_after_vfork: after vfork, in the child first (on the shared stack) and then in the parent. */
ZP_FRAME_CODE void bpftime_zp_after_vfork(struct zp_frame *f)
{
	f->ret = zp_vf.ret;
	zp_tid_reset(); /* in the parent too: the child ran on this thread's TLS */
	if (f->rax == 0)
		child_start();
	if (zp_vf.traced)
		call_exit(&zp_tls, zp_vf.nr, zp_vf.args, (long)f->rax);
}
