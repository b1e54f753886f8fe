/*
 * The segment's heap: map storage and the per-CPU counters. First fit over a free list kept in offset order, so
 * freeing coalesces with both neighbours. Allocations are rare (map creation), so one lock in the header is enough.
 * Each block starts with a 64-byte header; payloads are 64-byte aligned (a cache line) or more when asked (pages for
 * rings, whose records find their control page by page distance).
 */
#include <stdio.h>

#include "internal.h"

#define BLOCK_HDR 64u
#define MIN_BLOCK (2u * BLOCK_HDR)
#define BLOCK_FREE 0x65657266ull /* "free" */
#define BLOCK_USED 0x64657375ull /* "used" */

struct block {
	uint64_t size; /* bytes including this header */
	uint64_t next; /* free blocks: offset of the next free block, 0 at the end */
	uint64_t magic;
	uint8_t pad[BLOCK_HDR - 24];
};
_Static_assert(sizeof(struct block) == BLOCK_HDR, "block header size");

static inline struct block *blk(struct bpftime_shm *shm, uint64_t off)
{
	return (struct block *)((uint8_t *)shm + off);
}

void heap_init(struct bpftime_shm *shm)
{
	struct bpftime_shm_header *h = &shm->hdr;
	struct block *b = blk(shm, h->heap_off);
	b->size = h->heap_end - h->heap_off;
	b->next = 0;
	b->magic = BLOCK_FREE;
	h->free_head = h->heap_off;
	h->heap_used = 0;
}

/* make_free writes a free block header. */
static void make_free(struct bpftime_shm *shm, uint64_t off, uint64_t size, uint64_t next)
{
	struct block *b = blk(shm, off);
	b->size = size;
	b->next = next;
	b->magic = BLOCK_FREE;
}

BPFTIME_API uint64_t bpftime_shm_alloc(struct bpftime_seg *seg, uint64_t size, uint64_t align, char *err,
				       size_t errlen)
{
	struct bpftime_shm *shm = seg->shm;
	struct bpftime_shm_header *h = &shm->hdr;
	if (align < BLOCK_HDR)
		align = BLOCK_HDR;
	if ((align & (align - 1)) != 0 || size == 0) {
		seterr(err, errlen, EINVAL, "invalid allocation of %llu bytes aligned to %llu", (unsigned long long)size,
		       (unsigned long long)align);
		return 0;
	}
	uint64_t need = round_up(size, BLOCK_HDR);
	uint64_t found = 0;
	if (lock_acquire(&h->alloc_lock) < 0) {
		seterr(err, errlen, EBUSY, "the segment's allocator is busy in this thread (re-entered)");
		return 0;
	}
	for (uint64_t prev = 0, off = size > h->heap_end ? 0 : h->free_head; off != 0; prev = off, off = blk(shm, off)->next) {
		struct block *b = blk(shm, off);
		uint64_t payload = round_up(off + BLOCK_HDR, align);
		while (payload - BLOCK_HDR != off && payload - BLOCK_HDR - off < MIN_BLOCK)
			payload += align;
		uint64_t end = payload + need;
		if (end > off + b->size)
			continue;
		uint64_t bend = off + b->size, start = payload - BLOCK_HDR, next = b->next;
		/* The tail beyond `end` stays free when it can hold a block, else the allocation keeps it. */
		if (bend - end >= MIN_BLOCK) {
			make_free(shm, end, bend - end, next);
			next = end;
		} else {
			end = bend;
		}
		if (start != off) {
			b->size = start - off; /* the head gap stays a free block, in place */
			b->next = next;
		} else if (prev == 0) {
			h->free_head = next;
		} else {
			blk(shm, prev)->next = next;
		}
		struct block *u = blk(shm, start);
		u->size = end - start;
		u->next = 0;
		u->magic = BLOCK_USED;
		h->heap_used += u->size;
		found = payload;
		break;
	}
	lock_release(&h->alloc_lock);
	if (found == 0) {
		seterr(err, errlen, ENOSPC, "%llu bytes do not fit: the segment (%llu bytes) has %llu bytes of heap free",
		       (unsigned long long)size, (unsigned long long)h->size,
		       (unsigned long long)bpftime_shm_heap_free_bytes(seg));
		return 0;
	}
	memset((uint8_t *)shm + found, 0, blk(shm, found - BLOCK_HDR)->size - BLOCK_HDR);
	return found;
}

BPFTIME_API void bpftime_shm_free(struct bpftime_seg *seg, uint64_t payload)
{
	struct bpftime_shm *shm = seg->shm;
	struct bpftime_shm_header *h = &shm->hdr;
	if (payload < h->heap_off + BLOCK_HDR || payload >= h->heap_end)
		return;
	uint64_t off = payload - BLOCK_HDR;
	if (lock_acquire(&h->alloc_lock) < 0)
		return;
	struct block *b = blk(shm, off);
	if (b->magic != BLOCK_USED) {
		lock_release(&h->alloc_lock);
		return;
	}
	h->heap_used -= b->size;
	uint64_t prev = 0, next = h->free_head;
	while (next != 0 && next < off) {
		prev = next;
		next = blk(shm, next)->next;
	}
	make_free(shm, off, b->size, next);
	if (next != 0 && off + b->size == next) {
		struct block *n = blk(shm, next);
		b->size += n->size;
		b->next = n->next;
		n->magic = 0;
	}
	if (prev == 0) {
		h->free_head = off;
	} else {
		struct block *p = blk(shm, prev);
		if (prev + p->size == off) {
			p->size += b->size;
			p->next = b->next;
			b->magic = 0;
		} else {
			p->next = off;
		}
	}
	lock_release(&h->alloc_lock);
}

BPFTIME_API uint64_t bpftime_shm_heap_free_bytes(struct bpftime_seg *seg)
{
	struct bpftime_shm *shm = seg->shm;
	struct bpftime_shm_header *h = &shm->hdr;
	uint64_t total = 0;
	if (lock_acquire(&h->alloc_lock) < 0)
		return 0;
	for (uint64_t off = h->free_head; off != 0; off = blk(shm, off)->next)
		total += blk(shm, off)->size - BLOCK_HDR;
	lock_release(&h->alloc_lock);
	return total;
}
