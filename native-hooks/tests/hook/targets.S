/* Probe targets with exact prologues (tests/hook): each is a real function symbol with its size. */
	.text
#define FUNC(name) .globl name; .type name, @function; .p2align 4; name:
#define END(name) .size name, .-name

/* endbr64 (4 bytes) then push rbp: the patch covers endbr64 + push rbp (boundary at +4) */
FUNC(t_endbr)
	endbr64
	push %rbp
	mov %rsp, %rbp
	lea (%rdi,%rsi), %rax
	pop %rbp
	ret
END(t_endbr)

/* push rbp; mov rbp,rsp; ...: boundaries at +1 and +4 */
FUNC(t_pushrbp)
	push %rbp
	mov %rsp, %rbp
	mov %rdi, %rax
	imul %rsi, %rax
	pop %rbp
	ret
END(t_pushrbp)

/* a RIP-relative load as the first instruction */
FUNC(t_riprel)
	mov t_data(%rip), %rax
	add %rdi, %rax
	ret
END(t_riprel)

/* a RIP-relative lea, then a load through it */
FUNC(t_riplea)
	lea t_data(%rip), %rax
	mov 8(%rax), %rax
	add %rdi, %rax
	ret
END(t_riplea)

/* 2 bytes then ret: too short for a 5-byte jump */
FUNC(t_short)
	mov %edi, %eax
	ret
END(t_short)
	int3
	int3
	int3
	int3

/* a loop jumping back to +2, inside the bytes the patch overwrites: refused */
FUNC(t_jmpback)
	mov %edi, %eax
1:	sub $1, %eax
	jnz 1b
	ret
END(t_jmpback)

/* another entry point jumping into t_shared's second instruction (as glibc's mempcpy jumps into memmove): refused */
FUNC(t_side)
	mov %rsi, %rax
	jmp t_shared_body
END(t_side)
FUNC(t_shared)
	mov %rdi, %rax
t_shared_body:
	add $1, %rax
	ret
END(t_shared)

/* a short conditional jump among the first instructions (relocated as a jcc rel32) */
FUNC(t_jcc)
	test %edi, %edi
	je 1f
	mov $1, %eax
	ret
1:	mov $2, %eax
	ret
END(t_jcc)

/* a call as the first instruction (relocated as push return address + jmp) */
FUNC(t_callfirst)
	call t_double
	add $1, %rax
	ret
END(t_callfirst)
FUNC(t_double)
	lea (%rdi,%rdi), %rax
	ret
END(t_double)

/* flags live across the probe point t_flags+4: cmp, then (probed) mov, then setg reads the flags */
FUNC(t_flags)
	cmp $5, %rdi
	.globl t_flags_probe
t_flags_probe:
	mov $0, %ecx
	setg %cl
	mov %ecx, %eax
	ret
END(t_flags)

/* a leaf using its red zone across the probe point t_redzone+10 */
FUNC(t_redzone)
	mov %rdi, -8(%rsp)
	mov %rsi, -16(%rsp)
	.globl t_redzone_probe
t_redzone_probe:
	mov -8(%rsp), %rax
	add -16(%rsp), %rax
	ret
END(t_redzone)

/* doubles in and out: xmm0 + xmm1 (the probe's callback clobbers vector registers) */
FUNC(t_fadd)
	movapd %xmm0, %xmm2
	addsd %xmm1, %xmm2
	movapd %xmm2, %xmm0
	ret
END(t_fadd)

/* counts its calls atomically; boundaries at +1 and +4 (threads preempted there must be moved on attach) */
FUNC(t_count)
	push %rbp
	mov %rsp, %rbp
	lock incq t_counter(%rip)
	mov %rdi, %rax
	pop %rbp
	ret
END(t_count)

/* a tail call from one probed function into another: returns share one return slot */
FUNC(t_tail_outer)
	add $100, %rdi
	jmp t_tail_inner
END(t_tail_outer)
FUNC(t_tail_inner)
	lea 1(%rdi), %rax
	nop
	ret
END(t_tail_inner)

/* read(fd, buf, n) with the syscall at +2: a thread blocked in it stands inside the bytes a patch overwrites */
FUNC(t_block)
	xor %eax, %eax
	syscall
	nop
	ret
END(t_block)

	.data
	.globl t_data, t_counter
	.p2align 4
t_data: .quad 1000, 2000
t_counter: .quad 0
	.section .note.GNU-stack, "", @progbits
