/*
 * hook_internal.h: the architecture-neutral core of the hook component: probe sites (one patch per address),
 * the probe sets the dispatcher reads, per-thread state (re-entrancy guard, shadow stack, grace periods).
 */
#ifndef BPFTIME_HOOK_INTERNAL_H
#define BPFTIME_HOOK_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "../arch/arch.h"
#include "../elf/elf_internal.h"
#include "bpftime_hook.h"

/** bpftime_probe_entry: one callback and its cookie. */
struct bpftime_probe_entry {
	bpftime_hook_fn fn;
	void *cookie;
};

/**
 * bpftime_probe_set: the immutable list of probes at a site: n_entry entry probes, then n_ret return probes.
 * Replaced as a whole on attach/detach (read-copy-update); the old one is freed after a grace period.
 */
struct bpftime_probe_set {
	uint32_t n_entry, n_ret;
	struct bpftime_probe_entry p[];
};

/**
 * bpftime_site: a patched (or once patched) address. Sites are never freed: a thread may still run in the
 * trampoline, or return through the return stub to a frame that entered it, long after detach; re-attaching at
 * the same address reuses the site and its trampoline.
 */
struct bpftime_site {
	uintptr_t addr;
	unsigned flags;	   /* BPFTIME_PROBE_ENTRY, BPFTIME_PROBE_NO_VECTOR */
	uintptr_t landing; /* where a return-probed call returns to (in the trampoline; 0 inside a function) */
	struct bpftime_probe_set *_Atomic probes;
	int patched;
	struct bpftime_arch_site arch;
	struct bpftime_site *_Atomic next; /* append-only list, read by the SIGTRAP handler */
};

/** bpftime_probe: an attached probe (the public handle). */
struct bpftime_probe {
	struct bpftime_site *site;
	enum bpftime_probe_kind kind;
	struct bpftime_probe_entry entry;
};

/** bpftime_sites: the head of the site list (newest first). */
extern struct bpftime_site *_Atomic bpftime_sites;

/** bpftime_site_find: the site at addr, or NULL; safe in a signal handler. */
struct bpftime_site *bpftime_site_find(uintptr_t addr);

/** BPFTIME_ENTER_*: what bpftime_hook_enter asks of the entry stub (continue, return at once, call the function). */
enum { BPFTIME_ENTER_CONTINUE = 0, BPFTIME_ENTER_OVERRIDE = 1, BPFTIME_ENTER_RETURN_PROBE = 2 };
/** bpftime_hook_enter: called by a site's entry stub; returns a BPFTIME_ENTER_* action. */
uint64_t bpftime_hook_enter(struct bpftime_site *s, struct bpftime_pt_regs *regs);
/** bpftime_hook_leave: called by the return stub (from a landing pad); returns the original return address. */
uintptr_t bpftime_hook_leave(struct bpftime_pt_regs *regs);

/** bpftime_sync_init: register this process for membarrier (grace periods and core serialisation). */
int bpftime_sync_init(struct bpftime_hook_error *err);
/**
 * bpftime_synchronize: wait until every thread that was inside a dispatcher when this was called has left it, so
 * probe sets unpublished before the call may be freed. Skips the calling thread.
 */
void bpftime_synchronize(void);
/** bpftime_sync_core: make every thread of the process see code written before the call (a serialising IPI). */
void bpftime_sync_core(void);

/** bpftime_code_alloc: `size` bytes of executable memory within +-`reach` of `near` (0 reach: anywhere). */
void *bpftime_code_alloc(uintptr_t near, uint64_t reach, size_t size, struct bpftime_hook_error *err);
/** bpftime_code_write: copy into memory from bpftime_code_alloc (made writable only while copying). */
int bpftime_code_write(void *dst, const void *src, size_t n, struct bpftime_hook_error *err);

/** bpftime_text_window: the pages around a live code address made writable for patching, and their protection. */
struct bpftime_text_window {
	uintptr_t page;
	size_t len;
	int prot;
};
/** bpftime_text_open: make [addr, addr+n) writable keeping it executable; bpftime_text_close restores it. */
int bpftime_text_open(struct bpftime_text_window *w, uintptr_t addr, size_t n, struct bpftime_hook_error *err);
void bpftime_text_close(struct bpftime_text_window *w);

/**
 * bpftime_unwind_guard: make sure the unwinder's entry points loaded in this process carry the probe that restores
 * replaced return addresses when a thread starts unwinding (unwind.c); called with the attach lock held.
 */
int bpftime_unwind_guard(struct bpftime_hook_error *err);
/** bpftime_attach_internal: attach an entry probe of the hook component itself (attach lock held). */
struct bpftime_probe *bpftime_attach_internal(void *addr, bpftime_hook_fn fn, struct bpftime_hook_error *err);

/** bpftime_stat_*: the counters of bpftime_hook_get_stats. */
extern _Atomic uint64_t bpftime_stat_reentrant, bpftime_stat_shadow_full, bpftime_stat_stale;

#endif
