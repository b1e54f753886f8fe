/*
 * The process-shared lock of the segment (bucket, ring, table and allocator locks) and the per-thread id it stores.
 *
 * A lock word holds its holder's thread id. Critical sections are a few hundred instructions without system calls,
 * so waiters spin briefly, then yield; a holder can still die inside one (a target killed with SIGKILL), so a waiter
 * that has yielded for about a millisecond checks whether the holder still exists and takes the lock over from a
 * dead one. Thread ids are those of the caller's pid namespace: processes in different pid namespaces must not share
 * a session.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static __thread uint32_t cached_tid __attribute__((tls_model("initial-exec"))); /* no __tls_get_addr: it may allocate (docs/native.md, "Vector registers") */

static void forget_tid(void)
{
	cached_tid = 0;
}

__attribute__((constructor)) static void register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, forget_tid);
}

uint32_t bpftime_tid(void)
{
	if (UNLIKELY(cached_tid == 0))
		cached_tid = (uint32_t)syscall(SYS_gettid);
	return cached_tid;
}

int bpftime_thread_gone(uint32_t tid)
{
	int saved = errno, gone = kill((pid_t)tid, 0) == -1 && errno == ESRCH;
	errno = saved;
	return gone;
}

int bpftime_lock_slow(bpftime_lock_t *l, uint32_t me, int self_busy)
{
	for (uint32_t spins = 0;; spins++) {
		uint32_t cur = LOAD_RLX(l);
		if (cur == 0) {
			if (__atomic_compare_exchange_n(l, &cur, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				return 0;
			continue;
		}
		if (cur == me && self_busy)
			return -EBUSY;
		if (spins < 128) {
			__builtin_ia32_pause();
			continue;
		}
		sched_yield();
		if ((spins & 1023) == 1023 && bpftime_thread_gone(cur) &&
		    __atomic_compare_exchange_n(l, &cur, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
	}
}

/* bpftime_spin_lock waits even for itself: taking a bpf_spin_lock twice is a program error the verifier refuses. */
BPFTIME_API void bpftime_spin_lock(void *lock)
{
	lock_wait((bpftime_lock_t *)lock);
}

BPFTIME_API void bpftime_spin_unlock(void *lock)
{
	lock_release((bpftime_lock_t *)lock);
}

int seterr(char *err, size_t errlen, int errnum, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
