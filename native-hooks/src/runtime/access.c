/* Access checks: the module's `bpf.refill` (an access missed its cached bounds) and the helpers' pointer arguments.
 * An access is valid inside the calling thread's stack, its context, one of its reserved ring buffer records, or a
 * registered region with the right permission; anything else traps with the message the TypeScript runtime gives
 * for the same access (src/memory/guest-memory.ts describeFault). */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

#define NULL_GUARD_END BPFTIME_SLOT_BASE

struct span {
	uint64_t start, end;
	const char *name;
	int writable;
	int lasting;   /* a registered region (the stack, context and records change from run to run) */
	int closed;    /* a map element's header and key: never accessible */
};

/* find returns the span holding addr (not necessarily addr + size), or 0. */
static int find(struct bpftime_exec *x, uint64_t addr, struct span *out)
{
	struct rt_thread *t = x->th;
	if (addr >= t->stack_lo && addr < t->stack_top) {
		*out = (struct span){ t->stack_lo, t->stack_top, "stack", 1, 0, 0 };
		return 1;
	}
	if (addr >= t->ctx_lo && addr < t->ctx_end) {
		*out = (struct span){ t->ctx_lo, t->ctx_end, "ctx", 1, 0, 0 };
		return 1;
	}
	for (uint32_t i = 0; i < t->nrecords; i++) {
		if (addr >= t->records[i].start && addr < t->records[i].end) {
			*out = (struct span){ t->records[i].start, t->records[i].end, "ringbuf record", 1, 0, 0 };
			return 1;
		}
	}
	const struct rt_regions *rs = atomic_load_explicit(&t->rt->regions, memory_order_acquire);
	uint32_t lo = 0, hi = rs->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (addr < rs->r[mid].start) hi = mid;
		else if (addr >= rs->r[mid].end) lo = mid + 1;
		else {
			const struct rt_region *r = &rs->r[mid];
			*out = (struct span){ r->start, r->end, r->name, (r->flags & BPFTIME_REGION_WRITE) != 0, 1, 0 };
			if (r->stride) {
				/* The element holding addr: its value part, or its header and key (closed). */
				uint64_t elem = addr - (addr - r->start) % r->stride;
				if (addr - elem >= r->open) out->start = elem + r->open, out->end = elem + r->stride;
				else out->start = elem, out->end = elem + r->open, out->closed = 1;
			}
			return 1;
		}
	}
	return 0;
}

static int fits(const struct span *s, uint64_t addr, uint64_t size, int write)
{
	return !s->closed && size <= s->end - addr && (!write || s->writable);
}

/* refill_slow searches the regions (and faults); out of line, so the fast checks of rt_refill save no registers. */
static __attribute__((noinline)) uint64_t refill_slow(struct bpftime_exec *x, uint64_t addr, uint32_t size, uint32_t write, uint32_t pc)
{
	struct span s;
	if (find(x, addr, &s) && fits(&s, addr, size, (int)write)) {
		if (s.lasting) x->hint_start = s.start, x->hint_end = s.end, x->hint_writable = s.writable;
		return (s.start << 32) | s.end;
	}
	RT_PC(x) = pc;
	rt_fault(x, addr, size, (int)write);
}

uint64_t rt_refill(struct bpftime_exec *x, uint64_t addr, uint32_t size, uint32_t write, uint32_t pc)
{
	const struct rt_thread *t = x->th;
	/* The stack first (accesses through a copy of r10, callee frames), then the context, then the registered
	 * region the previous miss found (a program's map values, run after run). */
	if (addr >= t->stack_lo && addr <= t->stack_top && size <= t->stack_top - addr) return ((uint64_t)t->stack_lo << 32) | t->stack_top;
	if (addr >= t->ctx_lo && addr <= t->ctx_end && size <= t->ctx_end - addr) return ((uint64_t)t->ctx_lo << 32) | t->ctx_end;
	if (addr >= x->hint_start && addr < x->hint_end && size <= x->hint_end - addr && (!write || x->hint_writable))
		return (x->hint_start << 32) | x->hint_end;
	return refill_slow(x, addr, size, write, pc);
}

/* nearest names the span closest to an unmapped address when it is within a page, as a hint (as the TypeScript
 * runtime's GuestMemory.nearest does). */
static void nearest(struct bpftime_exec *x, uint64_t addr, char *buf, size_t len)
{
	struct rt_thread *t = x->th;
	const struct rt_regions *rs = atomic_load_explicit(&t->rt->regions, memory_order_acquire);
	uint64_t best = 4096;
	buf[0] = 0;
	for (uint32_t i = 0; i < rs->n + 2; i++) {
		struct span s = i == 0 ? (struct span){ t->stack_lo, t->stack_top, "stack", 1, 0, 0 }
			: i == 1 ? (struct span){ t->ctx_lo, t->ctx_end, "ctx", 1, 0, 0 }
			: (struct span){ rs->r[i - 2].start, rs->r[i - 2].end, rs->r[i - 2].name, 0, 1, 0 };
		if (s.end == s.start) continue;
		if (addr < s.start && s.start - addr <= best) {
			best = s.start - addr;
			snprintf(buf, len, " (%llu bytes below region %s [0x%llx, 0x%llx))", (unsigned long long)best, s.name, (unsigned long long)s.start, (unsigned long long)s.end);
		} else if (addr >= s.end && addr - s.end < best) {
			best = addr - s.end;
			snprintf(buf, len, " (%llu bytes past the end of region %s [0x%llx, 0x%llx))", (unsigned long long)best, s.name, (unsigned long long)s.start, (unsigned long long)s.end);
		}
	}
}

/* describe writes the TypeScript runtime's explanation of a rejected access (GuestMemory.describeFault). The context
 * counts as a region up to the end of its page there (its capacity), so an access just past it is out of bounds. */
static void describe(struct bpftime_exec *x, uint64_t addr, uint64_t size, int write, char *buf, size_t len)
{
	char what[96], hint[128];
	rt_vec_spill(x->th);
	snprintf(what, sizeof(what), "%s of %llu byte%s at 0x%llx", write ? "write" : "read", (unsigned long long)size, size == 1 ? "" : "s", (unsigned long long)addr);
	struct span s;
	struct rt_thread *t = x->th;
	int found = find(x, addr, &s);
	if (!found && addr >= t->ctx_lo && addr < t->ctx_lo + BPFTIME_CTX_MAX) s = (struct span){ t->ctx_lo, t->ctx_end, "ctx", 1, 0, 0 }, found = 1;
	if (addr < NULL_GUARD_END) snprintf(buf, len, "null pointer dereference: %s", what);
	else if (!found) nearest(x, addr, hint, sizeof(hint)), snprintf(buf, len, "%s is outside every memory region%s", what, hint);
	else if (s.closed)
		snprintf(buf, len, "%s is in the header and key of an element of %s [0x%llx, 0x%llx)", what, s.name, (unsigned long long)s.start, (unsigned long long)s.end);
	else if (addr + size > s.end || addr + size < addr)
		snprintf(buf, len, "%s is out of bounds of region %s [0x%llx, 0x%llx)", what, s.name, (unsigned long long)s.start, (unsigned long long)s.end);
	else snprintf(buf, len, "%s writes read-only region %s [0x%llx, 0x%llx)", what, s.name, (unsigned long long)s.start, (unsigned long long)s.end);
}

void rt_fault(struct bpftime_exec *x, uint64_t addr, uint64_t size, int write)
{
	char msg[BPFTIME_ERR_LEN];
	describe(x, addr, size, write, msg, sizeof(msg));
	rt_abort_run(x, 0, RT_PC(x), msg);
}

uint64_t rt_guest_span_end(struct bpftime_exec *x, uint64_t addr)
{
	struct span s;
	return addr < BPFTIME_GUEST_SIZE && find(x, addr, &s) ? s.end : 0;
}

int rt_guest_readable(struct bpftime_exec *x, uint64_t addr, uint64_t size)
{
	struct span s;
	return addr < BPFTIME_GUEST_SIZE && find(x, addr, &s) && fits(&s, addr, size, 0);
}

void *rt_guest_ptr_slow(struct bpftime_exec *x, uint64_t addr, uint64_t size, int write)
{
	struct span s;
	if (addr < BPFTIME_GUEST_SIZE && find(x, addr, &s) && fits(&s, addr, size, write)) return x->th->rt->guest + addr;
	char msg[BPFTIME_ERR_LEN], what[BPFTIME_ERR_LEN - 32];
	describe(x, addr, size, write, what, sizeof(what));
	snprintf(msg, sizeof(msg), "helper argument: %s", what);
	rt_abort_run(x, BPFTIME_TRAP_HELPER, RT_PC(x), msg);
}

void rt_helper_fault(struct bpftime_exec *x, const char *fmt, ...)
{
	char msg[BPFTIME_ERR_LEN];
	va_list ap;
	rt_vec_spill(x->th);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_abort_run(x, BPFTIME_TRAP_HELPER, RT_PC(x), msg);
}
