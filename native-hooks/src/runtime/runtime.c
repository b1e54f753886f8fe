/* The runtime object: creation (guest reservation, options), the region table that refills check, and logging. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

int rt_thread_key_create(struct bpftime_runtime *rt);
void rt_thread_atfork_child(void);

static struct bpftime_runtime *_Atomic the_runtime;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static pthread_once_t verified_once = PTHREAD_ONCE_INIT;

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, rt_thread_atfork_child);
}

void rt_default_log(void *arg, enum bpftime_log_kind level, const char *line)
{
	(void)arg;
	fprintf(stderr, "bpftime: %s: %s\n", level == BPFTIME_LOG_ERROR ? "error" : level == BPFTIME_LOG_WARN ? "warning" : "info", line);
}

void rt_default_printk(void *arg, const struct bpftime_prog *prog, const char *line, size_t len)
{
	(void)arg;
	fprintf(stderr, "bpftime: %s: %.*s\n", bpftime_prog_name(prog), (int)len, line);
}

void rt_log(struct bpftime_runtime *rt, enum bpftime_log_kind level, const char *fmt, ...)
{
	char line[2 * BPFTIME_ERR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rt->opts.log(rt->opts.log_arg, level, line);
}

struct bpftime_runtime *bpftime_runtime_create(const struct bpftime_runtime_opts *opts, char err[BPFTIME_ERR_LEN])
{
	struct bpftime_runtime *none = NULL;
	struct bpftime_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt) {
		snprintf(err, BPFTIME_ERR_LEN, "create the runtime: out of memory");
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&the_runtime, &none, rt)) {
		snprintf(err, BPFTIME_ERR_LEN, "create the runtime: this process already has one");
		free(rt);
		return NULL;
	}
	if (opts) rt->opts = *opts;
	rt->custom_log = rt->opts.log != NULL;
	rt->custom_printk = rt->opts.printk != NULL;
	if (!rt->opts.log) rt->opts.log = rt_default_log;
	if (!rt->opts.printk) rt->opts.printk = rt_default_printk;
	if (rt->opts.maps) rt->maps = *rt->opts.maps;
	pthread_mutex_init(&rt->lock, NULL);
	pthread_once(&atfork_once, register_atfork);
	pthread_once(&verified_once, rt_helpers_verified_init);
	void *slots = mmap(NULL, BPFTIME_MAX_THREADS * sizeof(uint32_t), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct rt_regions *empty = calloc(1, sizeof(*empty) + sizeof(void *)); /* room for the retired-list link */
	int e = 0;
	if (slots == MAP_FAILED || !empty) snprintf(err, BPFTIME_ERR_LEN, "create the runtime: out of memory");
	else if ((e = rt_thread_key_create(rt)) != 0) snprintf(err, BPFTIME_ERR_LEN, "create the runtime: pthread_key_create: %s", strerror(-e));
	else if (rt_memory_reserve(rt, err) == 0) {
		rt->free_slots = slots;
		atomic_store(&rt->regions, empty);
		return rt;
	}
	if (e == 0 && slots != MAP_FAILED && empty) pthread_key_delete(rt->key);
	if (slots != MAP_FAILED) munmap(slots, BPFTIME_MAX_THREADS * sizeof(uint32_t));
	free(empty);
	atomic_store(&the_runtime, NULL);
	free(rt);
	return NULL;
}

void bpftime_runtime_destroy(struct bpftime_runtime *rt)
{
	if (!rt) return;
	rt_thread_detach_all(rt);
	for (uint32_t i = 0; i < BPFTIME_RT_MAX_PROGS; i++)
		if (rt->progs[i]) bpftime_prog_unload(rt->progs[i]);
	pthread_key_delete(rt->key);
	rt_prog_arrays_free(rt);
	rt_memory_release(rt);
	munmap(rt->free_slots, BPFTIME_MAX_THREADS * sizeof(uint32_t));
	free(atomic_load(&rt->regions));
	for (struct rt_regions *r = rt->retired; r;) {
		struct rt_regions *next = *(struct rt_regions **)&r->r[r->n];
		free(r);
		r = next;
	}
	pthread_mutex_destroy(&rt->lock);
	atomic_store(&the_runtime, NULL);
	free(rt);
}

int bpftime_runtime_add_region(struct bpftime_runtime *rt, uint64_t guest, uint64_t len, unsigned flags, const char *name)
{
	return rt_region_add(rt, guest, len, flags, name, 0, 0);
}

int rt_region_add(struct bpftime_runtime *rt, uint64_t guest, uint64_t len, unsigned flags, const char *name, uint32_t stride, uint32_t open)
{
	if (stride && (open >= stride || len % stride != 0)) return -EINVAL;
	if (len == 0 || guest < BPFTIME_SEG_GUEST_BASE || guest + len > BPFTIME_SEG_GUEST_BASE + rt->segment_size || guest + len < guest) return -EINVAL;
	pthread_mutex_lock(&rt->lock);
	struct rt_regions *old = atomic_load(&rt->regions);
	for (uint32_t i = 0; i < old->n; i++) {
		if (guest < old->r[i].end && old->r[i].start < guest + len) {
			pthread_mutex_unlock(&rt->lock);
			return -EEXIST;
		}
	}
	/* One more entry, plus room after the entries for the retired-list link. */
	struct rt_regions *nw = malloc(sizeof(*nw) + (old->n + 1) * sizeof(struct rt_region) + sizeof(void *));
	if (!nw) {
		pthread_mutex_unlock(&rt->lock);
		return -ENOMEM;
	}
	uint32_t k = 0, i = 0;
	for (; i < old->n && old->r[i].start < guest; i++) nw->r[k++] = old->r[i];
	struct rt_region *r = &nw->r[k++];
	r->start = guest;
	r->end = guest + len;
	r->flags = flags;
	r->stride = stride;
	r->open = open;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "region");
	for (; i < old->n; i++) nw->r[k++] = old->r[i];
	nw->n = k;
	atomic_store_explicit(&rt->regions, nw, memory_order_release);
	/* Runs may still be reading the old table: it is freed with the runtime. Its link lives past its entries. */
	*(struct rt_regions **)&old->r[old->n] = rt->retired;
	rt->retired = old;
	pthread_mutex_unlock(&rt->lock);
	return 0;
}

/* rt_regions_clear forgets every region (the segment is gone). */
void rt_regions_clear(struct bpftime_runtime *rt)
{
	struct rt_regions *empty = calloc(1, sizeof(*empty) + sizeof(void *));
	if (!empty) return;
	pthread_mutex_lock(&rt->lock);
	struct rt_regions *old = atomic_exchange(&rt->regions, empty);
	for (struct rt_thread *t = rt->threads; t; t = t->next)
		for (uint32_t i = 0; i < BPFTIME_RT_MAX_PROGS; i++)
			if (t->execs[i]) t->execs[i]->hint_start = t->execs[i]->hint_end = 0;
	*(struct rt_regions **)&old->r[old->n] = rt->retired;
	rt->retired = old;
	pthread_mutex_unlock(&rt->lock);
}
