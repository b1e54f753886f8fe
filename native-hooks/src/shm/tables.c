/*
 * The program, attachment and agent tables, the per-CPU attachment counters and the log ring. A slot is claimed by
 * a CAS of its state (FREE -> BUSY), filled, and published with a release store of READY; a reader that sees READY
 * (acquire) sees the whole entry. Changes that agents must act on bump tables_gen and wake its futex waiters.
 */
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* claim finds a free slot among `n` entries of `stride` bytes whose first u32 is the slot state; -1 when full. */
static int claim(void *entries, uint32_t n, size_t stride)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *state = (uint32_t *)((uint8_t *)entries + i * stride);
		uint32_t free = BPFTIME_SLOT_FREE;
		if (__atomic_compare_exchange_n(state, &free, BPFTIME_SLOT_BUSY, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return (int)i;
	}
	return -1;
}

BPFTIME_API void bpftime_tables_changed(struct bpftime_seg *seg)
{
	__atomic_fetch_add(&seg->shm->hdr.tables_gen, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &seg->shm->hdr.tables_gen, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

BPFTIME_API uint32_t bpftime_tables_wait(struct bpftime_seg *seg, uint32_t seen, int timeout_ms)
{
	uint32_t *gen = &seg->shm->hdr.tables_gen;
	if (LOAD_ACQ(gen) == seen) {
		struct timespec ts = {.tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L};
		syscall(SYS_futex, gen, FUTEX_WAIT, seen, timeout_ms < 0 ? NULL : &ts, NULL, 0);
	}
	return LOAD_ACQ(gen);
}

/* slot_get returns entry `id` (index + 1) of a table when it is in use (READY), else NULL. */
static void *slot_get(void *entries, uint32_t n, size_t stride, uint32_t id)
{
	if (id == 0 || id > n)
		return NULL;
	uint32_t *state = (uint32_t *)((uint8_t *)entries + (id - 1) * stride);
	return LOAD_ACQ(state) == BPFTIME_SLOT_READY ? state : NULL;
}

/* slot_release frees a READY slot whose `enabled` word is cleared first, and tells the agents. */
static int slot_release(struct bpftime_seg *seg, uint32_t *state, uint32_t *enabled)
{
	if (state == NULL)
		return -ENOENT;
	STORE_REL(enabled, 0);
	STORE_REL(state, BPFTIME_SLOT_FREE);
	bpftime_tables_changed(seg);
	return 0;
}

/* ---- programs ---- */

BPFTIME_API int bpftime_prog_add(struct bpftime_seg *seg, const struct bpftime_prog_entry *prog, char *err,
				 size_t errlen)
{
	if (prog->nr_map_refs > BPFTIME_PROG_MAX_MAP_REFS)
		return seterr(err, errlen, E2BIG, "program \"%.*s\": %u map references, at most %u", (int)BPFTIME_NAME_LEN,
			      prog->name, prog->nr_map_refs, BPFTIME_PROG_MAX_MAP_REFS);
	int i = claim(seg->shm->progs, BPFTIME_MAX_PROGS, sizeof(struct bpftime_prog_entry));
	if (i < 0)
		return seterr(err, errlen, ENOSPC, "program \"%.*s\": the program table is full (%u programs)",
			      (int)BPFTIME_NAME_LEN, prog->name, BPFTIME_MAX_PROGS);
	struct bpftime_prog_entry *p = &seg->shm->progs[i];
	memcpy((uint8_t *)p + 4, (const uint8_t *)prog + 4, sizeof(*p) - 4);
	p->id = (uint32_t)i + 1;
	p->name[BPFTIME_NAME_LEN - 1] = p->hash[BPFTIME_NAME_LEN - 1] = 0;
	p->so_path[BPFTIME_PATH_LEN - 1] = p->fault_msg[BPFTIME_MSG_LEN - 1] = 0;
	STORE_REL(&p->state, BPFTIME_SLOT_READY);
	bpftime_tables_changed(seg);
	return i + 1;
}

BPFTIME_API struct bpftime_prog_entry *bpftime_prog_get(struct bpftime_seg *seg, uint32_t id)
{
	return slot_get(seg->shm->progs, BPFTIME_MAX_PROGS, sizeof(struct bpftime_prog_entry), id);
}

BPFTIME_API int bpftime_prog_remove(struct bpftime_seg *seg, uint32_t id)
{
	struct bpftime_prog_entry *p = bpftime_prog_get(seg, id);
	return slot_release(seg, p ? &p->state : NULL, p ? &p->enabled : NULL);
}

BPFTIME_API int bpftime_prog_set_enabled(struct bpftime_seg *seg, uint32_t id, int enabled)
{
	struct bpftime_prog_entry *p = bpftime_prog_get(seg, id);
	if (p == NULL)
		return -ENOENT;
	if (enabled)
		STORE_REL(&p->fault, BPFTIME_FAULT_NONE);
	STORE_REL(&p->enabled, enabled ? 1u : 0u);
	bpftime_tables_changed(seg);
	return 0;
}

BPFTIME_API int bpftime_prog_fault(struct bpftime_seg *seg, uint32_t id, enum bpftime_fault fault, uint32_t pc,
				   const char *msg)
{
	struct bpftime_prog_entry *p = bpftime_prog_get(seg, id);
	if (p == NULL)
		return -ENOENT;
	STORE_REL(&p->enabled, 0);
	uint32_t none = BPFTIME_FAULT_NONE;
	/* First fault wins: threads that faulted at the same time do not overwrite its record. */
	if (!__atomic_compare_exchange_n(&p->fault, &none, (uint32_t)fault, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return 0;
	p->fault_pc = pc;
	p->fault_pid = (uint32_t)getpid();
	p->fault_ns = now_ns(CLOCK_REALTIME);
	snprintf(p->fault_msg, sizeof(p->fault_msg), "%s", msg ? msg : "");
	bpftime_logf(seg, BPFTIME_LOG_ERROR, id, "program \"%.*s\" disabled: pc %u: %s", (int)BPFTIME_NAME_LEN,
		     p->name, pc, p->fault_msg);
	bpftime_tables_changed(seg);
	return 1;
}

/* ---- attachments ---- */

BPFTIME_API int bpftime_attach_add(struct bpftime_seg *seg, const struct bpftime_attach_entry *att, char *err,
				   size_t errlen)
{
	if (att->kind < BPFTIME_ATTACH_UPROBE || att->kind > BPFTIME_ATTACH_SYSCALL_EXIT)
		return seterr(err, errlen, EINVAL, "attachment kind %u is unknown", att->kind);
	if (bpftime_prog_get(seg, att->prog_id) == NULL)
		return seterr(err, errlen, ENOENT, "attachment of program %u: no such program", att->prog_id);
	int i = claim(seg->shm->attach, BPFTIME_MAX_ATTACH, sizeof(struct bpftime_attach_entry));
	if (i < 0)
		return seterr(err, errlen, ENOSPC, "the attachment table is full (%u attachments)", BPFTIME_MAX_ATTACH);
	struct bpftime_attach_entry *a = &seg->shm->attach[i];
	memcpy((uint8_t *)a + 4, (const uint8_t *)att + 4, sizeof(*a) - 4);
	a->id = (uint32_t)i + 1;
	a->target[BPFTIME_PATH_LEN - 1] = a->symbol[sizeof(a->symbol) - 1] = a->message[BPFTIME_MSG_LEN - 1] = 0;
	struct bpftime_shm_header *h = &seg->shm->hdr;
	for (uint32_t c = 0; c < h->ncpus; c++) {
		struct bpftime_attach_counters *k =
			(struct bpftime_attach_counters *)((uint8_t *)seg->base + h->counters_off) +
			(uint64_t)c * BPFTIME_MAX_ATTACH + i;
		STORE_RLX(&k->hits, 0);
		STORE_RLX(&k->missed, 0);
	}
	STORE_REL(&a->state, BPFTIME_SLOT_READY);
	bpftime_tables_changed(seg);
	return i + 1;
}

BPFTIME_API struct bpftime_attach_entry *bpftime_attach_get(struct bpftime_seg *seg, uint32_t id)
{
	return slot_get(seg->shm->attach, BPFTIME_MAX_ATTACH, sizeof(struct bpftime_attach_entry), id);
}

BPFTIME_API int bpftime_attach_remove(struct bpftime_seg *seg, uint32_t id)
{
	struct bpftime_attach_entry *a = bpftime_attach_get(seg, id);
	return slot_release(seg, a ? &a->state : NULL, a ? &a->enabled : NULL);
}

BPFTIME_API struct bpftime_attach_counters *bpftime_attach_counters(struct bpftime_seg *seg, uint32_t id)
{
	struct bpftime_shm_header *h = &seg->shm->hdr;
	uint32_t cpu = current_cpu(h->ncpus);
	return (struct bpftime_attach_counters *)(seg->base + h->counters_off) + (uint64_t)cpu * BPFTIME_MAX_ATTACH +
	       (id - 1);
}

BPFTIME_API void bpftime_attach_hit(struct bpftime_seg *seg, uint32_t id)
{
	__atomic_fetch_add(&bpftime_attach_counters(seg, id)->hits, 1, __ATOMIC_RELAXED);
}

BPFTIME_API void bpftime_attach_miss(struct bpftime_seg *seg, uint32_t id)
{
	__atomic_fetch_add(&bpftime_attach_counters(seg, id)->missed, 1, __ATOMIC_RELAXED);
}

BPFTIME_API void bpftime_attach_totals(struct bpftime_seg *seg, uint32_t id, struct bpftime_attach_counters *out)
{
	struct bpftime_shm_header *h = &seg->shm->hdr;
	struct bpftime_attach_counters *all = (struct bpftime_attach_counters *)(seg->base + h->counters_off);
	out->hits = out->missed = 0;
	if (id == 0 || id > BPFTIME_MAX_ATTACH)
		return;
	for (uint32_t c = 0; c < h->ncpus; c++) {
		out->hits += LOAD_RLX(&all[(uint64_t)c * BPFTIME_MAX_ATTACH + id - 1].hits);
		out->missed += LOAD_RLX(&all[(uint64_t)c * BPFTIME_MAX_ATTACH + id - 1].missed);
	}
}

/* ---- agents ---- */

BPFTIME_API int bpftime_agent_register(struct bpftime_seg *seg, enum bpftime_agent_mode mode, char *err,
				       size_t errlen)
{
	int i = claim(seg->shm->agents, BPFTIME_MAX_AGENTS, sizeof(struct bpftime_agent_entry));
	if (i < 0 && bpftime_agent_reap(seg) > 0)
		i = claim(seg->shm->agents, BPFTIME_MAX_AGENTS, sizeof(struct bpftime_agent_entry));
	if (i < 0)
		return seterr(err, errlen, ENOSPC, "the agent table is full (%u live processes)", BPFTIME_MAX_AGENTS);
	struct bpftime_agent_entry *a = &seg->shm->agents[i];
	uint32_t slot = a->slot;
	memset(a, 0, sizeof(*a));
	a->slot = slot;
	a->id = (uint32_t)i + 1;
	a->pid = (uint32_t)getpid();
	a->start_time = bpftime_proc_start_time(a->pid);
	a->registered_ns = now_ns(CLOCK_REALTIME);
	a->mode = mode;
	a->state = BPFTIME_AGENT_STARTING;
	FILE *f = fopen("/proc/self/comm", "re");
	if (f != NULL) {
		if (fgets(a->comm, sizeof(a->comm), f) != NULL)
			a->comm[strcspn(a->comm, "\n")] = 0;
		fclose(f);
	}
	STORE_REL(&a->slot, BPFTIME_SLOT_READY);
	return i + 1;
}

BPFTIME_API struct bpftime_agent_entry *bpftime_agent_get(struct bpftime_seg *seg, uint32_t id)
{
	return slot_get(seg->shm->agents, BPFTIME_MAX_AGENTS, sizeof(struct bpftime_agent_entry), id);
}

BPFTIME_API int bpftime_agent_set_state(struct bpftime_seg *seg, uint32_t id, enum bpftime_agent_state state,
					const char *msg)
{
	struct bpftime_agent_entry *a = bpftime_agent_get(seg, id);
	if (a == NULL)
		return -ENOENT;
	if (msg != NULL)
		snprintf(a->message, sizeof(a->message), "%s", msg);
	STORE_REL(&a->state, (uint32_t)state);
	return 0;
}

BPFTIME_API int bpftime_agent_reap(struct bpftime_seg *seg)
{
	int n = 0;
	for (uint32_t i = 0; i < BPFTIME_MAX_AGENTS; i++) {
		struct bpftime_agent_entry *a = &seg->shm->agents[i];
		if (LOAD_ACQ(&a->slot) != BPFTIME_SLOT_READY)
			continue;
		uint64_t start = bpftime_proc_start_time(a->pid);
		if (start != 0 && start == a->start_time)
			continue;
		uint32_t ready = BPFTIME_SLOT_READY;
		if (__atomic_compare_exchange_n(&a->slot, &ready, BPFTIME_SLOT_FREE, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			n++;
	}
	return n;
}

/* ---- log ring ---- */

BPFTIME_API int bpftime_log(struct bpftime_seg *seg, enum bpftime_log_kind kind, uint32_t prog_id, const char *text,
			    size_t len)
{
	struct bpftime_ringbuf *rb = &seg->shm->log;
	if (len > BPFTIME_LOG_MAX_TEXT)
		len = BPFTIME_LOG_MAX_TEXT;
	struct bpftime_log_rec *r = ringbuf_reserve(rb, sizeof(*r) + len, 0);
	if (r == NULL) {
		__atomic_fetch_add(&rb->lost, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	r->time_ns = now_ns(CLOCK_MONOTONIC);
	r->pid = (uint32_t)getpid();
	r->tid = bpftime_tid();
	r->kind = kind;
	r->prog_id = prog_id;
	memcpy(r + 1, text, len);
	bpftime_ringbuf_submit(r, 0);
	return 0;
}

BPFTIME_API int bpftime_logf(struct bpftime_seg *seg, enum bpftime_log_kind kind, uint32_t prog_id, const char *fmt,
			     ...)
{
	char buf[BPFTIME_LOG_MAX_TEXT + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return bpftime_log(seg, kind, prog_id, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

struct log_reader {
	bpftime_log_fn fn;
	void *ctx;
};

static int log_record(void *ctx, const void *data, uint32_t size)
{
	struct log_reader *r = ctx;
	const struct bpftime_log_rec *rec = data;
	if (size < sizeof(*rec))
		return 0;
	return r->fn(r->ctx, rec, (const char *)(rec + 1), size - (uint32_t)sizeof(*rec));
}

BPFTIME_API int bpftime_log_read(struct bpftime_seg *seg, bpftime_log_fn fn, void *ctx, uint32_t max)
{
	struct log_reader r = {fn, ctx};
	return ringbuf_consume(&seg->shm->log, log_record, &r, max);
}
