/*
 * A second process for the vitest tests of the segment (test/native-shm*.test.ts): it opens a session made by
 * Node and acts on it as an agent would, printing one JSON line.
 *   peer open NAME                         try to open: {"ok":1} or {"errno":N,"error":"..."}
 *   peer count NAME MAP KEY N THREADS      THREADS threads each add 1 N times to the u64 value of u32 KEY
 *                                          (lookup + __sync_fetch_and_add; this CPU's value in per-CPU maps)
 *   peer output NAME MAP N THREADS [BASE]  each thread writes N ring buffer records {u32 BASE + thread, u32 seq,
 *                                          u64 ~seq}
 *   peer perf NAME MAP N                   N perf samples {u32 seq} on this CPU's buffer: {"ok":..,"nospc":..}
 *   peer log NAME N                        N log lines "line I"
 *   peer crash NAME                        create a segment and exit without ending it (a crashed session)
 *   peer version NAME V                    rewrite the segment's layout version (to test the check)
 *   peer agent NAME                        register as an agent, print its id, stay until stdin closes
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpftime_maps.h"
#include "bpftime_shm.h"

static struct bpftime_seg *seg;
static struct bpftime_map *map;
static long n;
static uint32_t key, base;

static int fail(int r, const char *err)
{
	printf("{\"errno\":%d,\"error\":\"", -r);
	for (const char *c = err; *c; c++)
		printf(*c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
	printf("\"}\n");
	return 1;
}

static void *count(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++) {
		uint64_t *v = bpftime_map_lookup_elem(map, &key);
		if (v == NULL) {
			fprintf(stderr, "key %u missing\n", key);
			exit(2);
		}
		__sync_fetch_and_add(v, 1);
	}
	return NULL;
}

static void *output(void *arg)
{
	uint32_t thread = base + (uint32_t)(uintptr_t)arg;
	for (uint32_t seq = 0; seq < (uint32_t)n; seq++) {
		struct {
			uint32_t thread, seq;
			uint64_t check;
		} rec = {thread, seq, ~(uint64_t)seq};
		while (bpftime_ringbuf_output(map, &rec, sizeof(rec), 0) == -EAGAIN)
			usleep(100); /* full: wait for the consumer, lose nothing */
	}
	return NULL;
}

static int threads(void *(*fn)(void *), long count)
{
	pthread_t t[64];
	if (count < 1 || count > 64)
		return 1;
	for (long i = 0; i < count; i++)
		pthread_create(&t[i], NULL, fn, (void *)(uintptr_t)i);
	for (long i = 0; i < count; i++)
		pthread_join(t[i], NULL);
	printf("{\"ok\":1}\n");
	return 0;
}

int main(int argc, char **argv)
{
	char err[512] = "";
	if (argc < 3) {
		fprintf(stderr, "usage: peer open|count|output|perf|log|crash|version|agent NAME ...\n");
		return 2;
	}
	const char *cmd = argv[1], *name = argv[2];
	if (strcmp(cmd, "crash") == 0) {
		struct bpftime_seg_opts o = {.size = 4 << 20, .owner_uid = -1};
		int r = bpftime_seg_create(name, &o, &seg, err, sizeof(err));
		return r < 0 ? fail(r, err) : (printf("{\"ok\":1}\n"), 0);
	}
	struct bpftime_seg_opts o = {.owner_uid = -1, .flags = strcmp(cmd, "version") == 0 ? BPFTIME_SEG_F_ALLOW_STALE : 0};
	int r = bpftime_seg_open(name, &o, &seg, err, sizeof(err));
	if (r < 0)
		return fail(r, err);
	if (strcmp(cmd, "open") == 0) {
		printf("{\"ok\":1}\n");
		return 0;
	}
	if (strcmp(cmd, "version") == 0 && argc == 4) {
		bpftime_seg_shm(seg)->hdr.layout_version = (uint32_t)atoi(argv[3]);
		printf("{\"ok\":1}\n");
		return 0;
	}
	if (strcmp(cmd, "log") == 0 && argc == 4) {
		for (long i = 0; i < atol(argv[3]); i++)
			bpftime_logf(seg, BPFTIME_LOG_TRACE, 1, "line %ld", i);
		printf("{\"ok\":1}\n");
		return 0;
	}
	if (strcmp(cmd, "agent") == 0) {
		int id = bpftime_agent_register(seg, BPFTIME_AGENT_PRELOAD, err, sizeof(err));
		if (id < 0)
			return fail(id, err);
		bpftime_agent_set_state(seg, (uint32_t)id, BPFTIME_AGENT_RUNNING, "ready");
		printf("{\"id\":%d}\n", id);
		fflush(stdout);
		char buf[16];
		while (read(0, buf, sizeof(buf)) > 0) {
		}
		return 0;
	}
	if (argc < 5 || (map = bpftime_seg_map(seg, (uint32_t)atoi(argv[3]))) == NULL)
		return fail(-EINVAL, "bad arguments or no such map");
	if (strcmp(cmd, "count") == 0 && argc == 7) {
		key = (uint32_t)atoi(argv[4]);
		n = atol(argv[5]);
		return threads(count, atol(argv[6]));
	}
	if (strcmp(cmd, "output") == 0 && (argc == 6 || argc == 7)) {
		n = atol(argv[4]);
		base = argc == 7 ? (uint32_t)atoi(argv[6]) : 0;
		return threads(output, atol(argv[5]));
	}
	if (strcmp(cmd, "perf") == 0) {
		long ok = 0, nospc = 0;
		for (uint32_t seq = 0; seq < (uint32_t)atol(argv[4]); seq++) {
			long pr = bpftime_perf_event_output(map, BPFTIME_F_CURRENT_CPU, &seq, sizeof(seq));
			ok += pr == 0;
			nospc += pr == -ENOSPC;
		}
		printf("{\"ok\":%ld,\"nospc\":%ld}\n", ok, nospc);
		return 0;
	}
	return fail(-EINVAL, "unknown command");
}
