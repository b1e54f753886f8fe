// x86-64 machine code writer: only the encodings the trampolines and the relocator use (see codewriter.h).
#include "codewriter.h"

#include <string.h>

void bpftime_x86_init(struct bpftime_x86_writer *w, uint8_t *buf, size_t cap, uintptr_t pc)
{
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
	w->pc = pc;
	w->failed = 0;
}

void bpftime_x86_bytes(struct bpftime_x86_writer *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		w->failed = 1;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void bpftime_x86_u8(struct bpftime_x86_writer *w, uint8_t v) { bpftime_x86_bytes(w, &v, 1); }
void bpftime_x86_u32(struct bpftime_x86_writer *w, uint32_t v) { bpftime_x86_bytes(w, &v, 4); }
void bpftime_x86_u64(struct bpftime_x86_writer *w, uint64_t v) { bpftime_x86_bytes(w, &v, 8); }

/* rex emits a REX prefix when any bit is needed (or always with W). */
static void rex(struct bpftime_x86_writer *w, int wide, unsigned reg, unsigned index, unsigned base)
{
	uint8_t b = 0x40 | (wide ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 | ((base >> 3) & 1);
	if (b != 0x40)
		bpftime_x86_u8(w, b);
}

/* modrm_mem encodes [base+disp] with `reg` in the reg field: the shortest displacement, a SIB byte for rsp/r12. */
static void modrm_mem(struct bpftime_x86_writer *w, unsigned reg, unsigned base, int32_t disp)
{
	unsigned mod = (disp == 0 && (base & 7) != 5) ? 0 : (disp >= -128 && disp <= 127) ? 1 : 2;
	bpftime_x86_u8(w, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == 4)
		bpftime_x86_u8(w, 0x24);
	if (mod == 1)
		bpftime_x86_u8(w, (uint8_t)(int8_t)disp);
	else if (mod == 2)
		bpftime_x86_u32(w, (uint32_t)disp);
}

/* op_mem emits REX.W? opcode [base+disp] with reg: the common shape of the memory forms below. */
static void op_mem(struct bpftime_x86_writer *w, int wide, uint8_t op, unsigned reg, unsigned base, int32_t disp)
{
	rex(w, wide, reg, 0, base);
	bpftime_x86_u8(w, op);
	modrm_mem(w, reg, base, disp);
}

void bpftime_x86_store(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, enum bpftime_x86_reg src)
{
	op_mem(w, 1, 0x89, src, base, disp);
}

void bpftime_x86_load(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, enum bpftime_x86_reg base, int32_t disp)
{
	op_mem(w, 1, 0x8b, dst, base, disp);
}

void bpftime_x86_store_imm(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, int32_t imm)
{
	op_mem(w, 1, 0xc7, 0, base, disp);
	bpftime_x86_u32(w, (uint32_t)imm);
}

void bpftime_x86_store_imm32(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, uint32_t imm)
{
	op_mem(w, 0, 0xc7, 0, base, disp);
	bpftime_x86_u32(w, imm);
}

void bpftime_x86_lea(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, enum bpftime_x86_reg base, int32_t disp)
{
	op_mem(w, 1, 0x8d, dst, base, disp);
}

void bpftime_x86_mov_imm(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, uint64_t imm)
{
	if (imm <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
		rex(w, 0, 0, 0, dst);
		bpftime_x86_u8(w, (uint8_t)(0xb8 + (dst & 7)));
		bpftime_x86_u32(w, (uint32_t)imm);
	} else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
		rex(w, 1, 0, 0, dst);
		bpftime_x86_u8(w, 0xc7);
		bpftime_x86_u8(w, (uint8_t)(0xc0 | (dst & 7)));
		bpftime_x86_u32(w, (uint32_t)imm);
	} else {
		rex(w, 1, 0, 0, dst);
		bpftime_x86_u8(w, (uint8_t)(0xb8 + (dst & 7)));
		bpftime_x86_u64(w, imm);
	}
}

void bpftime_x86_mov(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, enum bpftime_x86_reg src)
{
	rex(w, 1, src, 0, dst);
	bpftime_x86_u8(w, 0x89);
	bpftime_x86_u8(w, (uint8_t)(0xc0 | (src & 7) << 3 | (dst & 7)));
}

void bpftime_x86_and_imm8(struct bpftime_x86_writer *w, enum bpftime_x86_reg dst, int8_t imm)
{
	rex(w, 1, 0, 0, dst);
	bpftime_x86_u8(w, 0x83);
	bpftime_x86_u8(w, (uint8_t)(0xe0 | (dst & 7)));
	bpftime_x86_u8(w, (uint8_t)imm);
}

void bpftime_x86_push(struct bpftime_x86_writer *w, enum bpftime_x86_reg r)
{
	rex(w, 0, 0, 0, r);
	bpftime_x86_u8(w, (uint8_t)(0x50 + (r & 7)));
}

void bpftime_x86_pop(struct bpftime_x86_writer *w, enum bpftime_x86_reg r)
{
	rex(w, 0, 0, 0, r);
	bpftime_x86_u8(w, (uint8_t)(0x58 + (r & 7)));
}

/* xmm_mem: movups forms (0F 10 load, 0F 11 store): as fast as movaps on aligned data, and no fault on a stack that
 * a caller breaking the ABI left misaligned. */
static void xmm_mem(struct bpftime_x86_writer *w, uint8_t op, int xmm, unsigned base, int32_t disp)
{
	rex(w, 0, (unsigned)xmm, 0, base);
	bpftime_x86_u8(w, 0x0f);
	bpftime_x86_u8(w, op);
	modrm_mem(w, (unsigned)xmm, base, disp);
}

void bpftime_x86_xmm_store(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, int xmm)
{
	xmm_mem(w, 0x11, xmm, base, disp);
}

void bpftime_x86_xmm_load(struct bpftime_x86_writer *w, int xmm, enum bpftime_x86_reg base, int32_t disp)
{
	xmm_mem(w, 0x10, xmm, base, disp);
}

/* rel32 appends the displacement from the end of this 4-byte field to target. */
static void rel32(struct bpftime_x86_writer *w, uintptr_t target)
{
	uintptr_t next = bpftime_x86_here(w) + 4;
	if (!bpftime_x86_rel32_fits(next, target))
		w->failed = 2;
	bpftime_x86_u32(w, (uint32_t)(target - next));
}

void bpftime_x86_push_mem_rip(struct bpftime_x86_writer *w, uintptr_t addr)
{
	bpftime_x86_u8(w, 0xff);
	bpftime_x86_u8(w, 0x35); /* FF /6, [rip+disp32] */
	rel32(w, addr);
}

void bpftime_x86_push_imm(struct bpftime_x86_writer *w, int32_t imm)
{
	if (imm >= -128 && imm <= 127) {
		bpftime_x86_u8(w, 0x6a);
		bpftime_x86_u8(w, (uint8_t)(int8_t)imm);
	} else {
		bpftime_x86_u8(w, 0x68);
		bpftime_x86_u32(w, (uint32_t)imm);
	}
}

void bpftime_x86_add_mem_imm8(struct bpftime_x86_writer *w, enum bpftime_x86_reg base, int32_t disp, int8_t imm)
{
	op_mem(w, 1, 0x83, 0, base, disp);
	bpftime_x86_u8(w, (uint8_t)imm);
}

void bpftime_x86_cmp_imm8(struct bpftime_x86_writer *w, enum bpftime_x86_reg r, int8_t imm)
{
	rex(w, 0, 0, 0, r);
	bpftime_x86_u8(w, 0x83);
	bpftime_x86_u8(w, (uint8_t)(0xf8 | (r & 7)));
	bpftime_x86_u8(w, (uint8_t)imm);
}

void bpftime_x86_test32(struct bpftime_x86_writer *w, enum bpftime_x86_reg a, enum bpftime_x86_reg b)
{
	rex(w, 0, b, 0, a);
	bpftime_x86_u8(w, 0x85);
	bpftime_x86_u8(w, (uint8_t)(0xc0 | (b & 7) << 3 | (a & 7)));
}

void bpftime_x86_jmp(struct bpftime_x86_writer *w, uintptr_t target)
{
	if (bpftime_x86_rel32_fits(bpftime_x86_here(w) + 5, target)) {
		bpftime_x86_u8(w, 0xe9);
		rel32(w, target);
		return;
	}
	static const uint8_t jmp_rip[] = {0xff, 0x25, 0, 0, 0, 0}; /* jmp [rip+0]; the literal follows */
	bpftime_x86_bytes(w, jmp_rip, sizeof jmp_rip);
	bpftime_x86_u64(w, target);
}

void bpftime_x86_call(struct bpftime_x86_writer *w, uintptr_t target, enum bpftime_x86_reg scratch)
{
	if (bpftime_x86_rel32_fits(bpftime_x86_here(w) + 5, target)) {
		bpftime_x86_u8(w, 0xe8);
		rel32(w, target);
		return;
	}
	bpftime_x86_mov_imm(w, scratch, target);
	rex(w, 0, 0, 0, scratch);
	bpftime_x86_u8(w, 0xff);
	bpftime_x86_u8(w, (uint8_t)(0xd0 | (scratch & 7)));
}

void bpftime_x86_jcc_rel32(struct bpftime_x86_writer *w, unsigned cc, uintptr_t target)
{
	bpftime_x86_u8(w, 0x0f);
	bpftime_x86_u8(w, (uint8_t)(0x80 | (cc & 15)));
	rel32(w, target);
}

size_t bpftime_x86_jcc_label(struct bpftime_x86_writer *w, unsigned cc)
{
	bpftime_x86_u8(w, 0x0f);
	bpftime_x86_u8(w, (uint8_t)(0x80 | (cc & 15)));
	size_t at = w->len;
	bpftime_x86_u32(w, 0);
	return at;
}

void bpftime_x86_bind(struct bpftime_x86_writer *w, size_t at)
{
	if (at + 4 > w->len)
		return; /* the buffer overflowed before the label: already failed */
	uint32_t d = (uint32_t)(w->len - (at + 4));
	memcpy(w->buf + at, &d, 4);
}

void bpftime_x86_ret(struct bpftime_x86_writer *w) { bpftime_x86_u8(w, 0xc3); }
void bpftime_x86_pushfq(struct bpftime_x86_writer *w) { bpftime_x86_u8(w, 0x9c); }
void bpftime_x86_popfq(struct bpftime_x86_writer *w) { bpftime_x86_u8(w, 0x9d); }
void bpftime_x86_int3(struct bpftime_x86_writer *w) { bpftime_x86_u8(w, 0xcc); }
