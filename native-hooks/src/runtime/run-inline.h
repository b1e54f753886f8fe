/* The run path, inline (docs/native.md, "A hit"): bpftime_prog_run and the agent's uprobe callback both expand it,
 * so a probe hit runs the callback and the run as one function, with one look-up of the thread's state. The slow
 * parts stay out of line in run.c: a thread's first run, and the trap landing pad of programs that can trap. */
#ifndef BPFTIME_RUNTIME_RUN_INLINE_H
#define BPFTIME_RUNTIME_RUN_INLINE_H

#include <errno.h>

#include "internal.h"

/* The x86-64 struct pt_regs of uprobe contexts. */
#define PT_REGS_SIZE 168u

/* rt_first_run attaches the thread and creates its instance of the program: libc (mmap, locks,
 * pthread_setspecific) with the vector registers saved, as a caller's stub may not have ("Vector registers"). */
HIDDEN __attribute__((noinline)) struct rt_thread *rt_first_run(struct rt_thread *t, struct bpftime_prog *p);

/* rt_run_padded runs a program that may trap: budget and ctl set, the _setjmp landing pad, records and a lock a
 * trap or an unverified program left released. 0 or -EFAULT. */
HIDDEN __attribute__((noinline)) int rt_run_padded(struct rt_thread *t, struct bpftime_exec *x, struct bpftime_prog *p, struct bpftime_run *run);

/* rt_copy_ctx copies the context in 8-byte moves: GCC expands a memcpy of unknown size, and without vector
 * registers also the constant 168 bytes of a pt_regs, to `rep movsq`, whose start-up cost was half of an empty
 * program's run (measured with perf on runner-bench, and again as 10 ns of a uprobe hit in the agent). */
static inline __attribute__((always_inline, optimize("no-tree-loop-distribute-patterns"))) void rt_copy_ctx(uint8_t *d, const uint8_t *s, uint32_t n)
{
	uint64_t w;
	if (LIKELY_(n == PT_REGS_SIZE)) {
#pragma GCC unroll 21
		for (uint32_t i = 0; i < PT_REGS_SIZE; i += 8) __builtin_memcpy(&w, s + i, 8), __builtin_memcpy(d + i, &w, 8);
		return;
	}
	for (; n >= 8; n -= 8, d += 8, s += 8) __builtin_memcpy(&w, s, 8), __builtin_memcpy(d, &w, 8);
	for (; n > 0; n--) *d++ = *s++;
}

/* rt_run_end loads back the vector registers a slow path of the run saved (rt_vec_spill). */
static inline void rt_run_end(struct rt_thread *t)
{
	t->running = 0;
	if (UNLIKELY_(t->vec_spilled)) {
		t->vec_spilled = 0;
		bpftime_vec_load(t->vec);
	}
}

/* rt_run is bpftime_prog_run (bpftime_runtime.h). */
static inline __attribute__((always_inline)) int rt_run(struct bpftime_prog *p, struct bpftime_run *run)
{
	struct rt_thread *t = bpftime_tls_thread;
	if (UNLIKELY_(!t || t->rt != p->rt || !t->execs[p->index])) {
		t = rt_first_run(t, p);
		if (!t) return -ENOMEM;
	}
	if (UNLIKELY_(atomic_load_explicit(&p->state, memory_order_relaxed) != BPFTIME_PROG_ENABLED)) return -ENOEXEC;
	if (UNLIKELY_(t->running)) {
		atomic_fetch_add_explicit(&p->missed, 1, memory_order_relaxed);
		return -EBUSY;
	}
	struct bpftime_exec *x = t->execs[p->index];
	if (UNLIKELY_(!x)) return -ENOMEM;
	uint32_t len = run->ctx_len;
	if (UNLIKELY_(len > BPFTIME_CTX_MAX)) return -E2BIG;
	if (LIKELY_(p->copy_ctx)) rt_copy_ctx(t->ctx_host, run->ctx, len); /* else it cannot be read (ctx_unread) */
	t->ctx_end = t->ctx_lo + len;
	run->flags = 0;
	t->run = run;
	t->cur = x;
	t->running = 1;
	if (LIKELY_(p->no_pad)) {
		/* Nothing it runs can trap or fault, set ctl, tail call, reserve a record or take a lock, and it charges no
		 * budget (prog.c, runs_without_pad): the call alone. */
		run->r0 = p->main(x->abi.inst, t->ctx_lo, len, 0, 0, 0, t->stack_top);
	} else {
		int e = rt_run_padded(t, x, p, run);
		if (UNLIKELY_(e != 0)) return e;
	}
	rt_run_end(t);
	__atomic_store_n(&x->runs, x->runs + 1, __ATOMIC_RELAXED); /* only this thread writes it; status reads it */
	return 0;
}

#endif
