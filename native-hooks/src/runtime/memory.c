/* The guest memory of the process: one 4 GiB PROT_NONE reservation (plus one page, as a wasm2c access of up to 8
 * bytes at a 32-bit address may reach past 4 GiB), thread slots made accessible on demand, and the session's
 * segment mapped at BPFTIME_SEG_GUEST_BASE. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define RESERVATION (BPFTIME_GUEST_SIZE + 0x10000ull)
#define PAGE 0x1000ull

int rt_memory_reserve(struct bpftime_runtime *rt, char *err)
{
	void *p = mmap(NULL, RESERVATION, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, BPFTIME_ERR_LEN, "reserve the 4 GiB guest memory: %s", strerror(errno));
		return -errno;
	}
	rt->guest = p;
	/* wasm2c reads pages/size only to grow or bounds-check memory, which these modules never do (the module
	 * checks through refill, and WASM_RT_MEMCHECK_SIGNAL_HANDLER compiles out wasm2c's own checks). */
	rt->memory.data = p;
	rt->memory.pages = 65536;
	rt->memory.max_pages = 65536;
	rt->memory.size = UINT32_MAX;
	return 0;
}

void rt_memory_release(struct bpftime_runtime *rt)
{
	if (rt->guest) munmap(rt->guest, RESERVATION);
	rt->guest = NULL;
}

uint64_t rt_slot_guest(uint32_t slot)
{
	return BPFTIME_SLOT_BASE + (uint64_t)slot * BPFTIME_SLOT_SIZE;
}

/* A slot: [guard][stack][context][guard], one page each; the guards stay PROT_NONE. */
int rt_slot_map(struct bpftime_runtime *rt, uint32_t slot)
{
	uint8_t *base = rt->guest + rt_slot_guest(slot);
	if (mprotect(base + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE) != 0) return -errno;
	return 0;
}

/* An exited thread's slot: its pages are dropped (the next thread finds zeros) and made inaccessible again. */
void rt_slot_unmap(struct bpftime_runtime *rt, uint32_t slot)
{
	uint8_t *base = rt->guest + rt_slot_guest(slot);
	madvise(base + PAGE, 2 * PAGE, MADV_DONTNEED);
	mprotect(base + PAGE, 2 * PAGE, PROT_NONE);
}

uint8_t *bpftime_runtime_guest_base(const struct bpftime_runtime *rt)
{
	return rt->guest;
}

void *bpftime_runtime_segment_addr(const struct bpftime_runtime *rt)
{
	return rt->guest + BPFTIME_SEG_GUEST_BASE;
}

int bpftime_runtime_segment_mapped(struct bpftime_runtime *rt, uint64_t size)
{
	if (size == 0 || size > BPFTIME_SEG_MAX_SIZE) return -EINVAL;
	rt->segment = rt->guest + BPFTIME_SEG_GUEST_BASE;
	rt->segment_size = size;
	return 0;
}

void bpftime_runtime_segment_unmapped(struct bpftime_runtime *rt)
{
	if (!rt->segment) return;
	mmap(rt->segment, rt->segment_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	rt->segment = NULL;
	rt->segment_size = 0;
	rt_regions_clear(rt);
	memset(rt->map_cache, 0, sizeof(rt->map_cache));
	/* The segment object is gone with the mapping (bpftime_seg_close): forget it, its map regions and its sinks, so
	 * the runtime can use another session's segment later (an agent detached, then attached again). */
	memset(rt->map_regions, 0, sizeof(rt->map_regions));
	if (!rt->custom_log) rt->opts.log = rt_default_log, rt->opts.log_arg = NULL;
	if (!rt->custom_printk) rt->opts.printk = rt_default_printk, rt->opts.printk_arg = NULL;
	rt->seg = NULL;
}

int bpftime_runtime_map_segment(struct bpftime_runtime *rt, int fd, uint64_t size, char err[BPFTIME_ERR_LEN])
{
	if (size == 0 || size > BPFTIME_SEG_MAX_SIZE) {
		snprintf(err, BPFTIME_ERR_LEN, "map the segment: size %llu is not in 1..%llu", (unsigned long long)size, (unsigned long long)BPFTIME_SEG_MAX_SIZE);
		return -EINVAL;
	}
	if (rt->segment) {
		snprintf(err, BPFTIME_ERR_LEN, "map the segment: a segment is already mapped");
		return -EBUSY;
	}
	uint8_t *at = rt->guest + BPFTIME_SEG_GUEST_BASE;
	void *p = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		/* A failed MAP_FIXED may have dropped the range: put the reservation back. */
		mmap(at, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
		snprintf(err, BPFTIME_ERR_LEN, "map the segment at guest 0x%llx: %s", (unsigned long long)BPFTIME_SEG_GUEST_BASE, strerror(e));
		return -e;
	}
	return bpftime_runtime_segment_mapped(rt, size);
}
