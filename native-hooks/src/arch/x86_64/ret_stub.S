/*
 * bpftime_arch_ret_stub: where a return-probed call goes when the function returns: a site's landing pad (the
 * instruction after the trampoline's `call` into the function, see trampoline.c) jumps here. It builds a
 * struct bpftime_pt_regs (168 bytes) over the free return slot, keeps the return registers (rax, rdx in the GPR
 * slots), saves xmm0-15, calls bpftime_hook_leave(regs), which pops the shadow stack entry, runs the return probes
 * and gives back the original return address, and restores every register the callbacks may have changed: not only
 * the return value, since with interprocedural register allocation (gcc -O2) a caller may keep values in any
 * caller-saved register its callee is known not to touch. The original address goes into the old return slot and
 * a `ret` takes it: the CPU's return stack still holds it from the caller's own `call`, so it is predicted.
 */
	.text
/* ret_stub NAME, VEC: VEC=1 keeps xmm0-15 around the dispatch, VEC=0 is for callbacks that touch no vector register
 * (BPFTIME_PROBE_NO_VECTOR). */
	.macro ret_stub name, vec
	.globl \name
	.hidden \name
	.type \name, @function
	.p2align 6
	nop	/* so that an unwinder looking up (return address - 1) does not land in another function */
\name:
	/* rsp = the old return slot + 8, 16-byte aligned when the caller kept the ABI; only pushes and lea move it */
	pushq $0			/* the old return slot: receives the original return address */
	pushq $0x2b			/* ss */
	pushq %rsp			/* rsp: the value before this push, fixed below */
	pushq $0x202			/* eflags: the status flags are dead at a return */
	pushq $0x33			/* cs */
	pushq $0			/* rip: bpftime_hook_leave fills in the return address */
	pushq $-1			/* orig_rax */
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rax
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	addq $16, 152(%rsp)		/* rsp after the return */
	movq %rsp, %rdi
	leaq -256*\vec(%rsp), %rsp
	.if \vec
	movups %xmm0, 0(%rsp)
	movups %xmm1, 16(%rsp)
	movups %xmm2, 32(%rsp)
	movups %xmm3, 48(%rsp)
	movups %xmm4, 64(%rsp)
	movups %xmm5, 80(%rsp)
	movups %xmm6, 96(%rsp)
	movups %xmm7, 112(%rsp)
	movups %xmm8, 128(%rsp)
	movups %xmm9, 144(%rsp)
	movups %xmm10, 160(%rsp)
	movups %xmm11, 176(%rsp)
	movups %xmm12, 192(%rsp)
	movups %xmm13, 208(%rsp)
	movups %xmm14, 224(%rsp)
	movups %xmm15, 240(%rsp)
	.endif
	call bpftime_hook_leave
	movq %rax, 256*\vec+168(%rsp)	/* the old return slot := the original return address */
	.if \vec
	movups 0(%rsp), %xmm0
	movups 16(%rsp), %xmm1
	movups 32(%rsp), %xmm2
	movups 48(%rsp), %xmm3
	movups 64(%rsp), %xmm4
	movups 80(%rsp), %xmm5
	movups 96(%rsp), %xmm6
	movups 112(%rsp), %xmm7
	movups 128(%rsp), %xmm8
	movups 144(%rsp), %xmm9
	movups 160(%rsp), %xmm10
	movups 176(%rsp), %xmm11
	movups 192(%rsp), %xmm12
	movups 208(%rsp), %xmm13
	movups 224(%rsp), %xmm14
	movups 240(%rsp), %xmm15
	.endif
	leaq 256*\vec+32(%rsp), %rsp		/* r15-r12: callee-saved, untouched by the callbacks */
	popq %rbp
	popq %rbx
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rax
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	leaq 48(%rsp), %rsp
	ret				/* to the original address, which the CPU's return stack predicts */
	.size \name, .-\name
	.endm

	ret_stub bpftime_arch_ret_stub, 1
	ret_stub bpftime_arch_ret_stub_novec, 0
	.section .note.GNU-stack, "", @progbits
