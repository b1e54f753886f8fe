/*
 * arch_site.h: what x86-64 keeps per probe site: the bytes the jump overwrites (and the whole instructions they
 * belong to), the trampoline's entry stub and relocated copy, and where each overwritten instruction went (to move
 * a thread that was stopped between them while the site is being patched).
 */
#ifndef BPFTIME_X86_ARCH_SITE_H
#define BPFTIME_X86_ARCH_SITE_H

#include <stdint.h>

/** BPFTIME_X86_PATCH_LEN: the patch is a 5-byte `jmp rel32`. */
#define BPFTIME_X86_PATCH_LEN 5
/** BPFTIME_X86_MAX_INSNS: at most this many instructions cover the first 5 bytes (1-byte instructions). */
#define BPFTIME_X86_MAX_INSNS 5

/** bpftime_x86_reloc: the relocated instructions: `len` bytes from the site, n_insn instruction boundaries. */
struct bpftime_x86_reloc {
	uint8_t len, n_insn;
	uint8_t insn_off[BPFTIME_X86_MAX_INSNS];	 /* offset of each instruction in the site */
	uint16_t reloc_off[BPFTIME_X86_MAX_INSNS]; /* offset of its rewritten form from the relocated copy */
};

/** bpftime_arch_site: x86-64 per-site state (see arch.h). */
struct bpftime_arch_site {
	uint8_t orig[32];   /* the original bytes of the relocated instructions */
	uintptr_t stub;	    /* trampoline entry: save registers, dispatch */
	uintptr_t reloc;    /* the relocated instructions, then a jump back to addr + reloc.len */
	struct bpftime_x86_reloc r;
};

#endif
