/*
 * Perf event arrays (bpf_perf_event_output into per-CPU perf buffers, as libbpf's perf_buffer reads them). Slot i
 * holds CPU i's buffer once a reader opened the map (the kernel: a perf event fd in the slot). Producers of one
 * buffer (threads preempted on the same CPU) serialise on its lock, write a whole record, then publish data_head
 * (release); the single reader reads up to data_head and publishes data_tail (release), which frees the space.
 * Records wrap around the end of the data area, as the kernel writes them; the reader reassembles a wrapped one.
 */
#include <stdlib.h>

#include "internal.h"

#define PERF_HDR 8u   /* struct perf_event_header */
#define RAW_SIZE 4u   /* the u32 size of PERF_SAMPLE_RAW */
#define MAX_RECORD 0xffffu /* perf_event_header.size is a u16 */

uint64_t perf_storage(const struct bpftime_map_spec *s, uint32_t ncpus, struct bpftime_perf_params *p)
{
	p->pages = s->perf_pages;
	p->nbufs = s->max_entries < ncpus ? s->max_entries : ncpus;
	p->buf_stride = BPFTIME_PAGE_SIZE + (uint64_t)s->perf_pages * BPFTIME_PAGE_SIZE;
	return p->buf_stride * p->nbufs;
}

static inline struct bpftime_perf_buf *buf(struct bpftime_map *m, uint32_t i)
{
	return (struct bpftime_perf_buf *)(m->perf + (uint64_t)i * m->perf_stride);
}

static inline uint8_t *buf_data(struct bpftime_perf_buf *b)
{
	return (uint8_t *)b + sizeof(*b);
}

void perf_init(struct bpftime_map *m)
{
	for (uint32_t i = 0; i < m->perf_nbufs; i++)
		buf(m, i)->cpu = i;
}

/* ring_write copies into the data area at a position, wrapping around its end. */
static void ring_write(uint8_t *data, uint64_t size, uint64_t pos, const void *src, uint64_t n)
{
	uint64_t off = pos & (size - 1), first = n < size - off ? n : size - off;
	memcpy(data + off, src, first);
	memcpy(data, (const uint8_t *)src + first, n - first);
}

static void ring_read(const uint8_t *data, uint64_t size, uint64_t pos, void *dst, uint64_t n)
{
	uint64_t off = pos & (size - 1), first = n < size - off ? n : size - off;
	memcpy(dst, data + off, first);
	memcpy((uint8_t *)dst + first, data, n - first);
}

BPFTIME_API long bpftime_perf_event_output(struct bpftime_map *m, uint64_t flags, const void *data, uint64_t size)
{
	if (m->perf == NULL || (flags & ~BPFTIME_F_INDEX_MASK) != 0)
		return -EINVAL;
	uint32_t cpu = current_cpu(m->seg->shm->hdr.ncpus);
	uint64_t index = (flags & BPFTIME_F_INDEX_MASK) == BPFTIME_F_CURRENT_CPU ? cpu : flags;
	if (index >= m->max_entries)
		return -E2BIG;
	if (index >= m->perf_nbufs || !LOAD_ACQ(&buf(m, (uint32_t)index)->open))
		return -ENOENT;
	if (index != cpu)
		return -EOPNOTSUPP;
	uint64_t rec = PERF_HDR + round_up(RAW_SIZE + size, 8);
	if (rec > MAX_RECORD)
		return -E2BIG;
	struct bpftime_perf_buf *b = buf(m, (uint32_t)index);
	uint64_t cap = (uint64_t)m->perf_pages * BPFTIME_PAGE_SIZE;
	if (lock_acquire(&b->lock) < 0)
		return -EBUSY;
	uint64_t head = LOAD_RLX(&b->data_head);
	if (head + rec - LOAD_ACQ(&b->data_tail) > cap) {
		__atomic_fetch_add(&b->lost, 1, __ATOMIC_RELAXED);
		lock_release(&b->lock);
		return -ENOSPC;
	}
	uint8_t hdr[PERF_HDR + RAW_SIZE];
	uint32_t type = BPFTIME_PERF_RECORD_SAMPLE, raw = (uint32_t)size;
	uint16_t misc = 0, rsize = (uint16_t)rec;
	memcpy(hdr, &type, 4);
	memcpy(hdr + 4, &misc, 2);
	memcpy(hdr + 6, &rsize, 2);
	memcpy(hdr + 8, &raw, 4);
	uint8_t *d = buf_data(b);
	ring_write(d, cap, head, hdr, sizeof(hdr));
	ring_write(d, cap, head + sizeof(hdr), data, size);
	STORE_REL(&b->data_head, head + rec);
	lock_release(&b->lock);
	return 0;
}

BPFTIME_API int bpftime_perf_open(struct bpftime_map *m)
{
	if (m->perf == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < m->perf_nbufs; i++) {
		struct bpftime_perf_buf *b = buf(m, i);
		if (lock_acquire(&b->lock) < 0)
			return -EBUSY;
		STORE_REL(&b->data_tail, LOAD_RLX(&b->data_head));
		STORE_RLX(&b->lost, 0);
		STORE_REL(&b->open, 1);
		lock_release(&b->lock);
	}
	return 0;
}

BPFTIME_API int bpftime_perf_close(struct bpftime_map *m)
{
	if (m->perf == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < m->perf_nbufs; i++)
		STORE_REL(&buf(m, i)->open, 0);
	return 0;
}

int perf_delete_user(struct bpftime_map *m, const void *key)
{
	uint32_t index;
	memcpy(&index, key, 4);
	if (!m->user_writable)
		return -EPERM;
	if (index >= m->max_entries)
		return -E2BIG;
	if (index >= m->perf_nbufs || !LOAD_ACQ(&buf(m, index)->open))
		return -ENOENT;
	STORE_REL(&buf(m, index)->open, 0);
	return 0;
}

BPFTIME_API int bpftime_perf_consume(struct bpftime_map *m, bpftime_perf_fn fn, void *ctx)
{
	if (m->perf == NULL)
		return -EINVAL;
	uint64_t cap = (uint64_t)m->perf_pages * BPFTIME_PAGE_SIZE;
	uint8_t *tmp = NULL;
	int n = 0, stop = 0;
	for (uint32_t i = 0; i < m->perf_nbufs && !stop; i++) {
		struct bpftime_perf_buf *b = buf(m, i);
		uint8_t *d = buf_data(b);
		uint64_t tail = LOAD_RLX(&b->data_tail), head = LOAD_ACQ(&b->data_head);
		while (tail < head && !stop) {
			uint8_t hdr[PERF_HDR + RAW_SIZE];
			ring_read(d, cap, tail, hdr, sizeof(hdr));
			uint16_t rsize;
			uint32_t raw;
			memcpy(&rsize, hdr + 6, 2);
			memcpy(&raw, hdr + 8, 4);
			uint64_t at = (tail + sizeof(hdr)) & (cap - 1);
			const uint8_t *sample = d + at;
			if (at + raw > cap) {
				if (tmp == NULL && (tmp = malloc(MAX_RECORD)) == NULL)
					return -ENOMEM;
				ring_read(d, cap, tail + sizeof(hdr), tmp, raw);
				sample = tmp;
			}
			n++;
			stop = fn(ctx, b->cpu, sample, raw) != 0;
			tail += rsize;
			STORE_REL(&b->data_tail, tail);
		}
	}
	free(tmp);
	return n;
}

BPFTIME_API uint64_t bpftime_perf_lost(struct bpftime_map *m, uint32_t cpu)
{
	uint64_t total = 0;
	for (uint32_t i = 0; m->perf != NULL && i < m->perf_nbufs; i++)
		if (cpu == UINT32_MAX || cpu == i)
			total += LOAD_RLX(&buf(m, i)->lost);
	return total;
}
