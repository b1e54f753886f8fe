// Per-thread state, the thread registry and grace periods (quiescent-state RCU with membarrier).
//
// Readers (dispatchers) only store to their own TLS `seq` around reading a probe set: no atomic read-modify-write,
// no fence. Writers publish a new set, then membarrier(PRIVATE_EXPEDITED) runs a full barrier on every CPU running
// a thread of the process, after which any dispatcher either already shows an odd seq (and is waited for) or will
// read the new set. This is liburcu's "memb" flavour.
#include "thread.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hook_internal.h"

__thread struct bpftime_thread bpftime_self __attribute__((tls_model("initial-exec")));

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bpftime_thread registry = {.prev = &registry, .next = &registry};
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static int have_membarrier;

static int membarrier(int cmd) { return (int)syscall(__NR_membarrier, cmd, 0, 0); }

/* thread_exit: a pthread key destructor: leave the registry; probes hit after this on the thread are skipped. */
static void thread_exit(void *p)
{
	struct bpftime_thread *t = p;
	pthread_mutex_lock(&registry_lock);
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->state = BPFTIME_THREAD_DEAD;
	pthread_mutex_unlock(&registry_lock);
	if (t->shadow)
		munmap(t->shadow, BPFTIME_SHADOW_CAP * sizeof *t->shadow);
	t->shadow = NULL;
	t->depth = 0;
}

/*
 * fork: the child has only the forking thread; the others' entries (their TLS copied, maybe frozen inside a
 * dispatcher) would make every later grace period wait forever. Keep the registry consistent over the fork and
 * leave the child with the one thread it has.
 */
static void fork_prepare(void) { pthread_mutex_lock(&registry_lock); }
static void fork_parent(void) { pthread_mutex_unlock(&registry_lock); }
static void fork_child(void)
{
	pthread_mutex_init(&registry_lock, NULL);
	registry.prev = registry.next = &registry;
	struct bpftime_thread *t = bpftime_thread_self();
	if (t->state == BPFTIME_THREAD_LIVE) {
		t->next = t->prev = &registry;
		registry.next = registry.prev = t;
	}
}

static void make_key(void)
{
	pthread_key_create(&exit_key, thread_exit);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void bpftime_thread_register(struct bpftime_thread *t)
{
	pthread_once(&exit_once, make_key);
	pthread_mutex_lock(&registry_lock);
	t->next = &registry;
	t->prev = registry.prev;
	registry.prev->next = t;
	registry.prev = t;
	t->state = BPFTIME_THREAD_LIVE;
	pthread_mutex_unlock(&registry_lock);
	pthread_setspecific(exit_key, t);
}

struct bpftime_shadow_entry *bpftime_shadow_alloc(struct bpftime_thread *t)
{
	void *p = mmap(NULL, BPFTIME_SHADOW_CAP * sizeof *t->shadow, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->shadow = p == MAP_FAILED ? NULL : p;
	return t->shadow;
}

int bpftime_sync_init(struct bpftime_hook_error *err)
{
	if (have_membarrier)
		return 0;
	int q = membarrier(MEMBARRIER_CMD_QUERY);
	int need = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE;
	if (q < 0 || (q & need) != need)
		return bpftime_set_error(err, -ENOSYS,
					 "membarrier private expedited (sync core) is not available (Linux >= 4.16 "
					 "needed): live patching cannot serialise the other threads");
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0 ||
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) != 0)
		return bpftime_set_error(err, -errno, "membarrier register: %s", strerror(errno));
	have_membarrier = 1;
	return 0;
}

/* reregister: a forked child may have to register its new mm again before the expedited commands work. */
static void reregister(void)
{
	membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE);
}

void bpftime_sync_core(void)
{
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) != 0) {
		reregister();
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE);
	}
}

void bpftime_synchronize(void)
{
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
		reregister();
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	}
	/* Holding the lock keeps a waited-for thread's TLS alive: it cannot unregister (exit) meanwhile. */
	pthread_mutex_lock(&registry_lock);
	for (struct bpftime_thread *t = registry.next; t != &registry; t = t->next) {
		if (t == bpftime_thread_self())
			continue;
		uint64_t s = atomic_load_explicit(&t->seq, memory_order_relaxed);
		while ((s & 1) && atomic_load_explicit(&t->seq, memory_order_relaxed) == s)
			sched_yield();
	}
	pthread_mutex_unlock(&registry_lock);
	membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
}

int bpftime_hook_thread_pause(void)
{
	struct bpftime_thread *t = bpftime_thread_self();
	if (t->state == BPFTIME_THREAD_PAUSED || t->state == BPFTIME_THREAD_DEAD)
		return 0;
	t->paused_from = t->state;
	atomic_signal_fence(memory_order_seq_cst);
	t->state = BPFTIME_THREAD_PAUSED;
	return 1;
}

void bpftime_hook_thread_resume(int token)
{
	struct bpftime_thread *t = bpftime_thread_self();
	if (token && t->state == BPFTIME_THREAD_PAUSED)
		t->state = t->paused_from;
}
