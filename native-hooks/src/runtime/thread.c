/* Threads and their program instances. A thread's first run attaches it: a slot (stack and context pages in guest
 * memory), a state block reached through one thread-local pointer, and a table of its instances by program index.
 * Memory comes from mmap, not malloc: the runtime may run inside a probe on malloc itself. A thread's exit (the
 * pthread key's destructor) frees its instances and returns its slot. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

__thread struct rt_thread *bpftime_tls_thread __attribute__((tls_model("initial-exec")));

#define EXEC_HEADER ((sizeof(struct bpftime_exec) + 15) & ~(size_t)15)

static void *rt_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t exec_size(const struct bpftime_prog *p)
{
	return EXEC_HEADER + p->desc->instance_size;
}

/* A thread's state block, its first instances and the first entries of its instance table share one page (a traced
 * syscall touches each page it reads after the kernel flushed the TLB: fewer pages, fewer page walks; bench/RESULTS.md,
 * "Hooks in a live process"): the block at the start of the page, instances bump-allocated after it (THREAD_ARENA),
 * the table (BPFTIME_RT_MAX_PROGS pointers) starting THREAD_TABLE_LOW entries before the page's end. */
#define THREAD_PAGE 4096u
#define THREAD_TABLE_LOW 16u
#define THREAD_TABLE_OFF (THREAD_PAGE - THREAD_TABLE_LOW * sizeof(struct bpftime_exec *))
#define THREAD_ARENA (((sizeof(struct rt_thread) + 63) & ~(size_t)63))
#define THREAD_REGION (THREAD_TABLE_OFF + BPFTIME_RT_MAX_PROGS * sizeof(struct bpftime_exec *))

static int in_thread_page(const struct bpftime_exec *x)
{
	return (const uint8_t *)x >= (const uint8_t *)x->th && (const uint8_t *)x < (const uint8_t *)x->th + THREAD_TABLE_OFF;
}

/* exec_alloc takes an instance's memory from the thread's page while it has room, else maps it. */
static struct bpftime_exec *exec_alloc(struct rt_thread *t, size_t size)
{
	size = (size + 63) & ~(size_t)63;
	if (t->arena_used + size <= THREAD_TABLE_OFF) {
		struct bpftime_exec *x = (struct bpftime_exec *)((uint8_t *)t + t->arena_used);
		t->arena_used += (uint32_t)size;
		return x;
	}
	return rt_alloc(size);
}

struct bpftime_exec *rt_exec_create(struct rt_thread *t, struct bpftime_prog *p)
{
	struct bpftime_exec *x = exec_alloc(t, exec_size(p));
	if (!x) return NULL;
	x->abi.inst = (uint8_t *)x + EXEC_HEADER;
	x->abi.memory = &p->rt->memory;
	x->abi.helpers = p->helpers;
	x->abi.lddw = p->lddw;
	x->abi.refill = rt_refill;
	x->abi.trap = rt_trap;
	x->abi.tail_call = rt_tail_call;
	x->prog = p;
	x->th = t;
	x->rt = t->rt;
	p->desc->instantiate(x->abi.inst, x);
	x->budget = &RT_GLOBAL(x, uint64_t, off_budget);
	x->ctl = &RT_GLOBAL(x, uint32_t, off_ctl);
	RT_GLOBAL(x, uint64_t, off_stack_limit) = t->stack_top - 7u * 512u;
	RT_GLOBAL(x, uint32_t, off_pkt_start) = 0;
	RT_GLOBAL(x, uint32_t, off_pkt_len) = 0;
	t->execs[p->index] = x;
	return x;
}

void rt_exec_free(struct bpftime_exec *x)
{
	atomic_fetch_add_explicit(&x->prog->runs, x->runs, memory_order_relaxed);
	x->prog->desc->free_instance(x->abi.inst);
	/* An instance in the thread's page is not reused: its room comes back with the thread's exit. */
	if (!in_thread_page(x)) munmap(x, exec_size(x->prog));
}

static void thread_release(struct bpftime_runtime *rt, struct rt_thread *t)
{
	for (uint32_t i = 0; i < BPFTIME_RT_MAX_PROGS; i++) {
		if (t->execs[i]) rt_exec_free(t->execs[i]);
		t->execs[i] = NULL;
	}
	rt_slot_unmap(rt, t->slot);
	rt->free_slots[rt->nfree_slots++] = t->slot;
	struct rt_thread **pp = &rt->threads;
	while (*pp && *pp != t) pp = &(*pp)->next;
	if (*pp) *pp = t->next;
	/* The state block itself stays: other code may still compare its runtime pointer (see rt_thread_detach_all). */
	t->rt = NULL;
}

/* The pthread key's destructor: the thread exits. */
static void thread_exit(void *arg)
{
	struct rt_thread *t = arg;
	struct bpftime_runtime *rt = t->rt;
	if (!rt) return;
	pthread_mutex_lock(&rt->lock);
	thread_release(rt, t);
	pthread_mutex_unlock(&rt->lock);
	munmap(t, THREAD_REGION);
	bpftime_tls_thread = NULL;
}

HIDDEN int rt_thread_key_create(struct bpftime_runtime *rt)
{
	return -pthread_key_create(&rt->key, thread_exit);
}

struct rt_thread *rt_thread_attach(struct bpftime_runtime *rt)
{
	_Static_assert(THREAD_ARENA < THREAD_TABLE_OFF, "the thread's state block fills its page");
	struct rt_thread *t = rt_alloc(THREAD_REGION);
	if (!t) return NULL;
	t->execs = (struct bpftime_exec **)((uint8_t *)t + THREAD_TABLE_OFF);
	t->arena_used = THREAD_ARENA;
	pthread_mutex_lock(&rt->lock);
	uint32_t slot;
	if (rt->nfree_slots > 0) slot = rt->free_slots[--rt->nfree_slots];
	else if (rt->next_slot < BPFTIME_MAX_THREADS) slot = rt->next_slot++;
	else slot = UINT32_MAX;
	if (slot == UINT32_MAX || rt_slot_map(rt, slot) != 0) {
		if (slot != UINT32_MAX) rt->free_slots[rt->nfree_slots++] = slot;
		pthread_mutex_unlock(&rt->lock);
		rt_log(rt, BPFTIME_LOG_ERROR, "thread %d: no guest slot left (%llu threads)", (int)gettid(), (unsigned long long)BPFTIME_MAX_THREADS);
		munmap(t, THREAD_REGION);
		return NULL;
	}
	t->rt = rt;
	t->slot = slot;
	uint64_t base = rt_slot_guest(slot);
	t->stack_lo = (uint32_t)(base + 0x1000);
	t->stack_top = (uint32_t)(base + 0x2000);
	t->ctx_lo = t->ctx_end = (uint32_t)(base + 0x2000);
	t->ctx_host = rt->guest + t->ctx_lo;
	t->tid = (int32_t)gettid();
	if (getrandom(&t->rand_state, sizeof(t->rand_state), GRND_NONBLOCK) != sizeof(t->rand_state)) t->rand_state = 0;
	t->rand_state ^= ((uint64_t)t->tid << 32) | (uintptr_t)t;
	if (t->rand_state == 0) t->rand_state = 0x9e3779b97f4a7c15ull;
	t->next = rt->threads;
	rt->threads = t;
	pthread_mutex_unlock(&rt->lock);
	pthread_setspecific(rt->key, t);
	bpftime_tls_thread = t;
	return t;
}

/* Runtime destruction: every thread's instances and slot go. The state blocks are kept, marked detached (their
 * threads still point at them and attach afresh to a later runtime); a few hundred bytes per thread, once. */
void rt_thread_detach_all(struct bpftime_runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	while (rt->threads) thread_release(rt, rt->threads);
	pthread_mutex_unlock(&rt->lock);
}

/* After fork, the child's only thread keeps its state, with its new thread id. */
HIDDEN void rt_thread_atfork_child(void)
{
	if (bpftime_tls_thread) bpftime_tls_thread->tid = (int32_t)gettid();
}
