/* qsbr.c: reader slots and the writer's grace period (qsbr.h). */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "qsbr.h"

__thread struct agent_reader *agent_reader_tls __attribute__((tls_model("initial-exec")));

static struct agent_reader *readers;  /* every slot ever made (pushed at the head, never removed) */
static int registry_lock;             /* a spin lock: registration is rare and must not call malloc */
static int membarrier_ok = -1;        /* 1 registered, 0 unavailable (the writer then never frees) */

static void lock_registry(void)
{
	while (__atomic_exchange_n(&registry_lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void unlock_registry(void)
{
	__atomic_store_n(&registry_lock, 0, __ATOMIC_RELEASE);
}

/* alive: whether thread `tid` of this process exists (its slot is not reusable then). */
static int alive(int32_t tid)
{
	return bpftime_syscall_raw(SYS_tgkill, getpid(), tid, 0, 0, 0, 0) != -ESRCH;
}

/* new_slab maps a page of slots and links them (registry lock held). */
static struct agent_reader *new_slab(void)
{
	long p = bpftime_syscall_raw(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	struct agent_reader *s = (struct agent_reader *)p;
	size_t n = 4096 / sizeof(*s);
	for (size_t i = 0; i < n; i++) {
		s[i].dead = 1;
		s[i].next = i + 1 < n ? &s[i + 1] : readers;
	}
	__atomic_store_n(&readers, s, __ATOMIC_RELEASE);
	return s;
}

struct agent_reader *agent_reader_register(void)
{
	int32_t tid = (int32_t)bpftime_syscall_raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	lock_registry();
	struct agent_reader *got = NULL;
	/* A free slot first, then one of an exited thread (a syscall per slot), else a new page of slots. */
	for (struct agent_reader *r = readers; r && !got; r = r->next)
		if (r->dead || r->tid == 0)
			got = r;
	for (struct agent_reader *r = readers; r && !got; r = r->next)
		if (!alive(r->tid))
			got = r;
	if (!got && new_slab())
		got = readers;
	if (got) {
		/* A reused slot's sequence stays even: a writer waiting for its old (dead) owner never saw it odd. */
		got->tid = tid;
		got->dead = 0;
		agent_reader_tls = got;
	}
	unlock_registry();
	return got;
}

void agent_qsbr_after_fork(void)
{
	struct agent_reader *self = agent_reader_tls;
	for (struct agent_reader *r = readers; r; r = r->next) {
		if (r == self)
			continue;
		r->seq = 0;
		r->dead = 1;
		r->tid = 0;
	}
	if (self)
		self->tid = (int32_t)bpftime_syscall_raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

int agent_grace_init(void)
{
	if (membarrier_ok < 0)
		membarrier_ok = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
	return membarrier_ok;
}

int agent_grace_period(void)
{
	if (agent_grace_init() != 1)
		return -ENOSYS;
	syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	struct agent_reader *self = agent_reader_tls;
	for (struct agent_reader *r = __atomic_load_n(&readers, __ATOMIC_ACQUIRE); r; r = r->next) {
		if (r == self)
			continue;
		uint64_t seq = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		if (!(seq & 1))
			continue;
		/* Inside: a callback runs a program (bounded by its budget) or was cut short by the thread's exit. */
		while (__atomic_load_n(&r->seq, __ATOMIC_ACQUIRE) == seq && !r->dead && alive(r->tid)) {
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
