/*
 * Concurrency stress of the shared maps: STRESS_PROCS processes (the parent and forked children that open the
 * segment by name) x THREADS threads each, at once, on:
 *  - a hash map of counters and a percpu_hash of counters, incremented with __sync_fetch_and_add on looked-up
 *    values: every count must be exact;
 *  - a small ring buffer (it fills and wraps) written with reserve/submit, reserve/discard and output, read by a
 *    consumer thread while it is written: every submitted record arrives once, in each producer's order, intact,
 *    and no discarded one arrives;
 *  - a hash map whose keys are inserted and deleted while stable keys are looked up (they must always be found,
 *    with their value), and an LRU map updated with many more keys than it holds (never more than max_entries).
 * STRESS_SCALE multiplies the iterations; STRESS_PROCS sets the number of processes (1 to 4, default 4). Built with
 * ASan/UBSan (run with 4 processes) and with TSan (run with 1: TSan only sees the synchronisation of its own
 * process, so an element handed over through another process's atomics looks like a race to it).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#include "check.h"

#define MAX_PROCS 4
#define THREADS 8
#define PRODUCERS (MAX_PROCS * THREADS)
#define COUNTER_KEYS 32
#define PCPU_KEYS 8
#define STABLE_KEYS 64
#define CHURN_KEYS 192
#define CHURN_MAX 200
#define LRU_MAX 64
#define LRU_KEYS 512

static const char *seg_name;
static long iters;
static uint32_t procs;
static uint32_t id_counters, id_pcpu, id_rb, id_churn, id_lru, id_submitted;

struct record {
	uint32_t producer;
	uint32_t seq;
	uint32_t size;
	uint8_t payload[];
};

static uint64_t f(uint32_t k)
{
	return (uint64_t)k * 0x9e3779b97f4a7c15ull + 1;
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

struct worker {
	struct bpftime_seg *seg;
	uint32_t producer;
	pthread_t thread;
};

/* produce writes record `seq` of this producer: discarded when seq % 10 == 9; returns 1 when submitted. */
static int produce(struct bpftime_map *rb, uint32_t producer, uint32_t seq)
{
	uint32_t size = (uint32_t)sizeof(struct record) + seq % 61;
	uint8_t buf[sizeof(struct record) + 64];
	struct record *r = (struct record *)buf;
	for (;;) {
		int use_output = seq % 3 == 0 && seq % 10 != 9;
		r = use_output ? (struct record *)buf : bpftime_ringbuf_reserve(rb, size, 0);
		if (r == NULL) {
			sched_yield(); /* full: the consumer frees space; nothing is dropped */
			continue;
		}
		r->producer = producer;
		r->seq = seq;
		r->size = size;
		for (uint32_t j = 0; j < size - sizeof(*r); j++)
			r->payload[j] = (uint8_t)(producer + seq + j);
		if (!use_output) {
			if (seq % 10 == 9) {
				bpftime_ringbuf_discard(r, 0);
				return 0;
			}
			bpftime_ringbuf_submit(r, 0);
			return 1;
		}
		long r = bpftime_ringbuf_output(rb, buf, size, 0);
		if (r == 0)
			return 1;
		CHECK_EQ(r, -EAGAIN); /* full: retry */
		sched_yield();
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct bpftime_map *counters = bpftime_seg_map(w->seg, id_counters), *pcpu = bpftime_seg_map(w->seg, id_pcpu);
	struct bpftime_map *rb = bpftime_seg_map(w->seg, id_rb), *churn = bpftime_seg_map(w->seg, id_churn);
	struct bpftime_map *lru = bpftime_seg_map(w->seg, id_lru), *submitted = bpftime_seg_map(w->seg, id_submitted);
	CHECK(counters && pcpu && rb && churn && lru && submitted);
	uint32_t s = w->producer * 7919 + 1, seq = 0;
	uint64_t sent = 0;
	for (long i = 0; i < iters; i++) {
		uint32_t k = (uint32_t)(i + w->producer) % COUNTER_KEYS;
		uint64_t *v = bpftime_map_lookup_elem(counters, &k);
		CHECK(v != NULL);
		__sync_fetch_and_add(v, 1);
		k %= PCPU_KEYS;
		v = bpftime_map_lookup_elem(pcpu, &k);
		CHECK(v != NULL);
		__sync_fetch_and_add(v, 1);
		if (i % 4 == 0)
			sent += (uint64_t)produce(rb, w->producer, seq++);
		uint32_t c = STABLE_KEYS + rnd(&s) % CHURN_KEYS;
		uint64_t val = f(c);
		if (rnd(&s) & 1) {
			long r = bpftime_map_update_elem(churn, &c, &val, BPFTIME_ANY);
			CHECK(r == 0 || r == -E2BIG);
		} else {
			long r = bpftime_map_delete_elem(churn, &c);
			CHECK(r == 0 || r == -ENOENT);
		}
		uint32_t st = rnd(&s) % STABLE_KEYS;
		v = bpftime_map_lookup_elem(churn, &st);
		CHECK(v != NULL && *v == f(st));
		uint32_t l = rnd(&s) % LRU_KEYS;
		val = f(l);
		long r = bpftime_map_update_elem(lru, &l, &val, BPFTIME_ANY);
		CHECK(r == 0 || r == -E2BIG);
		CHECK(bpftime_map_count(lru) <= LRU_MAX);
	}
	CHECK_EQ(bpftime_map_update_elem(submitted, &w->producer, &sent, 0), 0);
	return NULL;
}

static void run_workers(struct bpftime_seg *seg, uint32_t proc)
{
	struct worker w[THREADS];
	for (uint32_t t = 0; t < THREADS; t++) {
		w[t] = (struct worker){.seg = seg, .producer = proc * THREADS + t};
		CHECK(pthread_create(&w[t].thread, NULL, work, &w[t]) == 0);
	}
	for (uint32_t t = 0; t < THREADS; t++)
		pthread_join(w[t].thread, NULL);
}

struct consumer {
	struct bpftime_seg *seg;
	int stop; /* set (release) once every producer is done */
	uint32_t next[PRODUCERS];
	uint64_t got[PRODUCERS];
	pthread_t thread;
};

static int check_record(void *ctx, const void *data, uint32_t size)
{
	struct consumer *c = ctx;
	const struct record *r = data;
	CHECK(size >= sizeof(*r) && r->size == size && r->producer < PRODUCERS);
	CHECK_EQ(r->seq, c->next[r->producer]);
	CHECK(r->seq % 10 != 9);
	for (uint32_t j = 0; j < size - sizeof(*r); j++)
		CHECK_EQ(r->payload[j], (uint8_t)(r->producer + r->seq + j));
	c->next[r->producer] = r->seq + 1 + ((r->seq + 1) % 10 == 9);
	c->got[r->producer]++;
	return 0;
}

static void *consume(void *arg)
{
	struct consumer *c = arg;
	struct bpftime_map *rb = bpftime_seg_map(c->seg, id_rb);
	for (;;) {
		int stop = __atomic_load_n(&c->stop, __ATOMIC_ACQUIRE);
		int n = bpftime_ringbuf_consume(rb, check_record, c, 0);
		CHECK(n >= 0);
		if (stop && n == 0 && bpftime_ringbuf_query(rb, BPFTIME_RB_AVAIL_DATA) == 0)
			return NULL;
		if (n == 0)
			bpftime_ringbuf_wait(rb, 10);
	}
}

static uint32_t make(struct bpftime_seg *seg, const char *name, uint32_t type, uint32_t vs, uint32_t max)
{
	const struct bpftime_map_def *d =
		bpftime_map_def(new_map(seg, name, type, type == BPFTIME_MAP_RINGBUF ? 0 : 4, vs, max, 0));
	return d->id;
}

int main(void)
{
	char name[64];
	const char *scale = getenv("STRESS_SCALE");
	const char *np = getenv("STRESS_PROCS");
	iters = 4000 * (scale ? atol(scale) : 1);
	procs = np ? (uint32_t)atoi(np) : MAX_PROCS;
	CHECK(procs >= 1 && procs <= MAX_PROCS);
	seg_name = test_name(name, sizeof(name), "stress");
	struct bpftime_seg *seg = new_segment(seg_name, 16 << 20);
	id_counters = make(seg, "counters", BPFTIME_MAP_HASH, 8, 1024);
	id_pcpu = make(seg, "pcpu", BPFTIME_MAP_PERCPU_HASH, 8, 64);
	id_rb = make(seg, "rb", BPFTIME_MAP_RINGBUF, 0, 16384);
	id_churn = make(seg, "churn", BPFTIME_MAP_HASH, 8, CHURN_MAX);
	id_lru = make(seg, "lru", BPFTIME_MAP_LRU_HASH, 8, LRU_MAX);
	id_submitted = make(seg, "submitted", BPFTIME_MAP_ARRAY, 8, PRODUCERS);
	uint64_t zero = 0;
	for (uint32_t k = 0; k < COUNTER_KEYS; k++)
		CHECK_EQ(bpftime_map_update_elem(bpftime_seg_map(seg, id_counters), &k, &zero, BPFTIME_NOEXIST), 0);
	for (uint32_t k = 0; k < PCPU_KEYS; k++)
		CHECK_EQ(bpftime_map_update_user(bpftime_seg_map(seg, id_pcpu), &k, &zero, 8, BPFTIME_NOEXIST), 0);
	for (uint32_t k = 0; k < STABLE_KEYS; k++) {
		uint64_t v = f(k);
		CHECK_EQ(bpftime_map_update_elem(bpftime_seg_map(seg, id_churn), &k, &v, BPFTIME_NOEXIST), 0);
	}

	/* Children first, while this process has one thread (fork with threads is not what we test). */
	pid_t kids[MAX_PROCS];
	for (uint32_t p = 1; p < procs; p++) {
		kids[p - 1] = fork();
		CHECK(kids[p - 1] >= 0);
		if (kids[p - 1] == 0) {
			char err[256];
			struct bpftime_seg *mine;
			if (bpftime_seg_open(seg_name, NULL, &mine, err, sizeof(err)) != 0) {
				fprintf(stderr, "child open: %s\n", err);
				_exit(1);
			}
			run_workers(mine, p);
			bpftime_seg_close(mine);
			_exit(0);
		}
	}
	static struct consumer c;
	c.seg = seg;
	for (uint32_t p = 0; p < PRODUCERS; p++)
		c.next[p] = 0;
	CHECK(pthread_create(&c.thread, NULL, consume, &c) == 0);
	run_workers(seg, 0);
	for (uint32_t p = 1; p < procs; p++) {
		int status;
		CHECK(waitpid(kids[p - 1], &status, 0) == kids[p - 1]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(c.thread, NULL);

	uint64_t total = 0, expect = (uint64_t)procs * THREADS * (uint64_t)iters;
	for (uint32_t k = 0; k < COUNTER_KEYS; k++) {
		uint64_t v;
		CHECK_EQ(bpftime_map_lookup_user(bpftime_seg_map(seg, id_counters), &k, &v), 0);
		CHECK_EQ(v, expect / COUNTER_KEYS);
		total += v;
	}
	CHECK_EQ(total, expect);
	uint32_t ncpus = bpftime_map_ncpus(bpftime_seg_map(seg, id_pcpu));
	total = 0;
	for (uint32_t k = 0; k < PCPU_KEYS; k++) {
		uint64_t v[1024];
		CHECK_EQ(bpftime_map_lookup_user(bpftime_seg_map(seg, id_pcpu), &k, v), 0);
		for (uint32_t cpu = 0; cpu < ncpus; cpu++)
			total += v[cpu];
	}
	CHECK_EQ(total, expect);
	uint64_t records = 0;
	for (uint32_t p = 0; p < procs * THREADS; p++) {
		uint64_t sent;
		CHECK_EQ(bpftime_map_lookup_user(bpftime_seg_map(seg, id_submitted), &p, &sent), 0);
		CHECK_EQ(c.got[p], sent);
		records += sent;
	}
	CHECK(records > 0);
	bpftime_seg_unlink(seg);
	bpftime_seg_close(seg);
	printf("test_stress: ok: %d processes x %d threads x %ld iterations: %llu counts, %llu ring records exact\n",
	       procs, THREADS, iters, (unsigned long long)expect, (unsigned long long)records);
	return 0;
}
