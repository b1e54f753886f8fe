/*
 * bpftime_hook.h: inline uprobes and uretprobes inside the calling process (x86-64 Linux).
 *
 * The hook component of the native layer (docs/native.md, section "hook"). It resolves functions from ELF symbols,
 * patches a function's entry (or an offset in it) with a jump to a trampoline, saves the registers into a
 * struct bpftime_pt_regs laid out as the kernel's x86-64 struct pt_regs, and calls the probes attached there.
 *
 * Contract, in short:
 * - Every call that can fail returns a negative errno (or NULL) and, when `err` is not NULL, fills it with that
 *   errno and a lowercase message naming where and why ("/usr/lib/x86_64-linux-gnu/libc.so.6: no function symbol
 *   'mallocx'", "function too short: it ends with 'ret ' at +2, before the 5 bytes the jump needs").
 * - Attach and detach may be called from any thread while other threads run the patched code; they are serialised
 *   among themselves. When bpftime_probe_detach returns, no callback of that probe runs and none will start, so
 *   the caller may free the cookie.
 * - A probe's callback never runs re-entrantly on one thread: while a thread is inside any callback, probes hit by
 *   that thread (its callback calling a probed function, a signal handler) are skipped and counted as missed.
 * - Callbacks run on the target's thread and stack, may interrupt any code of the target (as a kernel uprobe
 *   would: keep them async-signal-tolerant), must not unwind (longjmp, exceptions) out of the callback, nor attach
 *   or detach probes.
 * - The component installs a SIGTRAP handler (chaining to the program's) and claims one real-time signal the
 *   program leaves at SIG_DFL for live patching, and puts probes of its own on the C++/pthread unwinder entry points
 *   when return probes are used (docs/native.md, "hook": safety).
 */
#ifndef BPFTIME_HOOK_H
#define BPFTIME_HOOK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * bpftime_pt_regs: the registers at a probe, laid out exactly as the kernel's x86-64 `struct pt_regs` (168 bytes),
 * so an eBPF program's PT_REGS_PARM1(ctx) etc. read the same offsets as under the kernel. At a uprobe, `rip` is the
 * probed address, `rsp` the stack pointer there and `orig_rax` is -1; at a uretprobe, `rip` is the address the
 * function returns to and `rsp` the stack pointer after the return, `rax` (and `rdx`) the return value.
 * `cs` and `ss` hold the user selectors (0x33, 0x2b); `eflags` is the real value inside a function and 0x202 at an
 * entry or return (where the status flags are dead). Writes by a callback to rax, rbx, rcx, rdx, rsi, rdi, rbp and
 * r8-r11 are applied when the probed code resumes; writes to r12-r15, rip, rsp, eflags, cs and ss are ignored.
 */
struct bpftime_pt_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax;
	uint64_t rip, cs, eflags, rsp, ss;
};

/** BPFTIME_HOOK_CONTINUE: an entry callback's return value asking to run the function normally. */
#define BPFTIME_HOOK_CONTINUE 0
/**
 * BPFTIME_HOOK_OVERRIDE: an entry callback's return value asking to skip the function and return regs->rax to its
 * caller (bpf_override_return: error injection). Honoured only at a function's entry (BPFTIME_PROBE_ENTRY); return
 * probes of the function still run and see the overridden rax.
 */
#define BPFTIME_HOOK_OVERRIDE 1

/** bpftime_hook_fn: a probe callback. Return callbacks' return values are ignored. */
typedef int (*bpftime_hook_fn)(void *cookie, struct bpftime_pt_regs *regs);

/** bpftime_hook_error: the errno (negative) and message of the last failed call that was given this struct. */
struct bpftime_hook_error {
	int code;
	char msg[256];
};

/* ---- symbol resolution (src/elf) ---- */

/**
 * bpftime_resolved: where a probe spec points in this process. `addr` is the runtime address; `func` and
 * `func_size` the enclosing function symbol (start address and st_size; func_size 0 when unknown); `path` the mapped
 * file; `is_entry` is 1 when addr is the function's first byte.
 */
struct bpftime_resolved {
	uintptr_t addr;
	uintptr_t func;
	uint64_t func_size;
	int is_entry;
	char path[4096];
};

/**
 * bpftime_resolve: resolve `func` in `binary` to an address in the calling process.
 *  - binary: a path (compared with the paths in /proc/self/maps after realpath) or a basename such as "libc.so.6"
 *    (must match exactly one mapped file); NULL or "" means the main executable.
 *  - func: "NAME", "NAME+OFF" (OFF decimal or 0x-hex, inside the symbol's size when known), "NAME@VERSION" /
 *    "NAME@@VERSION" for versioned .dynsym names, or a raw number "0x1234": a file offset in `binary`, as the
 *    kernel's uprobe offsets and libbpf's func_offset are.
 * Symbols are searched in .symtab, then .dynsym (STT_FUNC and STT_GNU_IFUNC; an ifunc resolves to the
 * implementation the dynamic linker chose). Errors: -ENOENT no such symbol, -ESRCH binary not mapped in this
 * process, -ENOTUNIQ ambiguous basename or symbol, -ERANGE offset beyond the function, -ENOEXEC not an x86-64 ELF,
 * -EINVAL malformed spec.
 */
int bpftime_resolve(const char *binary, const char *func, struct bpftime_resolved *out,
		    struct bpftime_hook_error *err);

/**
 * bpftime_resolve_spec: resolve a libbpf-style attach spec "BINARY:FUNC[+OFF]" or "BINARY:0xOFFSET" (the part after
 * "uprobe/" or "uretprobe/" in a section name) with bpftime_resolve.
 */
int bpftime_resolve_spec(const char *spec, struct bpftime_resolved *out, struct bpftime_hook_error *err);

/**
 * bpftime_function_at: find the function symbol containing `addr` in the calling process (start, size, file);
 * -ENOENT when no symbol covers it, -ESRCH when the address is not in a file mapping.
 */
int bpftime_function_at(uintptr_t addr, struct bpftime_resolved *out, struct bpftime_hook_error *err);

/* ---- probes (src/core, src/arch) ---- */

/** bpftime_probe_kind: an entry probe (uprobe) or a return probe (uretprobe, function entries only). */
enum bpftime_probe_kind {
	BPFTIME_UPROBE = 0,
	BPFTIME_URETPROBE = 1,
};

/**
 * BPFTIME_PROBE_ENTRY: the address is a function's first instruction, so the state no caller can rely on across a
 * call (the flags, the red zone) need not be preserved, and the AVX/AVX-512 extended state is not saved (see
 * docs/native.md: a callback must not leave ymm/zmm upper halves, zmm16-31 or mask registers changed): a much faster
 * trampoline, and the only kind that allows BPFTIME_HOOK_OVERRIDE and return probes. bpftime_probe_attach sets it by
 * itself when the address is the start of a function symbol. All general-purpose and xmm0-15 registers are kept.
 */
#define BPFTIME_PROBE_ENTRY 1u

/**
 * BPFTIME_PROBE_NO_VECTOR: the callback promises to touch no vector or x87 register (built with
 * -mgeneral-regs-only and calling nothing that uses them, glibc's string functions included): the trampolines then
 * skip saving xmm0-15, which is about half of a probe's cost. All probes at an address must agree: a site patched
 * for such callbacks refuses others (-EBUSY) until its last probe is detached. Ignored inside a function, where the
 * whole extended state is always saved.
 */
#define BPFTIME_PROBE_NO_VECTOR 2u

/** bpftime_probe: an attached probe (opaque). */
struct bpftime_probe;

/**
 * bpftime_probe_attach: attach `fn(cookie, regs)` at `addr` (see bpftime_resolve). Several probes may share an
 * address; entry and return probes of one function share one patch. The first probe at an address patches it:
 * the instructions covering its first 5 bytes are relocated into a trampoline within +-2 GiB (RIP-relative operands
 * and relative branches rewritten) and replaced by a jump. Refused with a clear error: fewer than 5 bytes before
 * the function ends (-EINVAL "function too short"), a branch elsewhere in the function into bytes 1-4 (-EINVAL),
 * an instruction that cannot be relocated (-ENOTSUP), no free memory within +-2 GiB (-ENOMEM), a return probe or
 * override at a non-entry address (-EINVAL), a page that cannot be made writable (-EACCES).
 */
struct bpftime_probe *bpftime_probe_attach(void *addr, enum bpftime_probe_kind kind, bpftime_hook_fn fn, void *cookie,
					   unsigned flags, struct bpftime_hook_error *err);

/**
 * bpftime_probe_detach: remove a probe and free its handle. The last probe at an address restores the original
 * bytes exactly. Returns 0, or a negative errno when the site could not be restored (its mapping is gone); the
 * handle is freed in both cases.
 */
int bpftime_probe_detach(struct bpftime_probe *probe, struct bpftime_hook_error *err);

/**
 * bpftime_hook_stats: process-wide counters of probe hits that did not run callbacks.
 *  - missed_reentrant: a probe hit while the thread was already inside a callback.
 *  - missed_shadow_full: a function entered with return probes while the thread's shadow stack was full (its
 *    return probes do not run for that call).
 *  - stale_shadow: shadow stack entries dropped because their frame was unwound without returning (longjmp, a C++
 *    exception, pthread_exit, a signal handler that did not return): those return probes never ran.
 */
struct bpftime_hook_stats {
	uint64_t missed_reentrant;
	uint64_t missed_shadow_full;
	uint64_t stale_shadow;
};

/**
 * bpftime_hook_thread_pause: from now on, probes hit by the calling thread run no callback (an agent's control
 * thread, or a stretch of code that must not be observed); return probes of calls entered before still run.
 * Returns a token for bpftime_hook_thread_resume: 1 if this call paused the thread, 0 if it already was (nested
 * pauses resume only at the outermost). Async-signal-safe.
 */
int bpftime_hook_thread_pause(void);
/** bpftime_hook_thread_resume: undo the bpftime_hook_thread_pause that returned `token`. */
void bpftime_hook_thread_resume(int token);

/** bpftime_hook_get_stats: read the counters above. */
void bpftime_hook_get_stats(struct bpftime_hook_stats *out);

#ifdef __cplusplus
}
#endif

#endif
