/*
 * frame.h: the register frame the zpoline entry (src/arch/x86_64/zpoline_entry.S) builds on the stack and the C
 * dispatch reads and writes. Included by C and by the assembler, so the offsets are written once.
 *
 * Stack at the entry, from the trampoline: `call *%rax` pushed the return address at crsp-8 (crsp: the caller's
 * stack pointer at its syscall instruction), the trampoline moved rsp down by the 128-byte red zone. The entry copies
 * the return address down and pushes the frame below it; it leaves with `ret $RETPOP`, so rsp is crsp again.
 */
#ifndef BPFTIME_SYSCALL_FRAME_H
#define BPFTIME_SYSCALL_FRAME_H

#define ZP_F_RBP 0
#define ZP_F_RAX 8   /* the syscall number on entry, its result on the way out */
#define ZP_F_ARGS 16 /* rdi rsi rdx r10 r8 r9 */
#define ZP_F_SCRATCH 64
#define ZP_SCRATCH_BYTES 128
#define ZP_F_RET 192 /* the copy of the return address `ret $RETPOP` pops */
#define ZP_FRAME_SIZE 200
#define ZP_REDZONE 128
#define ZP_RETPOP (ZP_REDZONE + 8)
#define ZP_FRAME_TO_CRSP (ZP_FRAME_SIZE + ZP_RETPOP) /* frame base + this = the caller's rsp */
#define ZP_XMM_BYTES 256

/* What the dispatch tells the entry to do (its return value). */
#define ZP_ACT_DONE 0      /* the syscall was made (or skipped): the result is in the frame */
#define ZP_ACT_SYSCALL 1   /* make it here with the frame's registers (clone with a new stack), then zp_after */
#define ZP_ACT_VFORK 2     /* make it here; the frame may be overwritten by the child: zp_after_vfork */
#define ZP_ACT_SIGRETURN 3 /* rt_sigreturn from the caller's stack pointer */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* zp_frame is the C view of the frame. */
struct zp_frame {
	uint64_t rbp;
	uint64_t rax;
	uint64_t args[6];
	uint64_t scratch[ZP_SCRATCH_BYTES / 8];
	uint64_t ret;
};

_Static_assert(__builtin_offsetof(struct zp_frame, rax) == ZP_F_RAX, "frame layout");
_Static_assert(__builtin_offsetof(struct zp_frame, args) == ZP_F_ARGS, "frame layout");
_Static_assert(__builtin_offsetof(struct zp_frame, scratch) == ZP_F_SCRATCH, "frame layout");
_Static_assert(__builtin_offsetof(struct zp_frame, ret) == ZP_F_RET, "frame layout");
_Static_assert(sizeof(struct zp_frame) == ZP_FRAME_SIZE, "frame layout");
#endif
#endif
