/* Map semantics per type, single-threaded: results and errno values as the kernel's (tests/shm, ASan/UBSan). */
#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>

#include "check.h"

static struct bpftime_seg *seg;
static uint32_t ncpus;

static void test_hash(void)
{
	struct bpftime_map *m = new_map(seg, "h", BPFTIME_MAP_HASH, 4, 8, 4, 0);
	uint32_t k = 1;
	uint64_t v = 10, out;
	CHECK(bpftime_map_lookup_elem(m, &k) == NULL);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_EXIST), -ENOENT);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_NOEXIST), 0);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_NOEXIST), -EEXIST);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, 3), -EINVAL);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, 8), -EINVAL);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_F_LOCK), -EINVAL); /* no bpf_spin_lock in the value */
	uint64_t *p = bpftime_map_lookup_elem(m, &k);
	CHECK(p != NULL && *p == 10);
	v = 11;
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_EXIST), 0);
	CHECK(*p == 11); /* updated in place: the looked-up pointer sees it */
	__sync_fetch_and_add(p, 1);
	CHECK_EQ(bpftime_map_lookup_user(m, &k, &out), 0);
	CHECK_EQ(out, 12);
	for (k = 2; k <= 4; k++)
		CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_ANY), 0);
	CHECK_EQ(bpftime_map_count(m), 4);
	k = 5;
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_ANY), -E2BIG);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_EXIST), -ENOENT);
	k = 4;
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_ANY), 0); /* existing keys still update when full */
	/* Iteration visits each key once; an absent key restarts from the first. */
	uint32_t seen = 0, key, next;
	int n = 0;
	for (int r = bpftime_map_get_next_key(m, NULL, &next); r == 0; r = bpftime_map_get_next_key(m, &key, &next)) {
		CHECK(next >= 1 && next <= 4 && !(seen & (1u << next)));
		seen |= 1u << next;
		key = next;
		n++;
	}
	CHECK_EQ(n, 4);
	uint32_t first;
	CHECK_EQ(bpftime_map_get_next_key(m, NULL, &first), 0);
	key = 99;
	CHECK_EQ(bpftime_map_get_next_key(m, &key, &next), 0);
	CHECK_EQ(next, first);
	k = 2;
	CHECK_EQ(bpftime_map_delete_elem(m, &k), 0);
	CHECK_EQ(bpftime_map_delete_elem(m, &k), -ENOENT);
	CHECK_EQ(bpftime_map_lookup_user(m, &k, &out), -ENOENT);
	CHECK_EQ(bpftime_map_count(m), 3);
	k = 7;
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_NOEXIST), 0); /* the freed element is reused */
	CHECK_EQ(bpftime_map_count(m), 4);
	/* Deleting everything through iteration empties the map. */
	while (bpftime_map_get_next_key(m, NULL, &key) == 0)
		CHECK_EQ(bpftime_map_delete_user(m, &key), 0);
	CHECK_EQ(bpftime_map_count(m), 0);
	CHECK_EQ(bpftime_map_get_next_key(m, NULL, &key), -ENOENT);
}

static void test_hash_keys(void)
{
	/* Odd key sizes: keys differing only in their last byte, collisions in a tiny table. */
	struct bpftime_map *m = new_map(seg, "hk", BPFTIME_MAP_HASH, 13, 3, 64, BPFTIME_F_ZERO_SEED);
	uint8_t key[13] = {0}, val[3];
	for (int i = 0; i < 64; i++) {
		key[12] = (uint8_t)i;
		key[0] = (uint8_t)(i * 7);
		memset(val, i, 3);
		CHECK_EQ(bpftime_map_update_user(m, key, val, 3, BPFTIME_NOEXIST), 0);
	}
	for (int i = 0; i < 64; i++) {
		key[12] = (uint8_t)i;
		key[0] = (uint8_t)(i * 7);
		uint8_t *p = bpftime_map_lookup_elem(m, key);
		CHECK(p != NULL && p[0] == i && p[2] == i);
	}
	key[12] = 200;
	CHECK(bpftime_map_lookup_elem(m, key) == NULL);
	CHECK_EQ(bpftime_map_update_user(m, key, val, 4, 0), -EINVAL); /* wrong value size */
}

static void test_spin_lock(void)
{
	char err[256];
	struct bpftime_map_spec s = {.name = "locked", .type = BPFTIME_MAP_HASH, .key_size = 4, .value_size = 16,
				     .max_entries = 2, .spin_lock_off = 8};
	int id = bpftime_map_create(seg, &s, err, sizeof(err));
	CHECK(id > 0);
	struct bpftime_map *m = bpftime_seg_map(seg, (uint32_t)id);
	uint32_t k = 1;
	uint64_t v[2] = {5, 0xffffffffffffffffull}, out[2];
	CHECK_EQ(bpftime_map_update_elem(m, &k, v, BPFTIME_F_LOCK), 0);
	CHECK_EQ(bpftime_map_update_elem(m, &k, v, BPFTIME_F_LOCK | BPFTIME_EXIST), 0);
	uint64_t *p = bpftime_map_lookup_elem(m, &k);
	CHECK_EQ(*(uint32_t *)(p + 1), 0); /* the lock word is never copied in and is free */
	CHECK_EQ(bpftime_map_lookup_user(m, &k, out), 0);
	CHECK_EQ(out[0], 5);
	CHECK_EQ(out[1] & 0xffffffffu, 0); /* lock word reads as zero */
	s.type = BPFTIME_MAP_PERCPU_HASH;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EOPNOTSUPP);
	s.type = BPFTIME_MAP_ARRAY;
	s.key_size = 4;
	s.spin_lock_off = 14;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EINVAL);
}

static void test_percpu_hash(void)
{
	struct bpftime_map *m = new_map(seg, "ph", BPFTIME_MAP_PERCPU_HASH, 4, 4, 8, 0);
	uint32_t k = 3, v = 7, stride = 8;
	CHECK_EQ(bpftime_map_user_value_size(m), stride * ncpus);
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, 0), 0);
	uint32_t cpu = (uint32_t)sched_getcpu() % ncpus;
	uint32_t *mine = bpftime_map_lookup_elem(m, &k);
	CHECK(mine != NULL);
	uint8_t out[8 * 256];
	CHECK_EQ(bpftime_map_lookup_user(m, &k, out), 0);
	for (uint32_t c = 0; c < ncpus; c++) {
		uint32_t got;
		memcpy(&got, out + c * stride, 4);
		uint32_t *pc = bpftime_map_lookup_percpu_elem(m, &k, c);
		CHECK(pc != NULL && *pc == got);
		/* A new element from a program: this CPU's value, zeros elsewhere (unless we moved CPU meanwhile). */
		CHECK(got == 7 || got == 0);
		if (c == cpu && pc == mine)
			CHECK_EQ(got, 7);
	}
	CHECK(bpftime_map_lookup_percpu_elem(m, &k, ncpus) == NULL);
	/* The user side writes every CPU's copy: a full array, or the same value into each. */
	uint8_t all[8 * 256] = {0};
	for (uint32_t c = 0; c < ncpus; c++)
		all[c * stride] = (uint8_t)(c + 1);
	CHECK_EQ(bpftime_map_update_user(m, &k, all, stride * ncpus, 0), 0);
	for (uint32_t c = 0; c < ncpus; c++)
		CHECK_EQ(*(uint32_t *)bpftime_map_lookup_percpu_elem(m, &k, c), c + 1);
	v = 42;
	CHECK_EQ(bpftime_map_update_user(m, &k, &v, 4, 0), 0);
	for (uint32_t c = 0; c < ncpus; c++)
		CHECK_EQ(*(uint32_t *)bpftime_map_lookup_percpu_elem(m, &k, c), 42);
	CHECK_EQ(bpftime_map_update_user(m, &k, &v, 5, 0), -EINVAL);
}

static void test_lru(void)
{
	struct bpftime_map *m = new_map(seg, "lru", BPFTIME_MAP_LRU_HASH, 4, 4, 4, 0);
	uint32_t k, v;
	for (k = 0; k < 4; k++)
		CHECK_EQ(bpftime_map_update_elem(m, &k, &k, BPFTIME_NOEXIST), 0);
	/* 0 is used again: the eviction takes the oldest unused, 1. */
	k = 0;
	CHECK(bpftime_map_lookup_elem(m, &k) != NULL);
	k = 10;
	v = 10;
	CHECK_EQ(bpftime_map_update_elem(m, &k, &v, BPFTIME_ANY), 0);
	CHECK_EQ(bpftime_map_count(m), 4);
	k = 1;
	CHECK(bpftime_map_lookup_elem(m, &k) == NULL);
	for (k = 0; k < 4; k++)
		if (k != 1)
			CHECK(*(uint32_t *)bpftime_map_lookup_elem(m, &k) == k);
	/* Many more keys than room: never E2BIG, never more than max_entries. */
	for (k = 100; k < 1000; k++) {
		CHECK_EQ(bpftime_map_update_elem(m, &k, &k, BPFTIME_ANY), 0);
		CHECK(*(uint32_t *)bpftime_map_lookup_elem(m, &k) == k);
	}
	CHECK_EQ(bpftime_map_count(m), 4);
	k = 999;
	CHECK_EQ(bpftime_map_delete_elem(m, &k), 0);
	CHECK_EQ(bpftime_map_count(m), 3);
	char err[256];
	struct bpftime_map_spec s = {.name = "x", .type = BPFTIME_MAP_LRU_HASH, .key_size = 4, .value_size = 4,
				     .max_entries = 4, .flags = BPFTIME_F_NO_PREALLOC, .spin_lock_off = -1};
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -BPFTIME_ENOTSUPP);
	struct bpftime_map *pm = new_map(seg, "lrupc", BPFTIME_MAP_LRU_PERCPU_HASH, 4, 4, 2, 0);
	for (k = 0; k < 10; k++)
		CHECK_EQ(bpftime_map_update_elem(pm, &k, &k, BPFTIME_ANY), 0);
	CHECK_EQ(bpftime_map_count(pm), 2);
}

static void test_array(void)
{
	struct bpftime_map *m = new_map(seg, "a", BPFTIME_MAP_ARRAY, 4, 12, 3, 0);
	uint32_t k = 2, v[3] = {1, 2, 3};
	uint32_t *p = bpftime_map_lookup_elem(m, &k);
	CHECK(p != NULL && p[0] == 0);
	CHECK_EQ(bpftime_map_update_elem(m, &k, v, 0), 0);
	CHECK(p[2] == 3);
	CHECK_EQ(bpftime_map_update_elem(m, &k, v, BPFTIME_NOEXIST), -EEXIST);
	CHECK_EQ(bpftime_map_update_elem(m, &k, v, BPFTIME_EXIST), 0);
	CHECK_EQ(bpftime_map_update_elem(m, &k, v, 3), -EINVAL);
	k = 3;
	CHECK(bpftime_map_lookup_elem(m, &k) == NULL);
	CHECK_EQ(bpftime_map_update_elem(m, &k, v, 0), -E2BIG);
	CHECK_EQ(bpftime_map_lookup_user(m, &k, v), -ENOENT);
	CHECK_EQ(bpftime_map_delete_elem(m, &k), -EINVAL);
	k = 0;
	CHECK_EQ(bpftime_map_delete_user(m, &k), -EINVAL);
	uint32_t next;
	CHECK_EQ(bpftime_map_get_next_key(m, NULL, &next), 0);
	CHECK_EQ(next, 0);
	k = 1;
	CHECK_EQ(bpftime_map_get_next_key(m, &k, &next), 0);
	CHECK_EQ(next, 2);
	k = 2;
	CHECK_EQ(bpftime_map_get_next_key(m, &k, &next), -ENOENT);
	k = 77;
	CHECK_EQ(bpftime_map_get_next_key(m, &k, &next), 0);
	CHECK_EQ(next, 0);
	CHECK_EQ(bpftime_map_count(m), 3);

	struct bpftime_map *pa = new_map(seg, "pa", BPFTIME_MAP_PERCPU_ARRAY, 4, 8, 2, 0);
	uint64_t x = 9;
	k = 1;
	CHECK_EQ(bpftime_map_update_elem(pa, &k, &x, 0), 0);
	uint64_t sum = 0;
	for (uint32_t c = 0; c < ncpus; c++)
		sum += *(uint64_t *)bpftime_map_lookup_percpu_elem(pa, &k, c);
	CHECK_EQ(sum, 9);
	k = 2;
	CHECK(bpftime_map_lookup_percpu_elem(pa, &k, 0) == NULL);
}

static void test_permissions(void)
{
	struct bpftime_map *ro = new_map(seg, "ro", BPFTIME_MAP_HASH, 4, 4, 2, BPFTIME_F_RDONLY);
	struct bpftime_map *wo = new_map(seg, "wo", BPFTIME_MAP_HASH, 4, 4, 2, BPFTIME_F_WRONLY);
	struct bpftime_map *rp = new_map(seg, "rp", BPFTIME_MAP_ARRAY, 4, 4, 2, BPFTIME_F_RDONLY_PROG);
	uint32_t k = 0, v = 1;
	CHECK_EQ(bpftime_map_update_user(ro, &k, &v, 4, 0), -EPERM);
	CHECK_EQ(bpftime_map_update_elem(ro, &k, &v, 0), 0);
	CHECK_EQ(bpftime_map_delete_user(ro, &k), -EPERM);
	CHECK_EQ(bpftime_map_update_user(wo, &k, &v, 4, 0), 0);
	CHECK_EQ(bpftime_map_lookup_user(wo, &k, &v), -EPERM);
	CHECK_EQ(bpftime_map_update_elem(rp, &k, &v, 0), -EPERM);
	CHECK_EQ(bpftime_map_update_user(rp, &k, &v, 4, 0), 0);
}

static void test_validation(void)
{
	char err[256];
	struct bpftime_map_spec s = {.name = "bad", .type = BPFTIME_MAP_HASH, .key_size = 4, .value_size = 0,
				     .max_entries = 1, .spin_lock_off = -1};
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EINVAL);
	CHECK_MSG(err, "map \"bad\": value size 0 is invalid for a hash map");
	s.value_size = 4;
	s.key_size = 513;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -E2BIG);
	s.key_size = 4;
	s.flags = 1u << 10;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EINVAL);
	s.flags = BPFTIME_F_NO_COMMON_LRU;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EINVAL);
	s.flags = 0;
	s.type = BPFTIME_MAP_ARRAY;
	s.key_size = 8;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EINVAL);
	s.type = BPFTIME_MAP_RINGBUF;
	s.key_size = s.value_size = 0;
	s.max_entries = 12288;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EINVAL);
	CHECK_MSG(err, "not a power of two");
	s.type = 12; /* array_of_maps */
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -EOPNOTSUPP);
	CHECK_MSG(err, "not supported");
	s.type = BPFTIME_MAP_PERCPU_ARRAY;
	s.key_size = 4;
	s.value_size = 40000;
	s.max_entries = 1;
	CHECK_EQ(bpftime_map_create(seg, &s, err, sizeof(err)), -E2BIG);
}

struct collect {
	int n;
	uint32_t sizes[64];
	uint8_t first[64];
};

static int collect(void *ctx, const void *data, uint32_t size)
{
	struct collect *c = ctx;
	c->sizes[c->n] = size;
	c->first[c->n] = size ? *(const uint8_t *)data : 0;
	c->n++;
	return 0;
}

static void test_ringbuf(void)
{
	struct bpftime_map *m = new_map(seg, "rb", BPFTIME_MAP_RINGBUF, 0, 0, 4096, 0);
	CHECK_EQ(bpftime_ringbuf_query(m, BPFTIME_RB_RING_SIZE), 4096);
	uint8_t data[4096];
	memset(data, 0xab, sizeof(data));
	CHECK_EQ(bpftime_ringbuf_output(m, data, 10, 0), 0);
	CHECK_EQ(bpftime_ringbuf_output(m, data, 10, 4), -EINVAL);
	CHECK_EQ(bpftime_ringbuf_query(m, BPFTIME_RB_AVAIL_DATA), 24);
	uint8_t *a = bpftime_ringbuf_reserve(m, 5, 0);
	uint8_t *b = bpftime_ringbuf_reserve(m, 6, 0);
	CHECK(a != NULL && b != NULL);
	CHECK(bpftime_ringbuf_reserve(m, 5, 1) == NULL);
	/* The kernel's header: length with the BUSY bit, page offset. */
	struct bpftime_ringbuf_hdr *h = (struct bpftime_ringbuf_hdr *)(a - 8);
	CHECK_EQ(h->len, 5 | BPFTIME_RINGBUF_BUSY_BIT);
	CHECK_EQ(h->pg_off, 1);
	a[0] = 1;
	b[0] = 2;
	bpftime_ringbuf_submit(b, 0);
	struct collect c = {0};
	CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 0), 1); /* stops at the busy record `a` */
	CHECK_EQ(c.sizes[0], 10);
	bpftime_ringbuf_discard(a, 0);
	CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 0), 1); /* `a` discarded: only `b` */
	CHECK_EQ(c.sizes[1], 6);
	CHECK_EQ(c.first[1], 2);
	CHECK_EQ(bpftime_ringbuf_query(m, BPFTIME_RB_AVAIL_DATA), 0);
	/* Fill: a record needs header + data rounded to 8; the producer may not get a whole ring ahead. */
	int n = 0;
	while (bpftime_ringbuf_output(m, data, 1000, 0) == 0)
		n++;
	CHECK_EQ(n, 4);
	CHECK_EQ(bpftime_ringbuf_output(m, data, 1000, 0), -EAGAIN);
	CHECK(bpftime_ringbuf_reserve(m, 4096, 0) == NULL);
	memset(&c, 0, sizeof(c));
	CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 2), 2); /* max honoured */
	CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 0), 2);
	/* Wrapping: a record that does not fit before the end is preceded by padding and starts at 0. */
	for (int i = 0; i < 20; i++) {
		CHECK_EQ(bpftime_ringbuf_output(m, data, 700 + (uint64_t)i, 0), 0);
		memset(&c, 0, sizeof(c));
		CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 0), 1);
		CHECK_EQ(c.sizes[0], 700 + i);
		CHECK_EQ(c.first[0], 0xab);
	}
	CHECK_EQ(bpftime_map_lookup_user(m, data, data), -BPFTIME_ENOTSUPP);
	CHECK(bpftime_map_lookup_elem(m, data) == NULL);
	CHECK_EQ(bpftime_ringbuf_wait(m, 0), 0);

	/* A producer that dies between reserve and submit: its record is discarded once it is gone, later ones flow. */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(bpftime_ringbuf_reserve(m, 16, 0) != NULL);
		_exit(0);
	}
	CHECK(waitpid(pid, NULL, 0) == pid);
	CHECK_EQ(bpftime_ringbuf_output(m, data, 3, 0), 0);
	memset(&c, 0, sizeof(c));
	CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 0), 1);
	CHECK_EQ(c.sizes[0], 3);
	struct bpftime_ringbuf *ring = (struct bpftime_ringbuf *)((uint8_t *)bpftime_seg_base(seg) +
							 bpftime_map_def(m)->storage_off);
	CHECK_EQ(ring->reclaimed, 1);
	CHECK_EQ(bpftime_ringbuf_query(m, BPFTIME_RB_AVAIL_DATA), 0);
	/* A live producer's record is waited for, not reclaimed. */
	uint8_t *live = bpftime_ringbuf_reserve(m, 4, 0);
	CHECK_EQ(bpftime_ringbuf_output(m, data, 5, 0), 0);
	CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 0), 0);
	bpftime_ringbuf_submit(live, 0);
	CHECK_EQ(bpftime_ringbuf_consume(m, collect, &c, 0), 2);
}

struct psample {
	int n;
	uint32_t cpu[64], size[64];
	uint8_t last[64];
};

static int perf_collect(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
	struct psample *p = ctx;
	p->cpu[p->n] = cpu;
	p->size[p->n] = size;
	p->last[p->n] = size ? ((const uint8_t *)data)[size - 1] : 0;
	p->n++;
	return 0;
}

static void test_perf(void)
{
	char err[256];
	struct bpftime_map_spec s = {.name = "pe", .type = BPFTIME_MAP_PERF_EVENT_ARRAY, .spin_lock_off = -1,
				     .perf_pages = 1};
	int id = bpftime_map_create(seg, &s, err, sizeof(err));
	CHECK(id > 0);
	struct bpftime_map *m = bpftime_seg_map(seg, (uint32_t)id);
	CHECK_EQ(bpftime_map_def(m)->max_entries, ncpus);
	CHECK_EQ(bpftime_map_def(m)->key_size, 4);
	uint8_t data[3000];
	for (int i = 0; i < 3000; i++)
		data[i] = (uint8_t)i;
	CHECK_EQ(bpftime_perf_event_output(m, BPFTIME_F_CURRENT_CPU, data, 4), -ENOENT);
	CHECK_EQ(bpftime_perf_open(m), 0);
	CHECK_EQ(bpftime_perf_event_output(m, 1ull << 32, data, 4), -EINVAL);
	CHECK_EQ(bpftime_perf_event_output(m, ncpus, data, 4), -E2BIG);
	struct psample p = {0};
	/* Records of 12 + n bytes rounded to 8 wrap around the 4 KiB buffer; each arrives whole and in order. */
	for (int i = 0; i < 40; i++) {
		uint32_t size = 300 + (uint32_t)i * 13;
		long r = bpftime_perf_event_output(m, BPFTIME_F_CURRENT_CPU, data, size);
		if (r == -EOPNOTSUPP)
			continue; /* migrated between the two CPU reads: not this test's subject */
		CHECK_EQ(r, 0);
		p.n = 0;
		CHECK_EQ(bpftime_perf_consume(m, perf_collect, &p), 1);
		CHECK_EQ(p.size[0], size);
		CHECK_EQ(p.last[0], (uint8_t)(size - 1));
	}
	/* Full: lost and -ENOSPC. */
	int ok = 0;
	long r;
	uint32_t cpu = 0;
	while ((r = bpftime_perf_event_output(m, BPFTIME_F_CURRENT_CPU, data, 1000)) == 0 || r == -EOPNOTSUPP)
		ok += r == 0;
	CHECK_EQ(r, -ENOSPC);
	CHECK(ok >= 3 && bpftime_perf_lost(m, UINT32_MAX) == 1);
	p.n = 0;
	CHECK_EQ(bpftime_perf_consume(m, perf_collect, &p), ok);
	if (ncpus > 1) {
		cpu = (uint32_t)sched_getcpu();
		r = bpftime_perf_event_output(m, (cpu + 1) % ncpus, data, 4);
		CHECK(r == -EOPNOTSUPP || r == 0);
	}
	uint32_t k = 0;
	CHECK_EQ(bpftime_map_delete_user(m, &k), 0);
	CHECK_EQ(bpftime_map_delete_user(m, &k), -ENOENT);
	k = ncpus;
	CHECK_EQ(bpftime_map_delete_user(m, &k), -E2BIG);
	CHECK_EQ(bpftime_map_lookup_user(m, &k, data), -EOPNOTSUPP);
	CHECK_EQ(bpftime_perf_close(m), 0);
	CHECK_EQ(bpftime_perf_event_output(m, BPFTIME_F_CURRENT_CPU, data, 4), -ENOENT);
}

/* A thread interrupted inside its own critical section (a signal handler running a probe) gets -EBUSY, no deadlock. */
static void test_reentry(void)
{
	uint32_t me = (uint32_t)syscall(SYS_gettid), k = 1;
	uint64_t v = 1;
	uint8_t *base = bpftime_seg_base(seg);
	struct bpftime_map *h = new_map(seg, "re", BPFTIME_MAP_HASH, 4, 8, 4, 0);
	const struct bpftime_map_def *d = bpftime_map_def(h);
	struct bpftime_htab_bucket *b = (struct bpftime_htab_bucket *)(base + d->u.htab.buckets_off);
	CHECK_EQ(bpftime_map_update_elem(h, &k, &v, 0), 0);
	for (uint32_t i = 0; i < d->u.htab.nbuckets; i++)
		b[i].lock = me;
	CHECK_EQ(bpftime_map_update_elem(h, &k, &v, 0), -EBUSY);
	CHECK_EQ(bpftime_map_delete_elem(h, &k), -EBUSY);
	CHECK(bpftime_map_lookup_elem(h, &k) != NULL); /* lookups take no lock */
	for (uint32_t i = 0; i < d->u.htab.nbuckets; i++)
		b[i].lock = 0;
	struct bpftime_map *l = new_map(seg, "relru", BPFTIME_MAP_LRU_HASH, 4, 8, 4, 0);
	struct bpftime_htab_ctl *c = (struct bpftime_htab_ctl *)(base + bpftime_map_def(l)->storage_off);
	c->lru_lock = me;
	CHECK_EQ(bpftime_map_update_elem(l, &k, &v, 0), -EBUSY);
	c->lru_lock = 0;
	CHECK_EQ(bpftime_map_update_elem(l, &k, &v, 0), 0);
	struct bpftime_map *r = new_map(seg, "rerb", BPFTIME_MAP_RINGBUF, 0, 0, 4096, 0);
	struct bpftime_ringbuf *rb = (struct bpftime_ringbuf *)(base + bpftime_map_def(r)->storage_off);
	rb->lock = me;
	CHECK(bpftime_ringbuf_reserve(r, 8, 0) == NULL);
	CHECK_EQ(bpftime_ringbuf_output(r, &v, 8, 0), -EAGAIN);
	rb->lock = 0;
	CHECK_EQ(bpftime_ringbuf_output(r, &v, 8, 0), 0);
}

int main(void)
{
	char name[64];
	ncpus = (uint32_t)get_nprocs_conf();
	seg = new_segment(test_name(name, sizeof(name), "maps"), 16 << 20);
	test_hash();
	test_hash_keys();
	test_spin_lock();
	test_percpu_hash();
	test_lru();
	test_array();
	test_permissions();
	test_validation();
	test_ringbuf();
	test_perf();
	test_reentry();
	bpftime_seg_unlink(seg);
	bpftime_seg_close(seg);
	printf("test_maps: ok\n");
	return 0;
}
