/*
 * bpftime_arch_ret_stub: where a return-probed function returns to (its return address was replaced at entry).
 * Builds a struct bpftime_pt_regs (168 bytes) below the return slot, keeps the return registers (rax, rdx in the
 * GPR slots), saves xmm0-15, calls bpftime_hook_leave(regs), which runs the return probes and gives back the
 * original return address, and restores every register the callbacks may have changed: not only the return value,
 * since with interprocedural register allocation (gcc -O2) a caller may keep values in any caller-saved register
 * its callee is known not to touch. That address is stored in the old return slot and reached with an indirect jump:
 * [rsp-8] after the final lea lies in the red zone, which the kernel does not overwrite when it delivers a signal.
 */
	.text
	.globl bpftime_arch_ret_stub
	.hidden bpftime_arch_ret_stub
	.type bpftime_arch_ret_stub, @function
	.p2align 6
	nop	/* so that an unwinder looking up (return address - 1) does not land in another function */
bpftime_arch_ret_stub:
	/* ss, rsp, eflags, cs, rip, orig_rax, then the registers pushed in pt_regs order (see trampoline.c) */
	pushq $0			/* the old return slot: the original return address goes here */
	pushq $0x2b			/* ss */
	pushq $0			/* rsp: below */
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
	movq %rsp, %rbx
	leaq 176(%rbx), %rax
	movq %rax, 152(%rbx)		/* rsp after the return */
	andq $-16, %rsp
	subq $256, %rsp
	movq %rsp, %rbp
	movaps %xmm0, 0(%rbp)
	movaps %xmm1, 16(%rbp)
	movaps %xmm2, 32(%rbp)
	movaps %xmm3, 48(%rbp)
	movaps %xmm4, 64(%rbp)
	movaps %xmm5, 80(%rbp)
	movaps %xmm6, 96(%rbp)
	movaps %xmm7, 112(%rbp)
	movaps %xmm8, 128(%rbp)
	movaps %xmm9, 144(%rbp)
	movaps %xmm10, 160(%rbp)
	movaps %xmm11, 176(%rbp)
	movaps %xmm12, 192(%rbp)
	movaps %xmm13, 208(%rbp)
	movaps %xmm14, 224(%rbp)
	movaps %xmm15, 240(%rbp)
	movq %rbx, %rdi
	call bpftime_hook_leave
	movaps 0(%rbp), %xmm0
	movaps 16(%rbp), %xmm1
	movaps 32(%rbp), %xmm2
	movaps 48(%rbp), %xmm3
	movaps 64(%rbp), %xmm4
	movaps 80(%rbp), %xmm5
	movaps 96(%rbp), %xmm6
	movaps 112(%rbp), %xmm7
	movaps 128(%rbp), %xmm8
	movaps 144(%rbp), %xmm9
	movaps 160(%rbp), %xmm10
	movaps 176(%rbp), %xmm11
	movaps 192(%rbp), %xmm12
	movaps 208(%rbp), %xmm13
	movaps 224(%rbp), %xmm14
	movaps 240(%rbp), %xmm15
	movq %rax, 168(%rbx)		/* the old return slot := the original return address */
	movq %rbx, %rsp
	leaq 32(%rsp), %rsp		/* r15-r12: callee-saved, untouched by the callbacks */
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
	leaq 56(%rsp), %rsp
	jmp *-8(%rsp)
	.size bpftime_arch_ret_stub, .-bpftime_arch_ret_stub
	.section .note.GNU-stack, "", @progbits
