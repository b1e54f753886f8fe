// A probe on libc's malloc (resolved as libc.so.6:malloc): sizes in pt_regs, the returned pointer in the return
// probe, a callback that itself allocates (re-entrancy), and the original bytes after detach. Built without ASan,
// which replaces malloc.
#include <errno.h>
#include <stdlib.h>

#include "common.h"

static _Atomic long sized, returned;
static int pending;
static uintptr_t ret_ptr;
static void *volatile scratch;

static int on_malloc(void *c, struct bpftime_pt_regs *r)
{
	(void)c;
	if (r->rdi == 12345) {
		sized++;
		pending = 1;
		scratch = malloc(64); /* the callback's own malloc must not run the probe again */
		free(scratch);
	}
	return 0;
}

static int on_malloc_ret(void *c, struct bpftime_pt_regs *r)
{
	(void)c;
	if (pending) {
		pending = 0;
		returned++;
		ret_ptr = r->rax;
	}
	return 0;
}

static void malloc_probe(void)
{
	struct bpftime_resolved res;
	struct bpftime_hook_error err = {0};
	CHECK(bpftime_resolve("libc.so.6", "malloc", &res, &err) == 0, "%s", err.msg);
	struct snap s = snapshot((void *)res.addr);
	struct bpftime_hook_stats before, after;
	bpftime_hook_get_stats(&before);
	struct bpftime_probe *e = bpftime_probe_attach((void *)res.addr, BPFTIME_UPROBE, on_malloc, NULL, 0, &err);
	CHECK(e, "attach malloc: %s", err.msg);
	struct bpftime_probe *r = bpftime_probe_attach((void *)res.addr, BPFTIME_URETPROBE, on_malloc_ret, NULL, 0, &err);
	CHECK(r, "attach malloc return: %s", err.msg);
	int same = 0;
	for (int i = 0; i < 1000; i++) {
		void *p = malloc(12345);
		same += ret_ptr == (uintptr_t)p;
		CHECK(p != NULL, "malloc failed");
		memset(p, 1, 12345);
		free(p);
	}
	bpftime_hook_get_stats(&after);
	CHECK(sized == 1000, "entry probe saw %ld mallocs of 12345 bytes", (long)sized);
	CHECK(returned == 1000 && same == 1000, "return probe saw %ld returns, %d with the right pointer",
	      (long)returned, same);
	CHECK(after.missed_reentrant - before.missed_reentrant >= 1000, "re-entrant mallocs not skipped: %lu",
	      (unsigned long)(after.missed_reentrant - before.missed_reentrant));
	if (e)
		CHECK(bpftime_probe_detach(e, &err) == 0, "%s", err.msg);
	if (r)
		CHECK(bpftime_probe_detach(r, &err) == 0, "%s", err.msg);
	CHECK(same_bytes((void *)res.addr, &s), "malloc's bytes not restored");
	free(malloc(12345));
	CHECK(sized == 1000, "probe active after detach");
}

int main(void)
{
	RUN(malloc_probe);
	return DONE();
}
