// Executable memory for trampolines, placed within branch reach of the code they serve, and writable windows
// over live code for patching.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hook_internal.h"

#define SLAB_SIZE (64 * 1024)
#define LOWEST_ADDR 0x10000UL		   /* below vm.mmap_min_addr's usual value */
#define HIGHEST_ADDR 0x7ffffffff000UL	   /* end of the x86-64 user half */

struct slab {
	uintptr_t base;
	size_t used;
	struct slab *next;
};

static struct slab *slabs; /* guarded by the attach lock, as all callers hold it */

static uint64_t dist(uintptr_t a, uintptr_t b) { return a > b ? a - b : b - a; }

static int in_reach(uintptr_t lo, uintptr_t hi, uintptr_t near, uint64_t reach)
{
	return !reach || (dist(lo, near) <= reach && dist(hi, near) <= reach);
}

/* new_slab maps a slab in the free gap nearest to `near` (page 0 and the top page excluded). */
static struct slab *new_slab(uintptr_t near, uint64_t reach, struct bpftime_hook_error *err)
{
	struct bpftime_map_entry *m;
	size_t n;
	if (bpftime_maps_read(&m, &n, err) != 0)
		return NULL;
	for (int attempt = 0; attempt < 8; attempt++) {
		uintptr_t best = 0;
		uint64_t best_d = UINT64_MAX;
		for (size_t i = 0; i <= n; i++) {
			uintptr_t gs = i ? m[i - 1].end : LOWEST_ADDR, ge = i < n ? m[i].start : HIGHEST_ADDR;
			if (gs < LOWEST_ADDR)
				gs = LOWEST_ADDR;
			if (ge > HIGHEST_ADDR)
				ge = HIGHEST_ADDR;
			if (ge <= gs || ge - gs < SLAB_SIZE)
				continue;
			uintptr_t cand = near <= gs ? gs : near >= ge ? ge - SLAB_SIZE : (near & ~4095UL);
			if (cand + SLAB_SIZE > ge)
				cand = ge - SLAB_SIZE;
			uint64_t d = dist(cand, near) > dist(cand + SLAB_SIZE, near) ? dist(cand, near)
										   : dist(cand + SLAB_SIZE, near);
			if (in_reach(cand, cand + SLAB_SIZE, near, reach) && d < best_d)
				best = cand, best_d = d;
		}
		if (!best)
			break;
		void *p = mmap((void *)best, SLAB_SIZE, PROT_READ | PROT_EXEC,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != MAP_FAILED && (uintptr_t)p == best) {
			free(m);
			struct slab *s = malloc(sizeof *s);
			if (!s) {
				munmap(p, SLAB_SIZE);
				bpftime_set_error(err, -ENOMEM, "out of memory");
				return NULL;
			}
			*s = (struct slab){best, 0, slabs};
			slabs = s;
			return s;
		}
		if (p != MAP_FAILED)
			munmap(p, SLAB_SIZE); /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
		free(m);
		if (bpftime_maps_read(&m, &n, err) != 0) /* someone mapped the gap meanwhile: look again */
			return NULL;
	}
	free(m);
	bpftime_set_error(err, -ENOMEM, "no free address range within +-2 GiB of %p for a trampoline", (void *)near);
	return NULL;
}

void *bpftime_code_alloc(uintptr_t near, uint64_t reach, size_t size, struct bpftime_hook_error *err)
{
	size = (size + 63) & ~(size_t)63; /* a cache line per trampoline start */
	if (size > SLAB_SIZE) {
		bpftime_set_error(err, -EINVAL, "code block of %zu bytes is too large", size);
		return NULL;
	}
	for (struct slab *s = slabs; s; s = s->next)
		if (s->used + size <= SLAB_SIZE && in_reach(s->base + s->used, s->base + s->used + size, near, reach)) {
			void *p = (void *)(s->base + s->used);
			s->used += size;
			return p;
		}
	struct slab *s = new_slab(near, reach, err);
	if (!s)
		return NULL;
	s->used = size;
	return (void *)s->base;
}

int bpftime_code_write(void *dst, const void *src, size_t n, struct bpftime_hook_error *err)
{
	uintptr_t page = (uintptr_t)dst & ~4095UL, end = ((uintptr_t)dst + n + 4095) & ~4095UL;
	/* Other trampolines in these pages may be running: the pages stay executable while writable. */
	if (mprotect((void *)page, end - page, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
		return bpftime_set_error(err, -errno, "mprotect trampoline page %p: %s", (void *)page, strerror(errno));
	memcpy(dst, src, n);
	mprotect((void *)page, end - page, PROT_READ | PROT_EXEC);
	return 0;
}

int bpftime_text_open(struct bpftime_text_window *w, uintptr_t addr, size_t n, struct bpftime_hook_error *err)
{
	struct bpftime_map_entry *m;
	size_t count;
	int rc = bpftime_maps_read(&m, &count, err);
	if (rc)
		return rc;
	const struct bpftime_map_entry *a = bpftime_maps_find(m, count, addr);
	const struct bpftime_map_entry *b = bpftime_maps_find(m, count, addr + n - 1);
	if (!a || !b || a->prot != b->prot || !(a->prot & PROT_EXEC)) {
		free(m);
		return bpftime_set_error(err, -EFAULT, "%p is not mapped executable code", (void *)addr);
	}
	w->prot = a->prot;
	free(m);
	w->page = addr & ~4095UL;
	w->len = ((addr + n + 4095) & ~4095UL) - w->page;
	if (mprotect((void *)w->page, w->len, w->prot | PROT_WRITE) != 0)
		return bpftime_set_error(err, -EACCES, "make code at %p writable: %s", (void *)addr, strerror(errno));
	return 0;
}

void bpftime_text_close(struct bpftime_text_window *w) { mprotect((void *)w->page, w->len, w->prot); }
