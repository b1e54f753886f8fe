/*
 * thread.h: per-thread state of the hook component, in initial-exec TLS so the hot path reads it with one
 * %fs-relative load (no __tls_get_addr call; the few dozen bytes fit the static TLS surplus that glibc keeps for
 * libraries loaded later with dlopen, as the agent is when injected).
 */
#ifndef BPFTIME_HOOK_THREAD_H
#define BPFTIME_HOOK_THREAD_H

#include <stdatomic.h>
#include <stdint.h>

struct bpftime_site;

/** bpftime_shadow_entry: a frame whose return address was replaced: the original, its stack slot, its site. */
struct bpftime_shadow_entry {
	uintptr_t ret;
	uintptr_t slot;
	struct bpftime_site *site;
};

/** BPFTIME_SHADOW_CAP: shadow stack entries per thread (deeper nesting of return-probed calls is missed). */
#define BPFTIME_SHADOW_CAP 1024

/* A thread's state: NEW until its first hit, LIVE (registered), DEAD (exiting), or PAUSED (probes run nothing:
 * bpftime_hook_thread_pause). Any state but LIVE takes the dispatcher's slow path. */
enum { BPFTIME_THREAD_NEW = 0, BPFTIME_THREAD_LIVE, BPFTIME_THREAD_DEAD, BPFTIME_THREAD_PAUSED };

/**
 * bpftime_thread: `seq` is odd while the thread is inside a dispatcher: it is the re-entrancy guard and the
 * quiescent-state counter of grace periods (another thread waits for an odd value to change). `guard_sp` is the
 * pt_regs address of the active dispatch (to tell a stale guard, left by a longjmp out of a callback, from a nested
 * hit).
 */
struct bpftime_thread {
	_Atomic uint64_t seq;
	uintptr_t guard_sp;
	struct bpftime_shadow_entry *shadow;
	uint32_t depth;
	uint32_t state;
	uint32_t paused_from; /* the state to go back to on resume */
	struct bpftime_thread *prev, *next;
};

extern __thread struct bpftime_thread bpftime_self __attribute__((tls_model("initial-exec")));

/**
 * bpftime_thread_self: this thread's state as an ordinary pointer (UBSan misreads %fs-relative accesses to
 * initial-exec TLS as null-pointer accesses; the empty asm makes the compiler materialise the address).
 */
static inline struct bpftime_thread *bpftime_thread_self(void)
{
	struct bpftime_thread *t = &bpftime_self;
	__asm__("" : "+r"(t));
	return t;
}

/** bpftime_thread_register: first hit of this thread: join the registry (guard held by the caller). */
void bpftime_thread_register(struct bpftime_thread *t);
/** bpftime_shadow_alloc: map this thread's shadow stack; NULL when out of memory. */
struct bpftime_shadow_entry *bpftime_shadow_alloc(struct bpftime_thread *t);

#endif
