// The hot path: entry and return dispatch called by the trampolines (docs/native.md, "hook": mechanics).
//
// One TLS load tells whether the thread is already inside a callback (re-entrancy guard); the probe set is read
// with a plain acquire load (read-copy-update, see thread.c). Return probes keep a per-thread shadow stack of the
// return addresses of the probed calls; an entry whose stack slot is at or below the current stack pointer belongs to a
// frame that was unwound without returning (longjmp, exception, a signal handler that did not return) and is
// dropped, as the kernel does for uretprobes.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook_internal.h"
#include "thread.h"
#include "../arch/vec.h"

_Atomic uint64_t bpftime_stat_reentrant, bpftime_stat_shadow_full, bpftime_stat_stale;

#define unlikely(x) __builtin_expect(!!(x), 0)

static void count(_Atomic uint64_t *c, uint64_t n) { atomic_fetch_add_explicit(c, n, memory_order_relaxed); }

/*
 * guard_is_stale: the thread shows an active dispatch, but this hit is above that dispatch's frame on the same
 * stack, so the frame is gone (something unwound out of a callback). A hit on the signal stack is a nested one.
 */
static __attribute__((noinline)) int guard_is_stale(const struct bpftime_thread *t, const void *regs)
{
	if ((uintptr_t)regs <= t->guard_sp)
		return 0;
	stack_t ss;
	return sigaltstack(NULL, &ss) != 0 || !(ss.ss_flags & SS_ONSTACK);
}

/* guard_enter: take the guard unless it is held by an active dispatch; returns the seq to restore, or 0. */
static inline uint64_t guard_enter(struct bpftime_thread *t, struct bpftime_pt_regs *r)
{
	uint64_t seq = atomic_load_explicit(&t->seq, memory_order_relaxed);
	if (unlikely(seq & 1)) {
		if (!guard_is_stale(t, r))
			return 0;
		seq++;
	}
	atomic_store_explicit(&t->seq, seq + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	t->guard_sp = (uintptr_t)r;
	return seq + 2;
}

static inline void guard_leave(struct bpftime_thread *t, uint64_t seq)
{
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&t->seq, seq, memory_order_release);
}

/*
 * shadow_push_slow: the first push of a thread, stale entries to drop, a full stack. An entry at this very slot
 * is alive only when the return address there is its site's landing pad: a tail call from that return-probed
 * function into this one (chained: the two returns then happen one after the other through both landing pads).
 */
static __attribute__((noinline)) int shadow_push_slow(struct bpftime_thread *t, struct bpftime_site *s,
						      struct bpftime_pt_regs *r)
{
	struct bpftime_shadow_entry *sh = t->shadow;
	if (!sh && !(sh = bpftime_shadow_alloc(t))) {
		count(&bpftime_stat_shadow_full, 1);
		return 0;
	}
	uintptr_t slot = r->rsp, ret = *(uintptr_t *)slot;
	uint32_t d = t->depth, stale = 0;
	while (d && (sh[d - 1].slot < slot || (sh[d - 1].slot == slot && ret != sh[d - 1].site->landing)))
		d--, stale++;
	if (stale)
		count(&bpftime_stat_stale, stale);
	t->depth = d;
	if (d == BPFTIME_SHADOW_CAP) {
		count(&bpftime_stat_shadow_full, 1);
		return 0;
	}
	sh[d] = (struct bpftime_shadow_entry){ret, slot, s};
	t->depth = d + 1;
	return 1;
}

/*
 * shadow_push: remember the return address at regs->rsp; the stub then drops it and calls the function from the
 * trampoline, so that the function returns, predicted, to the site's landing pad.
 */
static inline int shadow_push(struct bpftime_thread *t, struct bpftime_site *s, struct bpftime_pt_regs *r)
{
	struct bpftime_shadow_entry *sh = t->shadow;
	uint32_t d = t->depth;
	uintptr_t slot = r->rsp;
	if (unlikely(!sh || d == BPFTIME_SHADOW_CAP || (d && sh[d - 1].slot <= slot)))
		return shadow_push_slow(t, s, r);
	sh[d].ret = *(uintptr_t *)slot;
	sh[d].slot = slot;
	sh[d].site = s;
	t->depth = d + 1;
	return 1;
}

/* run_returns: the return callbacks of a probe set, with regs as at the return. */
static void run_returns(const struct bpftime_probe_set *ps, struct bpftime_pt_regs *r)
{
	for (uint32_t i = 0; i < ps->n_ret; i++)
		ps->p[ps->n_entry + i].fn(ps->p[ps->n_entry + i].cookie, r);
}

/* override_returns: the function is skipped, so its return probes run now, seeing the overridden rax. */
static __attribute__((noinline)) void override_returns(const struct bpftime_probe_set *ps,
						       const struct bpftime_pt_regs *r)
{
	struct bpftime_pt_regs at = *r;
	at.rip = *(const uintptr_t *)r->rsp;
	at.rsp = r->rsp + 8;
	run_returns(ps, &at);
}

/* run_entries: the entry callbacks when there is not exactly one; returns whether one asked for an override. */
static __attribute__((noinline)) int run_entries(const struct bpftime_probe_set *ps, struct bpftime_pt_regs *r)
{
	int override = 0;
	for (uint32_t i = 0; i < ps->n_entry; i++)
		override |= ps->p[i].fn(ps->p[i].cookie, r) == BPFTIME_HOOK_OVERRIDE;
	return override;
}

/* enter_guarded: the dispatch proper, with the guard taken (`done` is the seq that releases it). */
static inline uint64_t enter_guarded(struct bpftime_thread *t, struct bpftime_site *s, struct bpftime_pt_regs *r,
				     uint64_t done)
{
	const struct bpftime_probe_set *ps = atomic_load_explicit(&s->probes, memory_order_acquire);
	int override = ps->n_entry == 1 ? ps->p[0].fn(ps->p[0].cookie, r) == BPFTIME_HOOK_OVERRIDE
					 : run_entries(ps, r);
	uint64_t action = BPFTIME_ENTER_CONTINUE;
	if (s->flags & BPFTIME_PROBE_ENTRY) {
		if (override) {
			if (ps->n_ret)
				override_returns(ps, r);
			action = BPFTIME_ENTER_OVERRIDE;
		} else if (ps->n_ret && shadow_push(t, s, r)) {
			action = BPFTIME_ENTER_RETURN_PROBE;
		}
	}
	guard_leave(t, done);
	return action;
}

/* enter_slow: a nested hit, a stale guard, or the thread's first hit (or one after its exit began). */
static __attribute__((noinline)) uint64_t enter_slow(struct bpftime_thread *t, struct bpftime_site *s,
						     struct bpftime_pt_regs *r)
{
	uint64_t done = guard_enter(t, r);
	if (!done) {
		count(&bpftime_stat_reentrant, 1);
		return BPFTIME_ENTER_CONTINUE;
	}
	if (t->state == BPFTIME_THREAD_DEAD || t->state == BPFTIME_THREAD_PAUSED) {
		guard_leave(t, done);
		return BPFTIME_ENTER_CONTINUE;
	}
	if (t->state != BPFTIME_THREAD_LIVE) {
		/* libc may use vector registers here (pthread_setspecific allocates for high keys), and a
		 * BPFTIME_PROBE_NO_VECTOR stub did not save them */
		uint8_t vec[BPFTIME_VEC_SIZE] __attribute__((aligned(16)));
		bpftime_vec_save(vec);
		bpftime_thread_register(t);
		bpftime_vec_load(vec);
	}
	return enter_guarded(t, s, r, done);
}

uint64_t bpftime_hook_enter(struct bpftime_site *s, struct bpftime_pt_regs *r)
{
	struct bpftime_thread *t = bpftime_thread_self();
	uint64_t seq = atomic_load_explicit(&t->seq, memory_order_relaxed);
	if (unlikely((seq & 1) || t->state != BPFTIME_THREAD_LIVE))
		return enter_slow(t, s, r);
	atomic_store_explicit(&t->seq, seq + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	t->guard_sp = (uintptr_t)r;
	return enter_guarded(t, s, r, seq + 2);
}


static __attribute__((noreturn, noinline)) void lost_return(uintptr_t slot)
{
	char msg[160];
	int n = snprintf(msg, sizeof msg,
			 "bpftime: fatal: a function returned to a uretprobe landing pad at stack slot %p with no "
			 "shadow stack entry (its original return address is unknown)\n",
			 (void *)slot);
	if (write(2, msg, (size_t)n) < 0)
		abort();
	abort();
}

/* leave_slow: stale entries to drop, a held guard; or no entry at all (fatal). */
static __attribute__((noinline)) uintptr_t leave_slow(struct bpftime_thread *t, struct bpftime_pt_regs *r)
{
	uintptr_t slot = r->rsp - 8;
	uint64_t done = guard_enter(t, r);
	struct bpftime_shadow_entry *sh = t->shadow;
	uint32_t d = t->depth, stale = 0;
	while (d && sh[d - 1].slot < slot)
		d--, stale++;
	if (stale)
		count(&bpftime_stat_stale, stale);
	if (!d || sh[d - 1].slot != slot)
		lost_return(slot);
	const struct bpftime_shadow_entry *e = &sh[--d];
	t->depth = d;
	r->rip = e->ret;
	if (done) {
		run_returns(atomic_load_explicit(&e->site->probes, memory_order_acquire), r);
		guard_leave(t, done);
	} else {
		count(&bpftime_stat_reentrant, 1);
	}
	return e->ret;
}

uintptr_t bpftime_hook_leave(struct bpftime_pt_regs *r)
{
	struct bpftime_thread *t = bpftime_thread_self();
	uintptr_t slot = r->rsp - 8;
	uint64_t seq = atomic_load_explicit(&t->seq, memory_order_relaxed);
	uint32_t d = t->depth;
	const struct bpftime_shadow_entry *e = d ? &t->shadow[d - 1] : NULL;
	/* the common case: the top entry is this frame's and no callback is running */
	if (unlikely(!e || e->slot != slot || (seq & 1)))
		return leave_slow(t, r);
	uintptr_t ret = e->ret;
	struct bpftime_site *s = e->site;
	t->depth = d - 1;
	atomic_store_explicit(&t->seq, seq + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	t->guard_sp = (uintptr_t)r;
	r->rip = ret;
	run_returns(atomic_load_explicit(&s->probes, memory_order_acquire), r);
	guard_leave(t, seq + 2);
	return ret;
}

void bpftime_hook_get_stats(struct bpftime_hook_stats *out)
{
	out->missed_reentrant = atomic_load(&bpftime_stat_reentrant);
	out->missed_shadow_full = atomic_load(&bpftime_stat_shadow_full);
	out->stale_shadow = atomic_load(&bpftime_stat_stale);
}
