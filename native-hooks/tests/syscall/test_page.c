/*
 * test_page.c: the trampoline page's layout (TAP). From every byte below the second stub (every value a rewritten
 * `call *%rax` may jump to), decoding with capstone and following the hops must reach a stub, through nops and
 * forward jumps only; syscall numbers below 512 must get there in a few instructions.
 */
#include <capstone/capstone.h>
#include <stdint.h>
#include <string.h>

#include "../../src/syscall/internal.h"
#include "tap.h"

/* walk follows the code from `at`; returns the number of instructions to a stub, or -1 (detail in why). */
static int walk(csh cs, const uint8_t *page, unsigned at, char *why, size_t len)
{
	cs_insn *insn = cs_malloc(cs);
	int steps = 0;
	while (at != ZP_STUB1 && at != ZP_STUB2) {
		const uint8_t *code = page + at;
		size_t size = 4096 - at;
		uint64_t addr = at;
		if (at >= 4096 || steps > 200 || !cs_disasm_iter(cs, &code, &size, &addr, insn)) {
			snprintf(why, len, "stuck at 0x%x after %d instructions", at, steps);
			steps = -1;
			break;
		}
		steps++;
		if (insn->id == X86_INS_NOP || (insn->id == X86_INS_XCHG && !strcmp(insn->op_str, "ax, ax"))) {
			at = (unsigned)addr;
		} else if (insn->id == X86_INS_JMP && insn->detail->x86.operands[0].type == X86_OP_IMM &&
			   insn->detail->x86.operands[0].imm > at) {
			at = (unsigned)insn->detail->x86.operands[0].imm;
		} else {
			snprintf(why, len, "at 0x%x: %.31s %.100s", at, insn->mnemonic, insn->op_str);
			steps = -1;
			break;
		}
	}
	cs_free(insn, 1);
	return steps;
}

int main(void)
{
	static uint8_t page[4096];
	zp_page_build(page, 0x123456789aULL);
	csh cs;
	cs_open(CS_ARCH_X86, CS_MODE_64, &cs);
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	char why[256] = "";
	int worst_low = 0, worst_at = 0, bad = -1, sum = 0;
	for (unsigned at = 0; at < ZP_STUB2 && bad < 0; at++) {
		if (at >= ZP_STUB1 && at < ZP_STUB1 + 20) /* the first stub's own bytes are not entry points */
			continue;
		int n = walk(cs, page, at, why, sizeof(why));
		if (n < 0)
			bad = (int)at;
		else if (at < 512) {
			sum += n;
			if (n > worst_low)
				worst_low = n, worst_at = (int)at;
		}
	}
	CHECK(bad < 0, "every entry point below 0x%x reaches a stub through nops and forward jumps%s%s", ZP_STUB2,
	      bad < 0 ? "" : ": ", why);
	/* Up to 7 hops, then at most 8 long nops of the landing zone. */
	CHECK(worst_low > 0 && worst_low <= 7 + 8, "syscall numbers below 512: at most %d instructions to the stub (%d from %d), "
	      "%.1f on average", worst_low, worst_low, worst_at, sum / 512.0);
	uint64_t t;
	memcpy(&t, page + ZP_STUB1 + 7, 8);
	CHECK(!memcmp(page + ZP_STUB1, "\x48\x8d\x64\x24\x80\x49\xbb", 7) && t == 0x123456789aULL &&
		      !memcmp(page + ZP_STUB1 + 15, "\x41\xff\xe3", 3) && !memcmp(page + ZP_STUB1, page + ZP_STUB2, 18),
	      "both stubs: lea -0x80(%%rsp),%%rsp; movabs $entry,%%r11; jmp *%%r11");
	cs_close(&cs);
	return tap_done();
}
