// 8 threads call functions while another thread patches and unpatches them in a loop: no crash, no lost call,
// and the bytes are the original ones at the end.
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdatomic.h>
#include <time.h>

#include "common.h"
#include "targets.h"

#define THREADS 8
/* Each attach waits until every busy thread has run once (to check its pc): on a loaded 2-CPU machine that can
 * take a scheduler period or more, so the loop is bounded in time as well. */
#define CYCLES 200
#define MIN_CYCLES 12
#define BUDGET_NS 6000000000LL

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static atomic_int stop;
static _Atomic long calls;

static _Atomic long entry_hits, ret_hits, ret_ok;

static int on_entry(void *c, struct bpftime_pt_regs *r)
{
	(void)c, (void)r;
	atomic_fetch_add_explicit(&entry_hits, 1, memory_order_relaxed);
	return 0;
}

static int on_return(void *c, struct bpftime_pt_regs *r)
{
	(void)c;
	atomic_fetch_add_explicit(&ret_hits, 1, memory_order_relaxed);
	if (r->rax % 1000 < 8) /* t_count returns its argument: thread id + 1000 * i */
		atomic_fetch_add_explicit(&ret_ok, 1, memory_order_relaxed);
	return 0;
}

static void *caller(void *arg)
{
	long id = (long)arg, bad = 0, i = 0;
	/* nice 10: the callers never sleep; this leaves the patching thread (nice 0) enough of the CPU on a small,
	 * loaded machine for the test to finish in seconds */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	for (; !atomic_load_explicit(&stop, memory_order_relaxed); i++)
		bad += t_count(id + 1000 * i) != id + 1000 * i;
	atomic_fetch_add(&calls, i);
	return (void *)bad;
}

static void patch_loop(void)
{
	struct snap s = snapshot((void *)t_count);
	t_counter = 0;
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, caller, (void *)i);
	int cycles = 0;
	struct bpftime_hook_error err = {0};
	long long end = now_ns() + BUDGET_NS;
	for (; cycles < CYCLES && (cycles < MIN_CYCLES || now_ns() < end); cycles++) {
		/* alternate: entry probe, return probe, both */
		int kind = cycles % 3;
		struct bpftime_probe *e = NULL, *r = NULL;
		if (kind != 1)
			e = bpftime_probe_attach((void *)t_count, BPFTIME_UPROBE, on_entry, NULL, 0, &err);
		if (kind != 0)
			r = bpftime_probe_attach((void *)t_count, BPFTIME_URETPROBE, on_return, NULL, 0, &err);
		CHECK((kind == 1 || e) && (kind == 0 || r), "attach in cycle %d: %s", cycles, err.msg);
		if ((kind != 1 && !e) || (kind != 0 && !r))
			break;
		sched_yield();
		if (e)
			CHECK(bpftime_probe_detach(e, &err) == 0, "detach: %s", err.msg);
		if (r)
			CHECK(bpftime_probe_detach(r, &err) == 0, "detach: %s", err.msg);
	}
	atomic_store(&stop, 1);
	long bad = 0;
	for (int i = 0; i < THREADS; i++) {
		void *v;
		pthread_join(t[i], &v);
		bad += (long)v;
	}
	printf("# %d patch cycles, %ld entry hits, %ld return hits over %ld calls\n", cycles, (long)entry_hits,
	       (long)ret_hits, (long)t_counter);
	CHECK(bad == 0, "%ld calls returned a wrong value", bad);
	CHECK(t_counter == calls, "the function counted %ld calls, the threads made %ld", (long)t_counter,
	      (long)calls);
	CHECK(cycles >= MIN_CYCLES, "only %d patch cycles", cycles);
	CHECK(entry_hits > 0 && ret_hits > 0 && ret_hits == ret_ok, "hits %ld %ld (%ld ok)", (long)entry_hits,
	      (long)ret_hits, (long)ret_ok);
	CHECK(same_bytes((void *)t_count, &s), "bytes not restored");
}

/* blocked_inside: a thread asleep in a syscall between two patched instructions is moved to the relocated copy. */
static int block_fds[2];
static char block_byte;
static void *blocked_reader(void *arg)
{
	(void)arg;
	return (void *)t_block(block_fds[0], &block_byte, 1);
}

static void blocked_inside(void)
{
	CHECK(pipe(block_fds) == 0, "pipe");
	struct snap s = snapshot((void *)t_block);
	pthread_t t;
	pthread_create(&t, NULL, blocked_reader, NULL);
	usleep(200000); /* let it block in read(), its pc after the syscall at t_block+4 */
	struct rec r = {0};
	struct bpftime_probe *p = attach_ok((void *)t_block, BPFTIME_UPROBE, &r);
	CHECK(write(block_fds[1], "x", 1) == 1, "write");
	void *got;
	pthread_join(t, &got);
	CHECK((long)got == 1 && block_byte == 'x', "the blocked read returned %ld ('%c')", (long)got, block_byte);
	char c = 0;
	CHECK(write(block_fds[1], "y", 1) == 1 && t_block(block_fds[0], &c, 1) == 1 && c == 'y' && r.hits == 1,
	      "a probed call: %ld hits", r.hits);
	detach_ok(p);
	CHECK(same_bytes((void *)t_block, &s), "bytes not restored");
	close(block_fds[0]);
	close(block_fds[1]);
}

int main(void)
{
	RUN(blocked_inside);
	RUN(patch_loop);
	return DONE();
}
