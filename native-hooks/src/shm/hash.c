/*
 * Hash maps (kernel/bpf/hashtab.c semantics): hash, percpu_hash, lru_hash, lru_percpu_hash, preallocated.
 *
 * Concurrency:
 *  - lookups take no lock. Chains end in a "nulls" link naming their bucket (hlist_nulls): a reader that followed
 *    an element freed and reused in another chain ends on another bucket's nulls and restarts. A freed element keeps
 *    its `next`, so a reader standing on it still reaches the end of its old chain. An element's key is rewritten only
 *    between two increments of its `gen` (odd meanwhile); a reader that matched a key checks `gen` again and
 *    restarts if it moved. Keys are read (acquire) and written (release) as atomic 8-byte words, the key stride
 *    padded with zeros, so a racing reader sees whole words and its second look at `gen` stays after them.
 *  - writers of a chain (insert, delete, in-place value update) hold its bucket lock. Updating an existing key
 *    rewrites its value in place under that lock (the kernel's BPF_F_LOCK path; the kernel otherwise swaps in a
 *    new element), so a value pointer from lookup stays the key's value and `__sync_fetch_and_add` on it is exact.
 *  - free elements are a lock-free stack (index + ABA tag in one 64-bit word).
 *  - LRU maps keep a recency list under one lock; lookups and updates only set the element's `lru_ref`, and
 *    eviction gives referenced elements a second chance (the kernel's approximation of LRU, with its lists
 *    merged into one). Lock order: LRU lock, then a bucket lock; nobody takes the LRU lock holding a bucket lock.
 */
#include "htab.h"

static void write_key(const struct bpftime_map *m, struct bpftime_htab_elem *e, const void *key)
{
	uint64_t *k = elem_key(e);
	const uint8_t *p = key;
	for (uint32_t n = 0; n < m->key_stride; n += 8, k++) {
		uint64_t w = 0;
		memcpy(&w, p + n, m->key_size - n < 8 ? m->key_size - n : 8);
		STORE_REL(k, w); /* release: ordered after the odd `gen` that announces the rewrite */
	}
}

static void read_key(const struct bpftime_map *m, struct bpftime_htab_elem *e, void *out)
{
	uint64_t *k = elem_key(e);
	uint8_t *p = out;
	for (uint32_t n = 0; n < m->key_stride; n += 8, k++) {
		uint64_t w = LOAD_ACQ(k);
		memcpy(p + n, &w, m->key_size - n < 8 ? m->key_size - n : 8);
	}
}

uint64_t htab_storage(const struct bpftime_map_spec *s, uint32_t ncpus, struct bpftime_htab_params *p)
{
	int percpu = s->type == BPFTIME_MAP_PERCPU_HASH || s->type == BPFTIME_MAP_LRU_PERCPU_HASH;
	uint64_t nb = 1;
	while (nb < s->max_entries)
		nb <<= 1;
	p->nbuckets = (uint32_t)nb;
	p->key_stride = (uint32_t)round_up(s->key_size, 8);
	p->elem_size = (uint32_t)(ELEM_HDR + p->key_stride + round_up(s->value_size, 8) * (percpu ? ncpus : 1));
	p->buckets_off = round_up(sizeof(struct bpftime_htab_ctl), 64);
	p->elems_off = p->buckets_off + round_up(nb * sizeof(struct bpftime_htab_bucket), 64);
	return p->elems_off + (uint64_t)s->max_entries * p->elem_size;
}

void htab_init(struct bpftime_map *m)
{
	for (uint32_t b = 0; b <= m->bucket_mask; b++)
		m->buckets[b].head = BPFTIME_HTAB_NULLS(b);
	for (uint32_t i = 0; i < m->max_entries; i++) {
		struct bpftime_htab_elem *e = elem(m, i);
		e->next = BPFTIME_HTAB_NULLS(0);
		e->free_next = i + 1 < m->max_entries ? i + 1 : BPFTIME_HTAB_NONE;
		e->lru_prev = e->lru_next = BPFTIME_HTAB_NONE;
	}
	m->htab->free_head = 0;
	m->htab->lru_head = m->htab->lru_tail = BPFTIME_HTAB_NONE;
}

/* ---- free list ---- */

static uint32_t pop_free(struct bpftime_map *m)
{
	uint64_t old = LOAD_ACQ(&m->htab->free_head);
	for (;;) {
		uint32_t idx = (uint32_t)old;
		if (idx == BPFTIME_HTAB_NONE)
			return BPFTIME_HTAB_NONE;
		uint32_t next = LOAD_RLX(&elem(m, idx)->free_next);
		uint64_t new = ((old >> 32) + 1) << 32 | next;
		if (__atomic_compare_exchange_n(&m->htab->free_head, &old, new, 1, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return idx;
	}
}

static void push_free(struct bpftime_map *m, uint32_t idx)
{
	uint64_t old = LOAD_RLX(&m->htab->free_head);
	for (;;) {
		STORE_RLX(&elem(m, idx)->free_next, (uint32_t)old);
		uint64_t new = ((old >> 32) + 1) << 32 | idx;
		if (__atomic_compare_exchange_n(&m->htab->free_head, &old, new, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
}

int htab_lookup_user(struct bpftime_map *m, const void *key, void *value)
{
	struct bpftime_htab_elem *e = find(m, hash_key(m, key), key);
	if (e == NULL)
		return -ENOENT;
	read_user_values(m, elem_values(m, e), value);
	return 0;
}

/* ---- LRU list (under lru_lock) ---- */

static void lru_unlink(struct bpftime_map *m, uint32_t idx)
{
	struct bpftime_htab_ctl *c = m->htab;
	struct bpftime_htab_elem *e = elem(m, idx);
	if (e->lru_prev != BPFTIME_HTAB_NONE)
		elem(m, e->lru_prev)->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next != BPFTIME_HTAB_NONE)
		elem(m, e->lru_next)->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = BPFTIME_HTAB_NONE;
}

static void lru_push_head(struct bpftime_map *m, uint32_t idx)
{
	struct bpftime_htab_ctl *c = m->htab;
	struct bpftime_htab_elem *e = elem(m, idx);
	e->lru_prev = BPFTIME_HTAB_NONE;
	e->lru_next = c->lru_head;
	if (c->lru_head != BPFTIME_HTAB_NONE)
		elem(m, c->lru_head)->lru_prev = idx;
	else
		c->lru_tail = idx;
	c->lru_head = idx;
}

/* lru_listed tells whether an element is on the LRU list (head, or linked from a neighbour). */
static int lru_listed(struct bpftime_map *m, uint32_t idx)
{
	return m->htab->lru_head == idx || elem(m, idx)->lru_prev != BPFTIME_HTAB_NONE;
}

/*
 * lru_held_here tells whether this thread holds the LRU lock: it was interrupted inside an LRU critical section and
 * re-entered (a signal handler); updates and deletes are then -EBUSY, and the other LRU lock sites cannot self-block.
 */
static inline int lru_held_here(struct bpftime_map *m)
{
	return m->lru && LOAD_RLX(&m->htab->lru_lock) == bpftime_tid();
}

static void lru_remove(struct bpftime_map *m, uint32_t idx)
{
	lock_wait(&m->htab->lru_lock);
	if (lru_listed(m, idx))
		lru_unlink(m, idx);
	lock_release(&m->htab->lru_lock);
}

/* unlink_elem removes an element from its chain (bucket lock held). */
static void unlink_elem(struct bpftime_map *m, struct bpftime_htab_elem *e, uint32_t *link_at)
{
	STORE_REL(link_at, LOAD_RLX(&e->next));
	STORE_RLX(&e->in_use, 0);
	__atomic_fetch_sub(&m->htab->count, 1, __ATOMIC_RELAXED);
}

/*
 * lru_evict takes the least recently used element out of the map for reuse, giving referenced ones a second
 * chance; BPFTIME_HTAB_NONE when every element is in transit (being inserted or deleted by others).
 */
static uint32_t lru_evict(struct bpftime_map *m)
{
	struct bpftime_htab_ctl *c = m->htab;
	uint32_t victim = BPFTIME_HTAB_NONE;
	lock_wait(&c->lru_lock);
	for (uint64_t tries = 0; tries < 2ull * m->max_entries + 2 && c->lru_tail != BPFTIME_HTAB_NONE; tries++) {
		uint32_t idx = c->lru_tail;
		struct bpftime_htab_elem *e = elem(m, idx);
		lru_unlink(m, idx);
		if (LOAD_RLX(&e->lru_ref)) {
			STORE_RLX(&e->lru_ref, 0);
			lru_push_head(m, idx);
			continue;
		}
		uint32_t b = e->hash & m->bucket_mask;
		if (lock_acquire(&m->buckets[b].lock) < 0) {
			lru_push_head(m, idx); /* its bucket is this thread's, interrupted: not a victim now */
			continue;
		}
		uint32_t *at = NULL;
		if (LOAD_RLX(&e->in_use)) {
			/* Find the link to it: its key is stable while linked and the bucket is locked. */
			at = &m->buckets[b].head;
			while (LOAD_RLX(at) != BPFTIME_HTAB_LINK(idx))
				at = &elem(m, LOAD_RLX(at) >> 1)->next;
			unlink_elem(m, e, at);
		}
		lock_release(&m->buckets[b].lock);
		if (at != NULL) {
			victim = idx;
			break;
		}
		lru_push_head(m, idx); /* being inserted or deleted by another thread: leave it to them */
	}
	lock_release(&c->lru_lock);
	return victim;
}

/* ---- updates and deletes ---- */

/* new_elem takes a free element (evicting in LRU maps) and writes the key into it; NONE when the map is full. */
static uint32_t new_elem(struct bpftime_map *m, const void *key, uint32_t hash)
{
	uint32_t idx = pop_free(m);
	if (idx == BPFTIME_HTAB_NONE && m->lru)
		idx = lru_evict(m);
	if (idx == BPFTIME_HTAB_NONE)
		return idx;
	struct bpftime_htab_elem *e = elem(m, idx);
	__atomic_fetch_add(&e->gen, 1, __ATOMIC_RELAXED);
	write_key(m, e, key);
	STORE_REL(&e->hash, hash);
	__atomic_fetch_add(&e->gen, 1, __ATOMIC_RELEASE);
	STORE_RLX(&e->lru_ref, 0);
	if (m->lru) {
		lock_wait(&m->htab->lru_lock);
		lru_push_head(m, idx);
		lock_release(&m->htab->lru_lock);
	}
	return idx;
}

static void drop_new(struct bpftime_map *m, uint32_t idx)
{
	if (m->lru)
		lru_remove(m, idx);
	push_free(m, idx);
}

long htab_update(struct bpftime_map *m, const void *key, const void *value, uint64_t flags, int user,
		 uint32_t user_size)
{
	int mode = update_mode(flags);
	if (mode < 0)
		return -EINVAL;
	if ((flags & BPFTIME_F_LOCK) && m->spin_lock_off < 0)
		return -EINVAL;
	if (UNLIKELY(lru_held_here(m)))
		return -EBUSY;
	uint32_t hash = hash_key(m, key), b = hash & m->bucket_mask;
	if (flags & BPFTIME_F_LOCK) {
		/* As the kernel: an existing value is rewritten under its own spin lock, without the bucket lock. */
		struct bpftime_htab_elem *e = find(m, hash, key);
		if (e != NULL)
			return mode == BPFTIME_NOEXIST ? -EEXIST : copy_value_locked(m, elem_values(m, e), value);
	}
	struct bpftime_htab_bucket *bk = &m->buckets[b];
	uint32_t fresh = BPFTIME_HTAB_NONE;
	for (;;) {
		if (UNLIKELY(lock_acquire(&bk->lock) < 0)) {
			if (fresh != BPFTIME_HTAB_NONE)
				drop_new(m, fresh);
			return -EBUSY;
		}
		struct bpftime_htab_elem *e = find_locked(m, b, hash, key, NULL);
		if (e != NULL) {
			long r = -EEXIST;
			if (mode != BPFTIME_NOEXIST) {
				r = write_values(m, elem_values(m, e), value, user, user_size, flags, 0);
				if (m->lru)
					touch(e);
			}
			lock_release(&bk->lock);
			if (fresh != BPFTIME_HTAB_NONE)
				drop_new(m, fresh);
			return r;
		}
		if (mode == BPFTIME_EXIST) {
			lock_release(&bk->lock);
			if (fresh != BPFTIME_HTAB_NONE)
				drop_new(m, fresh);
			return -ENOENT;
		}
		if (fresh != BPFTIME_HTAB_NONE) {
			struct bpftime_htab_elem *n = elem(m, fresh);
			uint8_t *v = elem_values(m, n);
			/* Nobody else reaches a fresh element: its bpf_spin_lock starts free, its copy needs no lock. */
			if (m->spin_lock_off >= 0)
				STORE_REL((bpftime_lock_t *)(v + m->spin_lock_off), 0);
			write_values(m, v, value, user, user_size, flags & ~BPFTIME_F_LOCK, 1);
			STORE_RLX(&n->next, LOAD_RLX(&bk->head));
			STORE_RLX(&n->in_use, 1);
			STORE_REL(&bk->head, BPFTIME_HTAB_LINK(fresh));
			__atomic_fetch_add(&m->htab->count, 1, __ATOMIC_RELAXED);
			lock_release(&bk->lock);
			return 0;
		}
		/* A new element is taken without the bucket lock (eviction locks other buckets), then we look again. */
		lock_release(&bk->lock);
		fresh = new_elem(m, key, hash);
		if (fresh == BPFTIME_HTAB_NONE)
			return -E2BIG;
	}
}

long htab_delete(struct bpftime_map *m, const void *key)
{
	uint32_t hash = hash_key(m, key), b = hash & m->bucket_mask;
	struct bpftime_htab_bucket *bk = &m->buckets[b];
	uint32_t *at;
	if (UNLIKELY(lru_held_here(m) || lock_acquire(&bk->lock) < 0))
		return -EBUSY;
	struct bpftime_htab_elem *e = find_locked(m, b, hash, key, &at);
	if (e != NULL)
		unlink_elem(m, e, at);
	lock_release(&bk->lock);
	if (e == NULL)
		return -ENOENT;
	uint32_t idx = elem_index(m, e);
	if (m->lru)
		lru_remove(m, idx);
	push_free(m, idx);
	return 0;
}

/* ---- iteration ---- */

/* first_from copies the first key of buckets b.. into `next`: 0, or -ENOENT when they are all empty. */
static int first_from(struct bpftime_map *m, uint32_t b, void *next)
{
	for (; b <= m->bucket_mask; b++) {
		uint32_t link = LOAD_ACQ(&m->buckets[b].head);
		if (link & 1)
			continue;
		struct bpftime_htab_elem *e = elem(m, link >> 1);
		uint32_t gen = LOAD_ACQ(&e->gen);
		read_key(m, e, next);
		if (LOAD_RLX(&e->gen) != gen || (gen & 1)) {
			b--; /* rewritten under us: read this bucket again */
			continue;
		}
		return 0;
	}
	return -ENOENT;
}

/*
 * htab_next_key follows the kernel's order: the rest of the key's chain, then the following buckets; an absent key
 * (or none) starts from the first bucket.
 */
int htab_next_key(struct bpftime_map *m, const void *key, void *next)
{
	if (key == NULL)
		return first_from(m, 0, next);
	uint32_t hash = hash_key(m, key), b = hash & m->bucket_mask;
	struct bpftime_htab_elem *e = find(m, hash, key);
	if (e == NULL)
		return first_from(m, 0, next);
	uint32_t link = LOAD_ACQ(&e->next);
	if (!(link & 1)) {
		struct bpftime_htab_elem *n = elem(m, link >> 1);
		uint32_t gen = LOAD_ACQ(&n->gen);
		read_key(m, n, next);
		if (LOAD_RLX(&n->gen) == gen && !(gen & 1))
			return 0;
	}
	return first_from(m, b + 1, next);
}
