/* Assertions and helpers shared by the shm C tests: a failed check prints where and why, and exits 1. */
#ifndef BPFTIME_SHM_CHECK_H
#define BPFTIME_SHM_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpftime_maps.h"
#include "bpftime_shm.h"

#define CHECK(cond)                                                                                                \
	do {                                                                                                       \
		if (!(cond)) {                                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                   \
			exit(1);                                                                                   \
		}                                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                                             \
	do {                                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                                \
		if (_a != _b) {                                                                                    \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, _a, #b, \
				_b);                                                                               \
			exit(1);                                                                                   \
		}                                                                                                  \
	} while (0)

#define CHECK_MSG(haystack, needle)                                                                                \
	do {                                                                                                       \
		if (strstr((haystack), (needle)) == NULL) {                                                        \
			fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, (haystack),     \
				(needle));                                                                         \
			exit(1);                                                                                   \
		}                                                                                                  \
	} while (0)

/* test_name makes a segment name unique to this process and purpose. */
static inline const char *test_name(char *buf, size_t n, const char *what)
{
	snprintf(buf, n, "/bpftime-test-%d-%s", (int)getpid(), what);
	return buf;
}

/* new_segment creates a segment of `size` bytes or fails the test. */
static inline struct bpftime_seg *new_segment(const char *name, unsigned long long size)
{
	char err[256] = "";
	struct bpftime_seg *seg = NULL;
	struct bpftime_seg_opts o = {.size = size, .owner_uid = -1};
	int r = bpftime_seg_create(name, &o, &seg, err, sizeof(err));
	if (r != 0) {
		fprintf(stderr, "create %s: %d: %s\n", name, r, err);
		exit(1);
	}
	return seg;
}

/* new_map creates a map or fails the test; returns its view. */
static inline struct bpftime_map *new_map(struct bpftime_seg *seg, const char *name, uint32_t type, uint32_t key,
					  uint32_t value, uint32_t max, uint32_t flags)
{
	char err[256] = "";
	struct bpftime_map_spec s = {.name = name, .type = type, .key_size = key, .value_size = value,
				     .max_entries = max, .flags = flags, .spin_lock_off = -1};
	int id = bpftime_map_create(seg, &s, err, sizeof(err));
	if (id <= 0) {
		fprintf(stderr, "map %s: %d: %s\n", name, id, err);
		exit(1);
	}
	return bpftime_seg_map(seg, (uint32_t)id);
}

#endif
