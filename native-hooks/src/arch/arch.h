/*
 * arch.h: what the architecture-neutral core (src/core) needs from an architecture (src/arch/<arch>/): relocating
 * a site's first instructions into a trampoline, patching the site live and restoring it, and the address of the
 * return stub that return probes plant as return address. arm64 will be a sibling of x86_64/ behind this header.
 */
#ifndef BPFTIME_ARCH_H
#define BPFTIME_ARCH_H

#include <stdint.h>

#include "bpftime_hook.h"

#if defined(__x86_64__)
#include "x86_64/arch_site.h"
#else
#error "the hook component supports x86-64 only (arm64 planned)"
#endif

struct bpftime_site;

/**
 * bpftime_arch_prepare: relocate the instructions at s->addr into a new trampoline (entry stub, relocated copy,
 * jump back) within branch reach, refusing sites that cannot be patched safely. `func`/`func_size` bound the
 * enclosing function (func_size 0 when unknown) for the too-short and jump-into-patch checks.
 */
int bpftime_arch_prepare(struct bpftime_site *s, uintptr_t func, uint64_t func_size, struct bpftime_hook_error *err);

/** bpftime_arch_same_code: whether the site's bytes are still those that were relocated (not reused memory). */
int bpftime_arch_same_code(const struct bpftime_site *s);

/** bpftime_arch_is_patched: whether the site still holds the jump to its trampoline. */
int bpftime_arch_is_patched(const struct bpftime_site *s);

/** bpftime_arch_patch / unpatch: install or remove the jump to the trampoline while other threads run the code. */
int bpftime_arch_patch(struct bpftime_site *s, struct bpftime_hook_error *err);
int bpftime_arch_unpatch(struct bpftime_site *s, struct bpftime_hook_error *err);

/**
 * bpftime_arch_ret_stub / _novec: the code return probes plant as a function's return address (ret_stub.S); the
 * _novec one does not save vector registers (sites of BPFTIME_PROBE_NO_VECTOR probes).
 */
extern const char bpftime_arch_ret_stub[], bpftime_arch_ret_stub_novec[];

#endif
