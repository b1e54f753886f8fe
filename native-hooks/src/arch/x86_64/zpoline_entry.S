/*
 * zpoline_entry.S: the syscall hook's entry (docs/native.md, "syscall"). The trampoline page at address 0 (built by
 * zpoline_page.c) and the Syscall User Dispatch SIGSYS handler both arrive here with rsp = caller's rsp - 136 and
 * the return address at 128(%rsp). The entry saves the registers a syscall preserves and the C code may clobber
 * (the argument registers, rax, xmm0-15), calls bpftime_zp_dispatch, which usually makes the syscall itself, and
 * returns with `ret $136`. Syscalls that change stacks (clone with a new stack, vfork, rt_sigreturn) are made here.
 * This file is in the agent object, which is never rewritten and is the region SUD allows: its `syscall`
 * instructions reach the kernel directly.
 */
#include "../../syscall/frame.h"

	.macro SAVE_XMM
	movaps %xmm0, 0(%rsp)
	movaps %xmm1, 16(%rsp)
	movaps %xmm2, 32(%rsp)
	movaps %xmm3, 48(%rsp)
	movaps %xmm4, 64(%rsp)
	movaps %xmm5, 80(%rsp)
	movaps %xmm6, 96(%rsp)
	movaps %xmm7, 112(%rsp)
	movaps %xmm8, 128(%rsp)
	movaps %xmm9, 144(%rsp)
	movaps %xmm10, 160(%rsp)
	movaps %xmm11, 176(%rsp)
	movaps %xmm12, 192(%rsp)
	movaps %xmm13, 208(%rsp)
	movaps %xmm14, 224(%rsp)
	movaps %xmm15, 240(%rsp)
	.endm

	.macro RESTORE_XMM
	movaps 0(%rsp), %xmm0
	movaps 16(%rsp), %xmm1
	movaps 32(%rsp), %xmm2
	movaps 48(%rsp), %xmm3
	movaps 64(%rsp), %xmm4
	movaps 80(%rsp), %xmm5
	movaps 96(%rsp), %xmm6
	movaps 112(%rsp), %xmm7
	movaps 128(%rsp), %xmm8
	movaps 144(%rsp), %xmm9
	movaps 160(%rsp), %xmm10
	movaps 176(%rsp), %xmm11
	movaps 192(%rsp), %xmm12
	movaps 208(%rsp), %xmm13
	movaps 224(%rsp), %xmm14
	movaps 240(%rsp), %xmm15
	.endm

	/* CALL_C fn: call fn(frame) on a 16-byte aligned stack with xmm0-15 kept; rsp = frame before and after. */
	.macro CALL_C fn
	mov %rsp, %rbp
	and $-16, %rsp
	sub $ZP_XMM_BYTES, %rsp
	SAVE_XMM
	mov %rbp, %rdi
	call \fn
	RESTORE_XMM
	mov %rbp, %rsp
	.endm

	.macro LOAD_REGS
	mov ZP_F_RAX(%rsp), %rax
	mov ZP_F_ARGS+0(%rsp), %rdi
	mov ZP_F_ARGS+8(%rsp), %rsi
	mov ZP_F_ARGS+16(%rsp), %rdx
	mov ZP_F_ARGS+24(%rsp), %r10
	mov ZP_F_ARGS+32(%rsp), %r8
	mov ZP_F_ARGS+40(%rsp), %r9
	mov ZP_F_RBP(%rsp), %rbp
	.endm

	.macro STORE_REGS
	mov %rax, ZP_F_RAX(%rsp)
	mov %rdi, ZP_F_ARGS+0(%rsp)
	mov %rsi, ZP_F_ARGS+8(%rsp)
	mov %rdx, ZP_F_ARGS+16(%rsp)
	mov %r10, ZP_F_ARGS+24(%rsp)
	mov %r8, ZP_F_ARGS+32(%rsp)
	mov %r9, ZP_F_ARGS+40(%rsp)
	mov %rbp, ZP_F_RBP(%rsp)
	.endm

	/* LEAVE: pop the frame and return to the caller with its own rsp. */
	.macro LEAVE
	pop %rbp
	pop %rax
	pop %rdi
	pop %rsi
	pop %rdx
	pop %r10
	pop %r8
	pop %r9
	add $ZP_SCRATCH_BYTES, %rsp
	ret $ZP_RETPOP
	.endm

	/* Beside the dispatch's fast path (ZP_HOT in internal.h; the build links this object and dispatch.c's into one,
	 * this part first): one code page per hooked syscall. */
	.section .text.hot.bpftime_zp, "ax", @progbits
	.p2align 12
	.globl bpftime_zp_entry
	.hidden bpftime_zp_entry
	.type bpftime_zp_entry, @function
bpftime_zp_entry:
	pushq ZP_REDZONE(%rsp)
	sub $ZP_SCRATCH_BYTES, %rsp
	push %r9
	push %r8
	push %r10
	push %rdx
	push %rsi
	push %rdi
	push %rax
	push %rbp
	CALL_C bpftime_zp_dispatch
	test %eax, %eax
	jnz 1f
	LEAVE
1:	cmp $ZP_ACT_VFORK, %eax
	je 2f
	cmp $ZP_ACT_SIGRETURN, %eax
	je 3f
	/* A clone whose child starts on a new stack: the dispatch copied this frame to the top of it, so the child
	 * leaves through the same path with its own copy. */
	LOAD_REGS
	syscall
	STORE_REGS
	CALL_C bpftime_zp_after
	LEAVE
	/* vfork: the child runs on this very stack and may overwrite the frame before the parent resumes; the
	 * registers come back from the CPU and the rest from thread-local storage. */
2:	LOAD_REGS
	syscall
	STORE_REGS
	CALL_C bpftime_zp_after_vfork
	LEAVE
	/* rt_sigreturn reads the signal frame at the caller's stack pointer and never returns. */
3:	LOAD_REGS
	lea ZP_FRAME_TO_CRSP(%rsp), %rsp
	syscall
	ud2
	.size bpftime_zp_entry, .-bpftime_zp_entry

	.globl bpftime_syscall_raw
	.hidden bpftime_syscall_raw
	.type bpftime_syscall_raw, @function
bpftime_syscall_raw:
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	syscall
	ret
	.size bpftime_syscall_raw, .-bpftime_syscall_raw

	.text
	/* The SIGSYS handler's sa_restorer: its rt_sigreturn must come from the region SUD allows. */
	.globl bpftime_zp_restorer
	.hidden bpftime_zp_restorer
	.type bpftime_zp_restorer, @function
bpftime_zp_restorer:
	mov $15, %eax
	syscall
	ud2
	.size bpftime_zp_restorer, .-bpftime_zp_restorer

	.section .note.GNU-stack, "", @progbits
