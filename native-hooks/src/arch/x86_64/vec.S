/* vec.S: saving and restoring xmm0-15 around the slow paths of vector-free code (../vec.h).
 *
 * The runtime, the map code and the programs are built with -mgeneral-regs-only, so a uprobe's entry stub need not
 * save the vector registers (BPFTIME_PROBE_NO_VECTOR). The libc functions a slow path calls (snprintf, malloc, the
 * string functions) may use them: such a path first spills xmm0-15 here (rt_vec_spill), and the run's end loads them
 * back. Separate functions, not inline asm: a call makes every compiler assume the vector registers clobbered, also
 * in the sanitizer builds that do not use -mgeneral-regs-only. */
	.text
	.globl bpftime_vec_save
	.hidden bpftime_vec_save
	.type bpftime_vec_save, @function
/* bpftime_vec_save(void *buf): buf (256 bytes) = xmm0-15. */
bpftime_vec_save:
	.cfi_startproc
	movups %xmm0, 0(%rdi)
	movups %xmm1, 16(%rdi)
	movups %xmm2, 32(%rdi)
	movups %xmm3, 48(%rdi)
	movups %xmm4, 64(%rdi)
	movups %xmm5, 80(%rdi)
	movups %xmm6, 96(%rdi)
	movups %xmm7, 112(%rdi)
	movups %xmm8, 128(%rdi)
	movups %xmm9, 144(%rdi)
	movups %xmm10, 160(%rdi)
	movups %xmm11, 176(%rdi)
	movups %xmm12, 192(%rdi)
	movups %xmm13, 208(%rdi)
	movups %xmm14, 224(%rdi)
	movups %xmm15, 240(%rdi)
	ret
	.cfi_endproc
	.size bpftime_vec_save, .-bpftime_vec_save

	.globl bpftime_vec_load
	.hidden bpftime_vec_load
	.type bpftime_vec_load, @function
/* bpftime_vec_load(const void *buf): xmm0-15 = buf. */
bpftime_vec_load:
	.cfi_startproc
	movups 0(%rdi), %xmm0
	movups 16(%rdi), %xmm1
	movups 32(%rdi), %xmm2
	movups 48(%rdi), %xmm3
	movups 64(%rdi), %xmm4
	movups 80(%rdi), %xmm5
	movups 96(%rdi), %xmm6
	movups 112(%rdi), %xmm7
	movups 128(%rdi), %xmm8
	movups 144(%rdi), %xmm9
	movups 160(%rdi), %xmm10
	movups 176(%rdi), %xmm11
	movups 192(%rdi), %xmm12
	movups 208(%rdi), %xmm13
	movups 224(%rdi), %xmm14
	movups 240(%rdi), %xmm15
	ret
	.cfi_endproc
	.size bpftime_vec_load, .-bpftime_vec_load

	.section .note.GNU-stack,"",@progbits
