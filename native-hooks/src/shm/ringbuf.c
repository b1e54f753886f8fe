/*
 * Ring buffers (kernel/bpf/ringbuf.c semantics) shared by processes: ringbuf maps and the segment's log ring.
 *
 * Producers reserve under the ring's lock (a few instructions: positions, one or two headers), write their sample
 * without it, and publish it by clearing the header's BUSY bit (release), as the kernel does. The producer position
 * is published (release) after the new record's header says BUSY, so a consumer never reads a header older than the
 * position it was given. The consumer stops at the first BUSY record; records after it stay unread until it is
 * submitted or discarded, so nothing is lost or read twice. A record that would cross the end of the data area is
 * preceded by a discarded padding record up to the end (the kernel maps the area twice instead).
 *
 * Unlike the kernel's, a producer here can die between reserve and submit (a target killed by a signal). Each
 * reservation is registered with its thread id in the control page until committed; a consumer stopped at a BUSY
 * record whose producer thread no longer exists discards it and goes on (counted in `reclaimed`).
 */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define LEN_MASK (~(BPFTIME_RINGBUF_BUSY_BIT | BPFTIME_RINGBUF_DISCARD_BIT))
#define MAX_RECORD_SZ (UINT_MAX / 4)

static inline uint8_t *rb_data(struct bpftime_ringbuf *rb)
{
	return (uint8_t *)rb + sizeof(*rb);
}

void ringbuf_init(struct bpftime_ringbuf *rb, uint64_t data_size)
{
	rb->mask = data_size - 1;
}

static inline uint32_t owner_slot(uint64_t off)
{
	return (uint32_t)(off / BPFTIME_RINGBUF_HDR_SZ) % BPFTIME_RINGBUF_OWNERS;
}

/* own registers the reservation at `off` (ring lock held); a full registry leaves it unregistered. */
static void own(struct bpftime_ringbuf *rb, uint64_t off)
{
	for (uint32_t i = 0, s = owner_slot(off); i < BPFTIME_RINGBUF_OWNERS; i++, s = (s + 1) % BPFTIME_RINGBUF_OWNERS) {
		struct bpftime_ringbuf_owner *o = &rb->owners[s];
		if (LOAD_ACQ(&o->tid) == 0) {
			STORE_RLX(&o->off, (uint32_t)off);
			STORE_REL(&o->tid, bpftime_tid());
			return;
		}
	}
}

/* owner finds the registration of the reservation at `off`, or NULL. */
static struct bpftime_ringbuf_owner *owner(struct bpftime_ringbuf *rb, uint64_t off)
{
	for (uint32_t i = 0, s = owner_slot(off); i < BPFTIME_RINGBUF_OWNERS; i++, s = (s + 1) % BPFTIME_RINGBUF_OWNERS) {
		struct bpftime_ringbuf_owner *o = &rb->owners[s];
		if (LOAD_ACQ(&o->tid) != 0 && LOAD_RLX(&o->off) == (uint32_t)off)
			return o;
	}
	return NULL;
}

static inline void write_header(struct bpftime_ringbuf *rb, uint64_t off, uint32_t len)
{
	struct bpftime_ringbuf_hdr *h = (struct bpftime_ringbuf_hdr *)(rb_data(rb) + off);
	/* pg_off: pages from the control page to the header's page, so commit can find the ring from a sample. */
	STORE_RLX(&h->pg_off, (uint32_t)(((uintptr_t)h & ~(uintptr_t)(BPFTIME_PAGE_SIZE - 1)) - (uintptr_t)rb) /
				      BPFTIME_PAGE_SIZE);
	STORE_REL(&h->len, len);
}

void *ringbuf_reserve(struct bpftime_ringbuf *rb, uint64_t size, uint64_t flags)
{
	if (flags != 0 || size > MAX_RECORD_SZ)
		return NULL;
	uint64_t len = round_up(size + BPFTIME_RINGBUF_HDR_SZ, 8), ring = rb->mask + 1;
	if (len > ring)
		return NULL;
	if (lock_acquire(&rb->lock) < 0)
		return NULL;
	uint64_t cons = LOAD_ACQ(&rb->consumer_pos), prod = LOAD_RLX(&rb->producer_pos);
	uint64_t off = prod & rb->mask, tail = ring - off;
	uint64_t pad = len > tail ? tail : 0;
	uint64_t new_prod = prod + pad + len;
	if (new_prod - cons > rb->mask) {
		lock_release(&rb->lock);
		return NULL;
	}
	if (pad != 0)
		write_header(rb, off, (uint32_t)(pad - BPFTIME_RINGBUF_HDR_SZ) | BPFTIME_RINGBUF_DISCARD_BIT);
	uint64_t rec = (prod + pad) & rb->mask;
	write_header(rb, rec, (uint32_t)size | BPFTIME_RINGBUF_BUSY_BIT);
	own(rb, rec);
	STORE_REL(&rb->producer_pos, new_prod);
	lock_release(&rb->lock);
	return rb_data(rb) + rec + BPFTIME_RINGBUF_HDR_SZ;
}

static void notify(struct bpftime_ringbuf *rb)
{
	__atomic_fetch_add(&rb->wakeups, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&rb->seq, 1, __ATOMIC_RELEASE);
	if (LOAD_ACQ(&rb->waiters) != 0)
		syscall(SYS_futex, &rb->seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * consumer_at tells whether the consumer waits at this record, the kernel's wakeup rule. A consumer never waits at a
 * padding record (it skips discarded records and stops only at a BUSY one), so the record after a padding needs no
 * case of its own; and the header at a stale consumer position may already be another record's data, so it is not
 * read.
 */
static int consumer_at(struct bpftime_ringbuf *rb, uint64_t rec)
{
	return (LOAD_ACQ(&rb->consumer_pos) & rb->mask) == rec;
}

static void commit(void *sample, uint64_t flags, int discard)
{
	struct bpftime_ringbuf_hdr *h = (struct bpftime_ringbuf_hdr *)((uint8_t *)sample - BPFTIME_RINGBUF_HDR_SZ);
	struct bpftime_ringbuf *rb =
		(struct bpftime_ringbuf *)(((uintptr_t)h & ~(uintptr_t)(BPFTIME_PAGE_SIZE - 1)) -
					   (uintptr_t)LOAD_RLX(&h->pg_off) * BPFTIME_PAGE_SIZE);
	uint64_t rec = (uint64_t)((uint8_t *)h - rb_data(rb));
	struct bpftime_ringbuf_owner *o = owner(rb, rec);
	uint32_t len = LOAD_RLX(&h->len);
	if (!(len & BPFTIME_RINGBUF_BUSY_BIT))
		return; /* not reserved, committed twice or reclaimed: ignore rather than corrupt */
	if (o != NULL)
		STORE_REL(&o->tid, 0);
	/*
	 * A plain store: the consumer reclaims a record only when the thread that reserved it is gone, and that thread
	 * is the one committing it (a program submits what its own run reserved).
	 */
	STORE_REL(&h->len, (len & LEN_MASK) | (discard ? BPFTIME_RINGBUF_DISCARD_BIT : 0));
	if ((flags & BPFTIME_RB_FORCE_WAKEUP) || (!(flags & BPFTIME_RB_NO_WAKEUP) && consumer_at(rb, rec)))
		notify(rb);
}

/*
 * reclaim discards the BUSY record at `off` when the thread that reserved it is gone; *len receives its new header.
 * Returns 1 when reclaimed (or committed meanwhile), 0 when its producer may still be writing it.
 */
static int reclaim(struct bpftime_ringbuf *rb, struct bpftime_ringbuf_hdr *h, uint64_t off, uint32_t *len)
{
	struct bpftime_ringbuf_owner *o = owner(rb, off);
	uint32_t tid = o != NULL ? LOAD_ACQ(&o->tid) : 0;
	if (tid == 0 || !bpftime_thread_gone(tid))
		return 0;
	uint32_t busy = *len, done = (busy & LEN_MASK) | BPFTIME_RINGBUF_DISCARD_BIT;
	if (__atomic_compare_exchange_n(&h->len, &busy, done, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		*len = done;
		__atomic_fetch_add(&rb->reclaimed, 1, __ATOMIC_RELAXED);
		__atomic_compare_exchange_n(&o->tid, &tid, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
		return 1;
	}
	*len = busy; /* committed after all */
	return !(busy & BPFTIME_RINGBUF_BUSY_BIT);
}

int ringbuf_consume(struct bpftime_ringbuf *rb, ringbuf_rec_fn fn, void *ctx, uint32_t max)
{
	int n = 0, stop = 0;
	if (lock_acquire(&rb->cons_lock) < 0)
		return -EBUSY;
	uint64_t cons = LOAD_RLX(&rb->consumer_pos);
	while (!stop && (max == 0 || (uint32_t)n < max)) {
		uint64_t prod = LOAD_ACQ(&rb->producer_pos);
		if (cons >= prod)
			break;
		struct bpftime_ringbuf_hdr *h = (struct bpftime_ringbuf_hdr *)(rb_data(rb) + (cons & rb->mask));
		uint32_t len = LOAD_ACQ(&h->len);
		if ((len & BPFTIME_RINGBUF_BUSY_BIT) && !reclaim(rb, h, cons & rb->mask, &len))
			break;
		uint32_t size = len & LEN_MASK;
		if (!(len & BPFTIME_RINGBUF_DISCARD_BIT)) {
			n++;
			stop = fn(ctx, (uint8_t *)h + BPFTIME_RINGBUF_HDR_SZ, size) != 0;
		}
		cons += round_up((uint64_t)size + BPFTIME_RINGBUF_HDR_SZ, 8);
		STORE_REL(&rb->consumer_pos, cons);
	}
	lock_release(&rb->cons_lock);
	return n;
}

static int rb_pending(struct bpftime_ringbuf *rb)
{
	uint64_t cons = LOAD_ACQ(&rb->consumer_pos);
	if (cons >= LOAD_ACQ(&rb->producer_pos))
		return 0;
	uint32_t len = LOAD_ACQ(&((struct bpftime_ringbuf_hdr *)(rb_data(rb) + (cons & rb->mask)))->len);
	return !(len & BPFTIME_RINGBUF_BUSY_BIT);
}

BPFTIME_API void *bpftime_ringbuf_reserve(struct bpftime_map *m, uint64_t size, uint64_t flags)
{
	return m->rb != NULL ? ringbuf_reserve(m->rb, size, flags) : NULL;
}

BPFTIME_API void bpftime_ringbuf_submit(void *sample, uint64_t flags)
{
	commit(sample, flags, 0);
}

BPFTIME_API void bpftime_ringbuf_discard(void *sample, uint64_t flags)
{
	commit(sample, flags, 1);
}

BPFTIME_API long bpftime_ringbuf_output(struct bpftime_map *m, const void *data, uint64_t size, uint64_t flags)
{
	if (m->rb == NULL || (flags & ~(BPFTIME_RB_NO_WAKEUP | BPFTIME_RB_FORCE_WAKEUP)) != 0)
		return -EINVAL;
	void *sample = ringbuf_reserve(m->rb, size, 0);
	if (sample == NULL)
		return -EAGAIN;
	memcpy(sample, data, size);
	commit(sample, flags, 0);
	return 0;
}

BPFTIME_API uint64_t bpftime_ringbuf_query(struct bpftime_map *m, uint64_t flags)
{
	struct bpftime_ringbuf *rb = m->rb;
	if (rb == NULL)
		return 0;
	switch (flags) {
	case BPFTIME_RB_AVAIL_DATA:
		return LOAD_ACQ(&rb->producer_pos) - LOAD_ACQ(&rb->consumer_pos);
	case BPFTIME_RB_RING_SIZE:
		return rb->mask + 1;
	case BPFTIME_RB_CONS_POS:
		return LOAD_ACQ(&rb->consumer_pos);
	case BPFTIME_RB_PROD_POS:
		return LOAD_ACQ(&rb->producer_pos);
	default:
		return 0;
	}
}

BPFTIME_API int bpftime_ringbuf_consume(struct bpftime_map *m, bpftime_sample_fn fn, void *ctx, uint32_t max)
{
	if (m->rb == NULL)
		return -EINVAL;
	return ringbuf_consume(m->rb, fn, ctx, max);
}

BPFTIME_API int bpftime_ringbuf_wait(struct bpftime_map *m, int timeout_ms)
{
	struct bpftime_ringbuf *rb = m->rb;
	if (rb == NULL)
		return -EINVAL;
	uint32_t seen = LOAD_ACQ(&rb->seq);
	if (rb_pending(rb))
		return 1;
	__atomic_fetch_add(&rb->waiters, 1, __ATOMIC_ACQ_REL);
	if (!rb_pending(rb)) {
		struct timespec ts = {.tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L};
		syscall(SYS_futex, &rb->seq, FUTEX_WAIT, seen, timeout_ms < 0 ? NULL : &ts, NULL, 0);
	}
	__atomic_fetch_sub(&rb->waiters, 1, __ATOMIC_ACQ_REL);
	return rb_pending(rb);
}
