/*
 * bpftime_arch_ret_stub: where a return-probed function returns to (its return address was replaced at entry).
 * Builds a struct bpftime_pt_regs (168 bytes) below the return slot, keeps the return registers (rax, rdx in the
 * GPR slots, xmm0/xmm1 aligned below), calls bpftime_hook_leave(regs), which runs the return probes and gives back
 * the original return address. That address is stored in the old return slot and reached with an indirect jump:
 * [rsp-8] after the final lea lies in the red zone, which the kernel does not overwrite when it delivers a signal.
 */
	.text
	.globl bpftime_arch_ret_stub
	.hidden bpftime_arch_ret_stub
	.type bpftime_arch_ret_stub, @function
	.p2align 6
	nop	/* so that an unwinder looking up (return address - 1) does not land in another function */
bpftime_arch_ret_stub:
	leaq -176(%rsp), %rsp
	movq %r15, 0(%rsp)
	movq %r14, 8(%rsp)
	movq %r13, 16(%rsp)
	movq %r12, 24(%rsp)
	movq %rbp, 32(%rsp)
	movq %rbx, 40(%rsp)
	movq %r11, 48(%rsp)
	movq %r10, 56(%rsp)
	movq %r9, 64(%rsp)
	movq %r8, 72(%rsp)
	movq %rax, 80(%rsp)
	movq %rcx, 88(%rsp)
	movq %rdx, 96(%rsp)
	movq %rsi, 104(%rsp)
	movq %rdi, 112(%rsp)
	movq $-1, 120(%rsp)		/* orig_rax */
	movq $0, 128(%rsp)		/* rip: bpftime_hook_leave fills in the return address */
	movq $0x33, 136(%rsp)		/* cs */
	pushfq
	popq %rax
	movq %rax, 144(%rsp)		/* eflags */
	leaq 176(%rsp), %rax
	movq %rax, 152(%rsp)		/* rsp after the return */
	movq $0x2b, 160(%rsp)		/* ss */
	movq %rsp, %rbx
	andq $-16, %rsp
	subq $32, %rsp
	movaps %xmm0, 0(%rsp)
	movaps %xmm1, 16(%rsp)
	movq %rbx, %rdi
	call bpftime_hook_leave
	movaps 0(%rsp), %xmm0
	movaps 16(%rsp), %xmm1
	movq %rbx, %rsp
	movq %rax, 168(%rsp)		/* the old return slot := the original return address */
	movq 0(%rsp), %r15
	movq 8(%rsp), %r14
	movq 16(%rsp), %r13
	movq 24(%rsp), %r12
	movq 32(%rsp), %rbp
	movq 40(%rsp), %rbx
	movq 48(%rsp), %r11
	movq 56(%rsp), %r10
	movq 64(%rsp), %r9
	movq 72(%rsp), %r8
	movq 80(%rsp), %rax
	movq 88(%rsp), %rcx
	movq 96(%rsp), %rdx
	movq 104(%rsp), %rsi
	movq 112(%rsp), %rdi
	leaq 176(%rsp), %rsp
	jmp *-8(%rsp)
	.size bpftime_arch_ret_stub, .-bpftime_arch_ret_stub
	.section .note.GNU-stack, "", @progbits
