/* Running a program on the calling thread, tail calls and callbacks, and what a trap does: the run ends by longjmp
 * to bpftime_prog_run, the program is disabled with its reason and pc, and that is logged once.
 *
 * The run path costs one thread-local load, a few checks, the context copy, a _setjmp and the call; a program that
 * cannot trap (prog.c, runs_without_pad) is called without the _setjmp frame. It touches no vector register (built
 * with -mgeneral-regs-only; slow paths save them first: docs/native.md, "Vector registers"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpftime_maps.h"
#include "run-inline.h"

static void discard_records(struct bpftime_exec *x);

/* enter runs the program with the trap landing pad set (a function of its own: nothing here changes after _setjmp). */
static __attribute__((noinline)) int enter(struct rt_thread *t, struct bpftime_exec *x, struct bpftime_prog *p, struct bpftime_run *run)
{
	/* __builtin_setjmp saves three words; glibc's _setjmp was a call and a signal-mask check on every run. */
	if (UNLIKELY_(__builtin_setjmp(t->trap_jmp) != 0)) {
		/* A trap: rt_abort_run disabled the program that trapped (the one at t->cur). */
		discard_records(t->cur);
		rt_run_end(t);
		return -EFAULT;
	}
	run->r0 = p->main(x->abi.inst, t->ctx_lo, run->ctx_len, 0, 0, 0, t->stack_top);
	return 0;
}

int rt_run_padded(struct rt_thread *t, struct bpftime_exec *x, struct bpftime_prog *p, struct bpftime_run *run)
{
	RT_BUDGET(x) = p->budget;
	RT_CTL(x) = 0;
	x->tail_calls = 0;
	int e = enter(t, x, p, run);
	if (UNLIKELY_(e != 0)) return e;
	if (UNLIKELY_(t->nrecords != 0 || t->lock_held != NULL)) discard_records(x);
	return 0;
}

struct rt_thread *rt_first_run(struct rt_thread *t, struct bpftime_prog *p)
{
	uint8_t vec[BPFTIME_VEC_SIZE] __attribute__((aligned(16)));
	bpftime_vec_save(vec);
	if (!t || t->rt != p->rt) t = rt_thread_attach(p->rt);
	if (t && atomic_load_explicit(&p->state, memory_order_relaxed) == BPFTIME_PROG_ENABLED && !t->running &&
	    !t->execs[p->index])
		rt_exec_create(t, p);
	bpftime_vec_load(vec);
	return t;
}

int bpftime_prog_run(struct bpftime_prog *p, struct bpftime_run *run)
{
	return rt_run(p, run);
}

/* discard_records drops ring buffer records a run reserved and never submitted, and releases a spin lock it still
 * holds (the verifier forbids both; an unverified program, or a trap in between, must not leave the ring or a value
 * blocked). */
static void discard_records(struct bpftime_exec *x)
{
	struct rt_thread *t = x->th;
	struct bpftime_runtime *rt = t->rt;
	if (t->lock_held) bpftime_spin_unlock(t->lock_held), t->lock_held = NULL;
	for (uint32_t i = 0; i < t->nrecords; i++)
		if (rt->maps.ringbuf_commit) rt->maps.ringbuf_commit(rt->guest + t->records[i].start, 0, 1);
	t->nrecords = 0;
}

/* bpf.tail_call: run the program bpf_tail_call chose, in the same frame, with what is left of the budget. */
uint64_t rt_tail_call(struct bpftime_exec *x, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t r10)
{
	struct rt_thread *t = x->th;
	struct bpftime_prog *target = x->tail_target;
	x->tail_target = NULL;
	if (!target) rt_helper_fault(x, "tail call without a target");
	struct bpftime_exec *tx = t->execs[target->index];
	if (!tx) rt_vec_spill(t);
	if (!tx && !(tx = rt_exec_create(t, target))) rt_helper_fault(x, "tail call: no memory for an instance of %s", bpftime_prog_name(target));
	RT_BUDGET(tx) = RT_BUDGET(x);
	RT_CTL(tx) = 0;
	tx->tail_calls = x->tail_calls;
	t->cur = tx;
	uint64_t r0 = target->main(tx->abi.inst, r1, r2, r3, r4, r5, r10);
	t->cur = x;
	RT_BUDGET(x) = RT_BUDGET(tx);
	__atomic_store_n(&tx->runs, tx->runs + 1, __ATOMIC_RELAXED);
	return r0;
}

/* rt_call_function runs the program's function at code address `fn` (a callback of bpf_loop) one frame below the
 * caller's, with a budget of its own as the TypeScript runtime gives; it returns the callback's r0. */
uint64_t rt_call_function(struct bpftime_exec *x, uint64_t fn, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	const struct bpftime_prog_desc *d = x->prog->desc;
	uint64_t pc = (fn - d->text_base) / 8;
	const struct bpftime_fn_desc *f = NULL;
	if (fn >= d->text_base && (fn - d->text_base) % 8 == 0)
		for (uint32_t i = 0; i < d->nfns; i++)
			if (d->fns[i].pc == pc) f = &d->fns[i];
	if (!f) rt_helper_fault(x, "callback 0x%llx is not a function of the program", (unsigned long long)fn);
	uint64_t fp = RT_FP(x) - 512;
	if (fp < RT_GLOBAL(x, uint64_t, off_stack_limit)) rt_trap(x, BPFTIME_TRAP_CALL_DEPTH, RT_PC(x), 0);
	uint64_t budget = RT_BUDGET(x), saved_fp = RT_FP(x);
	uint32_t saved_pc = RT_PC(x);
	RT_BUDGET(x) = x->prog->budget;
	uint64_t r0 = f->fn(x->abi.inst, r1, r2, r3, r4, r5, fp);
	RT_CTL(x) = 0;
	RT_BUDGET(x) = budget;
	RT_FP(x) = saved_fp;
	RT_PC(x) = saved_pc;
	return r0;
}

static const char *trap_name(uint32_t kind)
{
	switch (kind) {
	case BPFTIME_TRAP_MISALIGNED: return "misaligned atomic access";
	case BPFTIME_TRAP_FELL_OFF: return "execution ran past the last instruction";
	case BPFTIME_TRAP_CALL_DEPTH: return "call depth limit of 8 frames exceeded";
	case BPFTIME_TRAP_BUDGET: return "instruction budget exhausted";
	case BPFTIME_TRAP_POISON: return "instruction poisoned by a failed CO-RE relocation";
	case BPFTIME_TRAP_WASM: return "wasm trap";
	case BPFTIME_TRAP_CALLX: return "callx target is neither a function nor a helper";
	default: return "unknown trap";
	}
}

void rt_trap(struct bpftime_exec *x, uint32_t kind, uint32_t pc, uint64_t value)
{
	char msg[BPFTIME_ERR_LEN];
	rt_vec_spill(x->th);
	if (kind == BPFTIME_TRAP_BUDGET)
		snprintf(msg, sizeof(msg), "instruction budget of %llu exhausted (in the block at pc %u)", (unsigned long long)x->prog->budget, pc);
	else if (kind == BPFTIME_TRAP_MISALIGNED || kind == BPFTIME_TRAP_CALLX || kind == BPFTIME_TRAP_WASM)
		snprintf(msg, sizeof(msg), "%s (0x%llx)", trap_name(kind), (unsigned long long)value);
	else snprintf(msg, sizeof(msg), "%s", trap_name(kind));
	rt_abort_run(x, kind, pc, msg);
}

/* wasm_rt_trap of a compiled program: a Wasm trap that is not one of the module's own (a JIT bug if it happens). */
void rt_wasm_trap(int trap)
{
	struct rt_thread *t = bpftime_tls_thread;
	rt_trap(t->cur, BPFTIME_TRAP_WASM, RT_PC(t->cur), (uint64_t)trap);
}

void rt_abort_run(struct bpftime_exec *x, uint32_t kind, uint32_t pc, const char *reason)
{
	struct bpftime_prog *p = x->prog;
	struct rt_thread *t = x->th;
	int expected = BPFTIME_PROG_ENABLED;
	rt_vec_spill(t);
	if (UNLIKELY_(p->no_pad)) {
		/* A verified program that cannot trap did: a verifier, JIT or helper bug, and no landing pad to return to. */
		rt_log(t->rt, BPFTIME_LOG_ERROR, "program %s: thread %d: pc %u: %s: a program run without a landing pad trapped "
		       "(a bug of the verifier, the JIT or a helper): aborting", bpftime_prog_name(p), (int)t->tid, pc, reason);
		abort();
	}
	pthread_mutex_lock(&p->status_lock);
	int first = atomic_compare_exchange_strong(&p->state, &expected, BPFTIME_PROG_DISABLED);
	if (first) {
		p->trap_pc = pc;
		p->trap_kind = kind;
		p->trap_tid = t->tid;
		snprintf(p->reason, sizeof(p->reason), "pc %u: %s", pc, reason);
	}
	pthread_mutex_unlock(&p->status_lock);
	if (first && t->rt->seg && p->seg_prog_id) rt_seg_fault(p, kind, pc, reason); /* it logs too */
	else if (first) rt_log(t->rt, BPFTIME_LOG_ERROR, "program %s disabled: thread %d: pc %u: %s", bpftime_prog_name(p), (int)t->tid, pc, reason);
	t->cur = x;
	__builtin_longjmp(t->trap_jmp, 1);
}
