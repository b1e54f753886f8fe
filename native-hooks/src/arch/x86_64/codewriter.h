/*
 * codewriter.h: a small x86-64 machine code writer (the subset trampolines and the relocator need).
 *
 * Code is written into a caller-provided buffer while `pc` says where it will run, so branch displacements are
 * computed for the final address; the buffer is copied into executable memory afterwards. Overflowing the buffer
 * or an out-of-range displacement sets `failed` (checked once at the end) instead of failing every call.
 * Shared with the syscall component (zpoline); owned by the hook component.
 */
#ifndef BPFTIME_X86_CODEWRITER_H
#define BPFTIME_X86_CODEWRITER_H

#include <stddef.h>
#include <stdint.h>

/** bpftime_x86_reg: general-purpose registers in encoding order. */
enum bpftime_x86_reg {
	X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/** bpftime_x86_writer: the buffer being written and the runtime address of its first byte. */
struct bpftime_x86_writer {
	uint8_t *buf;
	size_t len, cap;
	uintptr_t pc;
	int failed; /* 1: buffer overflow, 2: displacement out of range */
};

/** bpftime_x86_init: start writing into buf[cap], which will run at address pc. */
void bpftime_x86_init(struct bpftime_x86_writer *w, uint8_t *buf, size_t cap, uintptr_t pc);
/** bpftime_x86_here: the runtime address of the next byte. */
static inline uintptr_t bpftime_x86_here(const struct bpftime_x86_writer *w) { return w->pc + w->len; }
/** bpftime_x86_bytes: append raw bytes. */
void bpftime_x86_bytes(struct bpftime_x86_writer *w, const void *p, size_t n);
/** bpftime_x86_u8 / u32 / u64: append one little-endian value. */
void bpftime_x86_u8(struct bpftime_x86_writer *w, uint8_t v);
void bpftime_x86_u32(struct bpftime_x86_writer *w, uint32_t v);
void bpftime_x86_u64(struct bpftime_x86_writer *w, uint64_t v);

/** bpftime_x86_store: mov qword [base+disp], src. */
void bpftime_x86_store(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, enum bpftime_x86_reg src);
/** bpftime_x86_load: mov dst, qword [base+disp]. */
void bpftime_x86_load(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, enum bpftime_x86_reg base, int32_t disp);
/** bpftime_x86_store_imm: mov qword [base+disp], imm (sign-extended 32-bit). */
void bpftime_x86_store_imm(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, int32_t imm);
/** bpftime_x86_store_imm32: mov dword [base+disp], imm. */
void bpftime_x86_store_imm32(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, uint32_t imm);
/** bpftime_x86_lea: lea dst, [base+disp] (flags untouched). */
void bpftime_x86_lea(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, enum bpftime_x86_reg base, int32_t disp);
/** bpftime_x86_mov_imm: mov dst, imm64 (the shortest exact form). */
void bpftime_x86_mov_imm(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, uint64_t imm);
/** bpftime_x86_mov: mov dst, src (64-bit). */
void bpftime_x86_mov(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, enum bpftime_x86_reg src);
/** bpftime_x86_and_imm8: and dst, imm8 (sign-extended; e.g. -16 to align the stack). */
void bpftime_x86_and_imm8(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, int8_t imm);
/** bpftime_x86_push / pop: push or pop a 64-bit register. */
void bpftime_x86_push(struct bpftime_x86_writer *w, enum bpftime_x86_reg r);
void bpftime_x86_pop(struct bpftime_x86_writer *w, enum bpftime_x86_reg r);
/** bpftime_x86_xmm_store / load: movups [base+disp], xmmN / movups xmmN, [base+disp]. */
void bpftime_x86_xmm_store(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, int xmm);
void bpftime_x86_xmm_load(struct bpftime_x86_writer *w, int xmm, enum bpftime_x86_reg base, int32_t disp);
/** bpftime_x86_push_mem_rip: push qword [rip+disp32] (a 64-bit literal at `addr`). */
void bpftime_x86_push_mem_rip(struct bpftime_x86_writer *w, uintptr_t addr);
/** bpftime_x86_push_imm: push a sign-extended 8- or 32-bit immediate. */
void bpftime_x86_push_imm(struct bpftime_x86_writer *w, int32_t imm);
/** bpftime_x86_add_mem_imm8: add qword [base+disp], imm8. */
void bpftime_x86_add_mem_imm8(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, int8_t imm);
/** bpftime_x86_cmp_imm8: cmp r32, imm8. */
void bpftime_x86_cmp_imm8(struct bpftime_x86_writer *w, enum bpftime_x86_reg r, int8_t imm);
/** bpftime_x86_test32: test a32, b32. */
void bpftime_x86_test32(struct bpftime_x86_writer *w, enum bpftime_x86_reg a, enum bpftime_x86_reg b);

/** bpftime_x86_jmp: jmp to an absolute address: rel32 when in reach, else jmp [rip+0] with an 8-byte literal. */
void bpftime_x86_jmp(struct bpftime_x86_writer *w, uintptr_t target);
/** bpftime_x86_call: call an absolute address: rel32 when in reach, else through `scratch` (clobbered). */
void bpftime_x86_call(struct bpftime_x86_writer *w, uintptr_t target, enum bpftime_x86_reg scratch);
/** bpftime_x86_jcc_rel32: jcc to an absolute address (cc = the condition nibble, 0x4 = e/z); fails out of reach. */
void bpftime_x86_jcc_rel32(struct bpftime_x86_writer *w, unsigned cc, uintptr_t target);
/** bpftime_x86_jcc_label: a jcc rel32 whose target is bound later; returns the position to give bpftime_x86_bind. */
size_t bpftime_x86_jcc_label(struct bpftime_x86_writer *w, unsigned cc);
/** bpftime_x86_bind: point the rel32 written at `at` (from bpftime_x86_jcc_label) to the current position. */
void bpftime_x86_bind(struct bpftime_x86_writer *w, size_t at);

/** bpftime_x86_ret, pushfq, popfq, int3: one-byte instructions. */
void bpftime_x86_ret(struct bpftime_x86_writer *w);
void bpftime_x86_pushfq(struct bpftime_x86_writer *w);
void bpftime_x86_popfq(struct bpftime_x86_writer *w);
void bpftime_x86_int3(struct bpftime_x86_writer *w);

/** bpftime_x86_rel32_fits: whether a rel32 displacement at `from` (the next instruction's address) reaches `to`. */
static inline int bpftime_x86_rel32_fits(uintptr_t from, uintptr_t to)
{
	int64_t d = (int64_t)(to - from);
	return d >= INT32_MIN && d <= INT32_MAX;
}

#endif
