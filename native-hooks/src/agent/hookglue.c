/*
 * hookglue.c: what the agent needs from the hook component beyond its public header: marking the control thread
 * so that probes it hits (its own malloc, say) run nothing, as a thread past its exit is marked. Kept here, against
 * the component's internal header, until bpftime_hook.h offers it.
 */
#include "../core/thread.h"
#include "internal.h"

void agent_hook_ignore_thread(void)
{
	bpftime_thread_self()->state = BPFTIME_THREAD_DEAD;
}

uint32_t agent_hook_pause(void)
{
	struct bpftime_thread *t = bpftime_thread_self();
	uint32_t old = t->state;
	t->state = BPFTIME_THREAD_DEAD;
	return old;
}

void agent_hook_resume(uint32_t state)
{
	bpftime_thread_self()->state = state;
}
