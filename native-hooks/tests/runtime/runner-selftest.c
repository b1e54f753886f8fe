/* Checks of the runtime that need no compiled program: one runtime per process, the guest layout, segment mapping
 * and the region table. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runner.h"

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "self-test: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                     \
		}                                                                     \
	} while (0)

int runner_self_test(void)
{
	char err[BPFTIME_ERR_LEN];
	struct bpftime_runtime *rt = bpftime_runtime_create(NULL, err);
	CHECK(rt != NULL);
	CHECK(bpftime_runtime_create(NULL, err) == NULL && strstr(err, "already") != NULL);
	uint8_t *base = bpftime_runtime_guest_base(rt);
	CHECK(bpftime_runtime_segment_addr(rt) == base + BPFTIME_SEG_GUEST_BASE);
	int fd = memfd_create("selftest", 0);
	CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	CHECK(bpftime_runtime_map_segment(rt, fd, 1 << 20, err) == 0);
	/* The segment is shared: a write through the guest mapping is seen through another mapping of the file. */
	uint8_t *other = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(other != MAP_FAILED);
	base[BPFTIME_SEG_GUEST_BASE + 100] = 42;
	CHECK(other[100] == 42);
	CHECK(bpftime_runtime_map_segment(rt, fd, 1 << 20, err) == -EBUSY);
	CHECK(bpftime_runtime_add_region(rt, BPFTIME_SEG_GUEST_BASE + 4096, 4096, BPFTIME_REGION_READ | BPFTIME_REGION_WRITE, "a") == 0);
	CHECK(bpftime_runtime_add_region(rt, BPFTIME_SEG_GUEST_BASE + 8192, 100, BPFTIME_REGION_READ, "b") == 0);
	CHECK(bpftime_runtime_add_region(rt, BPFTIME_SEG_GUEST_BASE + 4000, 200, BPFTIME_REGION_READ, "overlap") == -EEXIST);
	CHECK(bpftime_runtime_add_region(rt, BPFTIME_SEG_GUEST_BASE + (2 << 20), 10, BPFTIME_REGION_READ, "outside") == -EINVAL);
	CHECK(bpftime_runtime_add_region(rt, 0x1000, 10, BPFTIME_REGION_READ, "below") == -EINVAL);
	munmap(other, 1 << 20);
	bpftime_runtime_segment_unmapped(rt);
	bpftime_runtime_destroy(rt);
	close(fd);
	/* A second runtime after the first is gone. */
	rt = bpftime_runtime_create(NULL, err);
	CHECK(rt != NULL);
	bpftime_runtime_destroy(rt);
	CHECK(bpftime_prog_load == bpftime_prog_load);
	CHECK(bpftime_helper_supported(1) && !bpftime_helper_supported(0) && !bpftime_helper_supported(100000));
	CHECK(strcmp(bpftime_helper_name(6), "trace_printk") == 0);
	printf("{\"self_test\": \"ok\"}\n");
	return 0;
}
