// Instruction relocation with capstone (relocator.h).
#include "relocator.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <string.h>

#include "../../elf/elf_internal.h"

struct dis {
	csh h;
	cs_insn *insn;
};

static int dis_open(struct dis *d, struct bpftime_hook_error *err)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->h) != CS_ERR_OK)
		return bpftime_set_error(err, -ENOMEM, "capstone: cs_open failed");
	cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
	d->insn = cs_malloc(d->h);
	return 0;
}

static void dis_close(struct dis *d)
{
	cs_free(d->insn, 1);
	cs_close(&d->h);
}

/* decode one instruction at addr (at most `avail` bytes readable); 0 when the bytes are not an instruction. */
static int decode(struct dis *d, uintptr_t addr, size_t avail)
{
	const uint8_t *code = (const uint8_t *)addr;
	size_t size = avail > 16 ? 16 : avail;
	uint64_t a = addr;
	return cs_disasm_iter(d->h, &code, &size, &a, d->insn);
}

/* rel_target: the destination of a relative branch (jmp, jcc, call, loop, jrcxz, xbegin). */
static int rel_target(const struct dis *d, uint64_t *t)
{
	if (!cs_insn_group(d->h, d->insn, CS_GRP_BRANCH_RELATIVE))
		return 0;
	const cs_x86 *x = &d->insn->detail->x86;
	for (int k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_IMM) {
			*t = (uint64_t)x->operands[k].imm;
			return 1;
		}
	return 0;
}

/* rip_operand: the RIP-relative memory operand of the instruction, or NULL. */
static const cs_x86_op *rip_operand(const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;
	for (int k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_MEM && x->operands[k].mem.base == X86_REG_RIP)
			return &x->operands[k];
	return NULL;
}

static int ends_flow(const struct dis *d)
{
	unsigned id = d->insn->id;
	return id == X86_INS_JMP || id == X86_INS_LJMP || id == X86_INS_UD2 || id == X86_INS_HLT ||
	       id == X86_INS_INT3 || cs_insn_group(d->h, d->insn, CS_GRP_RET) ||
	       cs_insn_group(d->h, d->insn, CS_GRP_IRET);
}

/* scan_branches refuses the site when a relative branch in [from, to) lands strictly inside the patched bytes. */
static int scan_branches(struct dis *d, uintptr_t from, uintptr_t to, uintptr_t site, unsigned len, uintptr_t func,
			 struct bpftime_hook_error *err)
{
	for (uintptr_t pc = from; pc < to;) {
		if (!decode(d, pc, to - pc)) {
			pc++; /* data or padding: resynchronise on the next byte */
			continue;
		}
		uint64_t t;
		if (rel_target(d, &t) && t > site && t < site + len)
			return bpftime_set_error(err, -EINVAL,
						 "the %s at %#lx (function%+ld) jumps into the bytes the patch "
						 "overwrites (probe address+%lu): cannot patch here",
						 d->insn->mnemonic, (unsigned long)pc, (long)(pc - func),
						 (unsigned long)(t - site));
		pc += d->insn->size;
	}
	return 0;
}

/*
 * scan_around: branches into the patched bytes may come from the function or from code around it (hand-written
 * assembly shares code between entry points: glibc's mempcpy jumps into memmove's second instruction). The
 * function is decoded from its start; SCAN_WINDOW bytes on each side of it, within the mapping, linearly (x86
 * decoding resynchronises within a few instructions; a misdecoded branch can only make us refuse, never accept).
 */
#define SCAN_WINDOW (64 * 1024)
static int scan_around(struct dis *d, uintptr_t site, unsigned len, uintptr_t func, uintptr_t func_end,
		       uintptr_t map_lo, uintptr_t map_hi, struct bpftime_hook_error *err)
{
	uintptr_t lo = site - map_lo > SCAN_WINDOW ? site - SCAN_WINDOW : map_lo;
	uintptr_t hi = map_hi - site > SCAN_WINDOW ? site + SCAN_WINDOW : map_hi;
	if (func < lo)
		lo = func;
	if (func_end > hi)
		hi = func_end;
	int rc = scan_branches(d, lo, func, site, len, func, err);
	if (rc == 0)
		rc = scan_branches(d, func, func_end, site, len, func, err);
	if (rc == 0)
		rc = scan_branches(d, func_end, hi, site, len, func, err);
	return rc;
}

int bpftime_x86_relocate_plan(uintptr_t site, unsigned min_len, uintptr_t func, uint64_t func_size,
			      uintptr_t map_lo, uintptr_t map_hi, struct bpftime_x86_reloc *r,
			      struct bpftime_hook_error *err)
{
	struct dis d;
	int rc = dis_open(&d, err);
	if (rc)
		return rc;
	if (!func_size)
		func = site; /* unknown extent: the "function" starts here and runs to the end of the mapping */
	uintptr_t end = func_size ? func + func_size : map_hi;
	unsigned len = 0;
	r->n_insn = 0;
	while (len < min_len) {
		if (site + len >= end || !decode(&d, site + len, end - site - len)) {
			rc = site + len >= end
				     ? bpftime_set_error(err, -EINVAL,
							 "function too short: %u bytes from the probe address to the "
							 "function's end, the jump needs %u",
							 len, min_len)
				     : bpftime_set_error(err, -ENOTSUP, "undecodable instruction at probe address+%u", len);
			goto out;
		}
		if (d.insn->id == X86_INS_INT3) {
			rc = bpftime_set_error(err, -EBUSY, "an int3 is already at probe address+%u (a debugger or "
						"another tool patched it)", len);
			goto out;
		}
		r->insn_off[r->n_insn++] = (uint8_t)len;
		len += d.insn->size;
		if (len < min_len && ends_flow(&d)) {
			rc = bpftime_set_error(err, -EINVAL,
					       "function too short: it ends with '%s %s' at +%u, before the %u bytes "
					       "the jump needs",
					       d.insn->mnemonic, d.insn->op_str, len - d.insn->size, min_len);
			goto out;
		}
	}
	if (func_size && site + len > end) {
		rc = bpftime_set_error(err, -EINVAL,
				       "function too short: its last instruction ends %lu bytes after the probe "
				       "address, the jump needs %u",
				       (unsigned long)(end - site), min_len);
		goto out;
	}
	r->len = (uint8_t)len;
	rc = scan_around(&d, site, len, func, end, map_lo, map_hi, err);
out:
	dis_close(&d);
	return rc;
}

/* push_ret pushes a 64-bit return address without touching flags or registers (emulating a call). */
static void push_ret(struct bpftime_x86_writer *w, uint64_t ret)
{
	bpftime_x86_lea(w, X86_RSP, X86_RSP, -8);
	bpftime_x86_store_imm32(w, X86_RSP, 0, (uint32_t)ret);
	bpftime_x86_store_imm32(w, X86_RSP, 4, (uint32_t)(ret >> 32));
}

/* copy_fixed copies the instruction, re-aiming its RIP-relative operand and checking the result decodes so. */
static int copy_fixed(struct dis *d, struct bpftime_x86_writer *w, const uint8_t *bytes, size_t n,
		      struct bpftime_hook_error *err)
{
	const cs_insn *i = d->insn;
	const cs_x86_op *op = rip_operand(i);
	uint8_t b[16];
	memcpy(b, bytes, n);
	if (!op) {
		bpftime_x86_bytes(w, b, n);
		return 0;
	}
	const cs_x86_encoding *enc = &i->detail->x86.encoding;
	uint64_t target = i->address + i->size + (uint64_t)op->mem.disp;
	uintptr_t at = bpftime_x86_here(w);
	if (enc->disp_size != 4 || (size_t)enc->disp_offset + 4 > n)
		return bpftime_set_error(err, -ENOTSUP, "'%s %s': unexpected RIP-relative encoding", i->mnemonic,
					 i->op_str);
	if (!bpftime_x86_rel32_fits(at + n, target))
		return bpftime_set_error(err, -ERANGE, "'%s %s': its RIP-relative target %#lx is out of reach of "
					 "the trampoline at %#lx", i->mnemonic, i->op_str, (unsigned long)target,
					 (unsigned long)at);
	int32_t disp = (int32_t)(target - (at + n));
	memcpy(b + enc->disp_offset, &disp, 4);
	/* check: the rewritten bytes decode to the same target at their new address */
	const uint8_t *code = b;
	size_t size = n;
	uint64_t a = at;
	cs_insn *chk = cs_malloc(d->h);
	int ok = cs_disasm_iter(d->h, &code, &size, &a, chk) && chk->size == n && rip_operand(chk) &&
		 at + n + (uint64_t)rip_operand(chk)->mem.disp == target;
	cs_free(chk, 1);
	if (!ok)
		return bpftime_set_error(err, -ENOTSUP, "'%s %s': rewriting its RIP-relative operand failed",
					 i->mnemonic, i->op_str);
	bpftime_x86_bytes(w, b, n);
	return 0;
}

static int emit_branch(struct dis *d, struct bpftime_x86_writer *w, uint64_t t, struct bpftime_hook_error *err)
{
	const cs_insn *i = d->insn;
	const cs_x86 *x = &i->detail->x86;
	uint64_t next = i->address + i->size;
	switch (i->id) {
	case X86_INS_JMP:
		bpftime_x86_jmp(w, t);
		return 0;
	case X86_INS_CALL:
		push_ret(w, next);
		bpftime_x86_jmp(w, t);
		return 0;
	case X86_INS_JRCXZ:
	case X86_INS_JECXZ:
	case X86_INS_LOOP:
	case X86_INS_LOOPE:
	case X86_INS_LOOPNE: {
		/* op +2 (taken: to the long jump) ; jmp short over it ; jmp target */
		bpftime_x86_bytes(w, i->bytes, i->size - 1u);
		bpftime_x86_u8(w, 2);
		int near = bpftime_x86_rel32_fits(bpftime_x86_here(w) + 2 + 5, t);
		bpftime_x86_u8(w, 0xeb);
		bpftime_x86_u8(w, near ? 5 : 14);
		bpftime_x86_jmp(w, t);
		return 0;
	}
	case X86_INS_XBEGIN:
		return bpftime_set_error(err, -ENOTSUP, "'xbegin' cannot be relocated");
	default: { /* jcc */
		unsigned cc = (x->opcode[0] == 0x0f ? x->opcode[1] : x->opcode[0]) & 15;
		if (bpftime_x86_rel32_fits(bpftime_x86_here(w) + 6, t)) {
			bpftime_x86_jcc_rel32(w, cc, t);
			return 0;
		}
		static const uint8_t jmp_abs[] = {0xff, 0x25, 0, 0, 0, 0};
		bpftime_x86_u8(w, (uint8_t)(0x70 | (cc ^ 1))); /* skip the far jump when the condition is false */
		bpftime_x86_u8(w, 14);
		bpftime_x86_bytes(w, jmp_abs, sizeof jmp_abs);
		bpftime_x86_u64(w, t);
		return 0;
	}
	}
}

static int uses_rsp(const cs_insn *i)
{
	const cs_x86 *x = &i->detail->x86;
	for (int k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_MEM &&
		    (x->operands[k].mem.base == X86_REG_RSP || x->operands[k].mem.index == X86_REG_RSP))
			return 1;
	return 0;
}

static int emit_one(struct dis *d, struct bpftime_x86_writer *w, struct bpftime_hook_error *err)
{
	const cs_insn *i = d->insn;
	uint64_t t;
	if (rel_target(d, &t))
		return emit_branch(d, w, t, err);
	if (i->id == X86_INS_CALL) { /* indirect call: push the original return address, then jump the same way */
		if (uses_rsp(i))
			return bpftime_set_error(err, -ENOTSUP, "'call %s' reads the stack: cannot be relocated",
						 i->op_str);
		uint8_t b[16];
		memcpy(b, i->bytes, i->size);
		uint8_t m = i->detail->x86.encoding.modrm_offset;
		b[m] = (uint8_t)((b[m] & ~0x38) | (4 << 3)); /* FF /2 -> FF /4 */
		push_ret(w, i->address + i->size);
		return copy_fixed(d, w, b, i->size, err);
	}
	return copy_fixed(d, w, i->bytes, i->size, err);
}

int bpftime_x86_relocate_emit(struct bpftime_x86_writer *w, uintptr_t site, struct bpftime_x86_reloc *r,
			      struct bpftime_hook_error *err)
{
	struct dis d;
	int rc = dis_open(&d, err);
	if (rc)
		return rc;
	size_t base = w->len;
	for (unsigned k = 0; k < r->n_insn && rc == 0; k++) {
		r->reloc_off[k] = (uint16_t)(w->len - base);
		if (!decode(&d, site + r->insn_off[k], r->len - r->insn_off[k]))
			rc = bpftime_set_error(err, -ENOTSUP, "undecodable instruction at probe address+%u",
					       r->insn_off[k]);
		else
			rc = emit_one(&d, w, err);
	}
	if (rc == 0)
		bpftime_x86_jmp(w, site + r->len);
	dis_close(&d);
	return rc;
}
