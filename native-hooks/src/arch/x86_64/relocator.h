/*
 * relocator.h: moving a site's first instructions into a trampoline with capstone: RIP-relative operands and
 * relative branches rewritten for the new address, calls emulated (push the original return address, jump) so the
 * callee returns straight to the original code, and the refusals that make patching safe.
 */
#ifndef BPFTIME_X86_RELOCATOR_H
#define BPFTIME_X86_RELOCATOR_H

#include <stdint.h>

#include "arch_site.h"
#include "bpftime_hook.h"
#include "codewriter.h"

/**
 * bpftime_x86_relocate_plan: choose the instructions covering `min_len` bytes at `site` and check them: the
 * function (bounds func/func_size; to the end of the mapping [map_lo, map_hi) when its size is unknown) must not
 * end before them, and no relative branch in it or within 64 KiB around it may target their interior. Fills
 * r->len, r->n_insn and r->insn_off.
 */
int bpftime_x86_relocate_plan(uintptr_t site, unsigned min_len, uintptr_t func, uint64_t func_size,
			      uintptr_t map_lo, uintptr_t map_hi, struct bpftime_x86_reloc *r,
			      struct bpftime_hook_error *err);

/**
 * bpftime_x86_relocate_emit: write the planned instructions rewritten for their new address, then a jump back to
 * site + r->len; fills r->reloc_off (relative to the writer position at the call).
 */
int bpftime_x86_relocate_emit(struct bpftime_x86_writer *w, uintptr_t site, struct bpftime_x86_reloc *r,
			      struct bpftime_hook_error *err);

#endif
