/*
 * qsbr.h: grace periods for the agent's syscall dispatch table (quiescent-state RCU with membarrier).
 *
 * The syscall callbacks read a table of attachments that the control thread replaces when attachments change; the
 * old table and the programs it names may be freed only when no callback still reads them. A reader marks itself
 * inside (its sequence number odd) with plain stores, and the writer, after publishing the new table, runs
 * membarrier(PRIVATE_EXPEDITED) (a full barrier on every CPU running a thread of the process, so a reader's mark is
 * visible or the reader sees the new table) and waits until every reader it saw inside has left. A reader costs two
 * stores to its own cache line. Reader slots come from mmap, never from malloc (a callback may run inside malloc),
 * and are never unmapped; a slot whose thread exited is reused by a later thread.
 */
#ifndef BPFTIME_AGENT_QSBR_H
#define BPFTIME_AGENT_QSBR_H

#include <stdint.h>

#include "internal.h"

/* One thread's reader slot (a cache line). */
struct agent_reader {
	uint64_t seq;  /* odd while inside */
	int32_t tid;   /* owner thread; 0: free */
	uint32_t dead; /* the owner exited (slot reusable) */
	struct agent_reader *next;
	uint8_t pad[40];
};

extern __thread struct agent_reader *agent_reader_tls __attribute__((tls_model("initial-exec"))) AGENT_HIDDEN;
struct agent_reader *agent_reader_register(void) AGENT_HIDDEN;

/* agent_read_enter marks this thread inside a read section; NULL when it has no slot (out of memory). */
static inline struct agent_reader *agent_read_enter(void)
{
	struct agent_reader *r = agent_reader_tls;
	if (AGENT_UNLIKELY(r == NULL) && (r = agent_reader_register()) == NULL)
		return NULL;
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return r;
}

/* agent_read_leave ends the read section. */
static inline void agent_read_leave(struct agent_reader *r)
{
	__atomic_store_n(&r->seq, r->seq + 1, __ATOMIC_RELEASE);
}

/* agent_qsbr_after_fork: in a child, only the forking thread exists: every other slot becomes free. */
void agent_qsbr_after_fork(void) AGENT_HIDDEN;

#endif
