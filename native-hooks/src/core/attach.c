// The attach table: sites by address, their probe sets (read-copy-update) and the public attach/detach calls.
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hook_internal.h"

struct bpftime_site *_Atomic bpftime_sites;

/* Attach and detach are serialised: one patch at a time, and probe sets change under this lock. */
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct bpftime_probe_set empty_set;

/* A fork during an attach would leave the child's lock held forever: the fork waits for the attach instead. */
static void fork_prepare(void) { pthread_mutex_lock(&attach_lock); }
static void fork_release(void) { pthread_mutex_unlock(&attach_lock); }
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static void fork_handlers(void) { pthread_atfork(fork_prepare, fork_release, fork_release); }

struct bpftime_site *bpftime_site_find(uintptr_t addr)
{
	for (struct bpftime_site *s = atomic_load_explicit(&bpftime_sites, memory_order_acquire); s;
	     s = atomic_load_explicit(&s->next, memory_order_acquire))
		if (s->addr == addr)
			return s;
	return NULL;
}

/* set_with: a copy of `old` with `e` added to the entry or return list (`add`), or with the probe `e` removed. */
static struct bpftime_probe_set *set_with(const struct bpftime_probe_set *old, enum bpftime_probe_kind kind,
					  const struct bpftime_probe_entry *e, int add)
{
	uint32_t n = old->n_entry + old->n_ret;
	struct bpftime_probe_set *s = malloc(sizeof *s + (n + 1) * sizeof s->p[0]);
	if (!s)
		return NULL;
	s->n_entry = s->n_ret = 0;
	int removed = 0;
	for (int k = 0; k < 2; k++) { /* entries, then returns */
		uint32_t from = k ? old->n_entry : 0, to = k ? n : old->n_entry;
		uint32_t *count = k ? &s->n_ret : &s->n_entry;
		for (uint32_t i = from; i < to; i++) {
			if (!add && !removed && (int)kind == k && old->p[i].fn == e->fn && old->p[i].cookie == e->cookie) {
				removed = 1;
				continue;
			}
			s->p[s->n_entry + s->n_ret] = old->p[i];
			(*count)++;
		}
		if (add && (int)kind == k) {
			s->p[s->n_entry + s->n_ret] = *e;
			(*count)++;
		}
	}
	return s;
}

/* Replaced sets waiting for a grace period: attach does not wait (nothing of the caller's is freed), detach does. */
static struct retired {
	struct bpftime_probe_set *set;
	struct retired *next;
} *retired;

/* publish swaps the site's set; with `wait`, returns only when no thread can still read any replaced set. */
static void publish(struct bpftime_site *s, struct bpftime_probe_set *set, int wait)
{
	struct bpftime_probe_set *old = atomic_exchange_explicit(&s->probes, set, memory_order_acq_rel);
	struct retired *r = old != &empty_set ? malloc(sizeof *r) : NULL;
	if (r) {
		*r = (struct retired){old, retired};
		retired = r;
	} else if (old != &empty_set) {
		wait = 1; /* out of memory: free it now */
	}
	if (!wait)
		return;
	bpftime_synchronize();
	if (!r && old != &empty_set)
		free(old);
	while (retired) {
		struct retired *n = retired->next;
		free(retired->set);
		free(retired);
		retired = n;
	}
}

/* site_for: the site at addr (reused when its code is unchanged) or a new one with its trampoline. */
static struct bpftime_site *site_for(uintptr_t addr, unsigned flags, const struct bpftime_resolved *fn,
				     struct bpftime_hook_error *err)
{
	struct bpftime_site *s = bpftime_site_find(addr);
	if (s && s->patched && !bpftime_arch_is_patched(s))
		s = NULL; /* its code was unmapped while probed, and other code now lives there */
	/* an unpatched site is reused only as it is: same code, same kind of stub (else a new one is made; the old
	 * trampoline stays for threads still in it) */
	if (s && !s->patched &&
	    (!bpftime_arch_same_code(s) || ((s->flags ^ flags) & (BPFTIME_PROBE_ENTRY | BPFTIME_PROBE_NO_VECTOR))))
		s = NULL;
	if (s) {
		if ((flags & BPFTIME_PROBE_ENTRY) && !(s->flags & BPFTIME_PROBE_ENTRY)) {
			bpftime_set_error(err, -EBUSY, "%p is already probed as a non-entry address", (void *)addr);
			return NULL;
		}
		if (!(flags & BPFTIME_PROBE_NO_VECTOR) && (s->flags & BPFTIME_PROBE_NO_VECTOR)) {
			bpftime_set_error(err, -EBUSY, "%p is probed by callbacks that promised not to touch vector "
				     "registers (BPFTIME_PROBE_NO_VECTOR); this one did not", (void *)addr);
			return NULL;
		}
		return s;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		bpftime_set_error(err, -ENOMEM, "out of memory");
		return NULL;
	}
	s->addr = addr;
	s->flags = flags;
	atomic_init(&s->probes, (struct bpftime_probe_set *)&empty_set);
	if (bpftime_arch_prepare(s, fn ? fn->func : addr, fn ? fn->func_size : 0, err) != 0) {
		free(s);
		return NULL;
	}
	/* A stale site at the same address (its code was unmapped and replaced) stays listed but is never found
	 * first: the new one is prepended. */
	atomic_store_explicit(&s->next, atomic_load(&bpftime_sites), memory_order_relaxed);
	atomic_store_explicit(&bpftime_sites, s, memory_order_release);
	return s;
}

static struct bpftime_probe *attach_locked(uintptr_t addr, enum bpftime_probe_kind kind, bpftime_hook_fn fn,
					   void *cookie, unsigned flags, struct bpftime_hook_error *err)
{
	struct bpftime_resolved f;
	int have_fn = bpftime_function_at(addr, &f, NULL) == 0;
	if (have_fn && f.is_entry)
		flags |= BPFTIME_PROBE_ENTRY;
	if (!(flags & BPFTIME_PROBE_ENTRY))
		flags &= ~BPFTIME_PROBE_NO_VECTOR; /* inside a function everything is saved anyway */
	if (kind == BPFTIME_URETPROBE && !(flags & BPFTIME_PROBE_ENTRY)) {
		bpftime_set_error(err, -EINVAL, "uretprobe at %p: not a function entry (a return probe needs the "
			     "function's first instruction)", (void *)addr);
		return NULL;
	}
	if (bpftime_sync_init(err) != 0)
		return NULL;
	if (kind == BPFTIME_URETPROBE && bpftime_unwind_guard(err) != 0)
		return NULL;
	struct bpftime_site *s = site_for(addr, flags, have_fn ? &f : NULL, err);
	if (!s)
		return NULL;
	struct bpftime_probe *p = malloc(sizeof *p);
	struct bpftime_probe_set *set = p ? set_with(atomic_load(&s->probes), kind, &(struct bpftime_probe_entry){fn, cookie}, 1) : NULL;
	if (!set) {
		free(p);
		bpftime_set_error(err, -ENOMEM, "out of memory");
		return NULL;
	}
	*p = (struct bpftime_probe){s, kind, {fn, cookie}};
	publish(s, set, 0);
	if (!s->patched) {
		if (bpftime_arch_patch(s, err) != 0) {
			publish(s, (struct bpftime_probe_set *)&empty_set, 1);
			free(p);
			return NULL;
		}
		s->patched = 1;
	}
	return p;
}

struct bpftime_probe *bpftime_attach_internal(void *addr, bpftime_hook_fn fn, struct bpftime_hook_error *err)
{
	return attach_locked((uintptr_t)addr, BPFTIME_UPROBE, fn, NULL, BPFTIME_PROBE_ENTRY, err);
}

struct bpftime_probe *bpftime_probe_attach(void *addr, enum bpftime_probe_kind kind, bpftime_hook_fn fn, void *cookie,
					   unsigned flags, struct bpftime_hook_error *err)
{
	if (!addr || !fn || (kind != BPFTIME_UPROBE && kind != BPFTIME_URETPROBE) || (flags & ~(BPFTIME_PROBE_ENTRY | BPFTIME_PROBE_NO_VECTOR))) {
		bpftime_set_error(err, -EINVAL, "probe attach: bad argument (address, callback, kind or flags)");
		return NULL;
	}
	pthread_once(&fork_once, fork_handlers);
	pthread_mutex_lock(&attach_lock);
	struct bpftime_probe *p = attach_locked((uintptr_t)addr, kind, fn, cookie, flags, err);
	pthread_mutex_unlock(&attach_lock);
	return p;
}

int bpftime_probe_detach(struct bpftime_probe *p, struct bpftime_hook_error *err)
{
	if (!p)
		return bpftime_set_error(err, -EINVAL, "probe detach: NULL probe");
	pthread_mutex_lock(&attach_lock);
	struct bpftime_site *s = p->site;
	int rc = 0;
	struct bpftime_probe_set *set = set_with(atomic_load(&s->probes), p->kind, &p->entry, 0);
	if (!set) {
		pthread_mutex_unlock(&attach_lock);
		return bpftime_set_error(err, -ENOMEM, "out of memory");
	}
	if (set->n_entry + set->n_ret == 0) {
		free(set);
		set = (struct bpftime_probe_set *)&empty_set;
		if (s->patched) {
			rc = bpftime_arch_unpatch(s, err);
			s->patched = 0;
		}
	}
	publish(s, set, 1);
	pthread_mutex_unlock(&attach_lock);
	free(p);
	return rc;
}
