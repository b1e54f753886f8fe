/* internal.h: what the syscall component's files share (not part of the public API). */
#ifndef BPFTIME_SYSCALL_INTERNAL_H
#define BPFTIME_SYSCALL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "bpftime_syscall.h"
#include "frame.h"

#ifndef SYSCALL_DISPATCH_FILTER_ALLOW
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif

#define ZP_HIDDEN __attribute__((visibility("hidden")))
/* ZP_FRAME_CODE marks code that reads and writes the entry's frames: they live on the traced thread's stack below
 * the stack pointer its code had (and, for a new thread, at the top of a stack AddressSanitizer may still hold
 * poisoned from an earlier thread), where AddressSanitizer's stack bookkeeping does not apply. */
#define ZP_FRAME_CODE __attribute__((no_sanitize("address")))

struct zp_siteset;

/* ZP_HOT places the code every hooked syscall runs (the entry, the dispatch's fast path, the raw syscall) in one
 * section the linker keeps together (`.text.hot.*`), aligned to a page: on a CPU without PCID, kernel page-table
 * isolation flushes the TLB at every syscall, and each distinct page the hook touches costs a page walk. */
#define ZP_HOT __attribute__((section(".text.hot.bpftime_zp")))
#define ZP_COLD __attribute__((noinline, cold))

/* zp_state is the process-wide configuration the dispatch reads on every syscall (one cache line, one page). */
struct zp_state {
	struct zp_siteset *volatile sites; /* the rewritten sites (below) */
	bpftime_syscall_enter_fn enter;
	bpftime_syscall_exit_fn exit;
	void *data;
	volatile int mode;   /* enum bpftime_syscall_mode */
	volatile int active; /* callbacks are called (0 after uninstall) */
	uintptr_t self_lo, self_hi; /* the executable mapping holding this code (SUD's allowed region) */
};
extern struct zp_state zp ZP_HIDDEN;

/* zp_thread is the per-thread state the hot path touches: kept tiny because it is initial-exec TLS, which a
 * dlopen'ed agent takes from glibc's small static TLS reserve. */
struct zp_thread {
	int guard;
	volatile int8_t selector; /* Syscall User Dispatch's switch for this thread */
	uintptr_t last_site;      /* the last site this thread entered from, known good (skips the site set) */
	int tid;                  /* cached gettid() for the records' common_pid (0: not yet) */
};
extern __thread struct zp_thread zp_tls __attribute__((tls_model("initial-exec"))) ZP_HIDDEN;

/* zp_hold / zp_release: the guard around agent code (callbacks). */
void zp_hold(struct zp_thread *t) ZP_HIDDEN;
void zp_release(struct zp_thread *t) ZP_HIDDEN;

/* zp_page_map maps the trampoline page at address 0 that jumps to target; zp_page_build writes its 4096 bytes
 * (the stubs at ZP_STUB1 and ZP_STUB2, which every entry point below ZP_STUB2 reaches). */
int zp_page_map(void (*target)(void), char *msg, size_t len) ZP_HIDDEN;
void zp_page_build(uint8_t *p, uint64_t target) ZP_HIDDEN;
#define ZP_STUB1 0x260
#define ZP_STUB2 0xfe0

/* zp_rewrite_all rewrites the syscall instructions of the executable file mappings; zp_rewrite_mapped those of a
 * region just mapped from fd at offset (dlopen); zp_restore_all puts the original bytes back. */
int zp_rewrite_all(char *msg, size_t len) ZP_HIDDEN;
void zp_rewrite_mapped(uintptr_t addr, size_t len, int fd, uint64_t offset, int prot) ZP_HIDDEN;
void zp_forget_range(uintptr_t addr, size_t len) ZP_HIDDEN;
int zp_restore_all(char *msg, size_t len) ZP_HIDDEN;
extern struct bpftime_syscall_stats zp_stats ZP_HIDDEN;

/* zp_siteset is the set of rewritten sites (open addressing), so the entry can tell a rewritten syscall from a call
 * through a null function pointer that happens to be `call *%rax`. Readers take no lock: a new table is published
 * whole, and old ones are never freed (a thread may still be reading one). */
struct zp_siteset {
	uintptr_t *slot;
	uint64_t mask;
	struct zp_siteset *older; /* kept reachable, never freed */
};

static inline uint64_t zp_site_hash(uintptr_t a)
{
	return (a * 0x9e3779b97f4a7c15ULL) >> 20;
}

/* zp_site_known tells whether a syscall instruction at `site` was rewritten by us. */
static inline int zp_site_known(uintptr_t site)
{
	const struct zp_siteset *s = zp.sites;
	if (!s)
		return 0;
	for (uint64_t i = zp_site_hash(site);; i++) {
		uintptr_t v = s->slot[i & s->mask];
		if (v == site)
			return 1;
		if (!v)
			return 0;
	}
}

/* zp_exec_sections lists the executable sections of the ELF file open as fd that fall in the file range
 * [off, off+len): calls fn(start, size) with offsets into that range. Returns the number of sections, or -1 when the
 * file has no usable section headers. */
int zp_exec_sections(int fd, uint64_t off, uint64_t len, void (*fn)(void *, uint64_t, uint64_t), void *arg) ZP_HIDDEN;

/* zp_func_starts reads the file offsets where the functions of the ELF file open as fd begin (its .eh_frame_hdr
 * table), sorted; *out is malloc'ed. -1 when the file has no usable table. */
int zp_func_starts(int fd, uint64_t **out, size_t *n) ZP_HIDDEN;

/* zp_sud_install installs the Syscall User Dispatch fallback; zp_sud_thread_start arms it in a new thread. */
int zp_sud_install(char *msg, size_t len) ZP_HIDDEN;
void zp_sud_thread_start(void) ZP_HIDDEN;
int zp_sud_uninstall(void) ZP_HIDDEN;
/* zp_sud_filter keeps SIGSYS usable under Syscall User Dispatch: a program blocking it, or installing its own
 * handler, gets the effect it asked for without disabling the hook. Returns 1 when it made the syscall (*ret). */
int zp_sud_filter(long nr, const long *args, long *ret) ZP_HIDDEN;

/* zp_tid_reset forgets the cached thread id (a new process or thread runs on a copy of this thread's TLS). */
static inline void zp_tid_reset(void)
{
	zp_tls.tid = 0;
}

/* zp_self_region finds the executable mapping holding this code. */
int zp_self_region(uintptr_t *lo, uintptr_t *hi) ZP_HIDDEN;

/* zp_raw6 makes a raw syscall with the six argument registers of args. */
static inline long zp_raw6(long nr, const long *a)
{
	return bpftime_syscall_raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* zp_msg formats into (msg, len) and returns err. */
int zp_msg(char *msg, size_t len, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5))) ZP_HIDDEN;

/* The entry points of zpoline_entry.S. */
void bpftime_zp_entry(void) ZP_HIDDEN;
void bpftime_zp_restorer(void) ZP_HIDDEN;
int bpftime_zp_dispatch(struct zp_frame *f) ZP_HIDDEN;
void bpftime_zp_after(struct zp_frame *f) ZP_HIDDEN;
void bpftime_zp_after_vfork(struct zp_frame *f) ZP_HIDDEN;

#endif
