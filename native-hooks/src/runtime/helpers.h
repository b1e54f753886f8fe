/* The C helpers of the native runtime: one function per helper id (bpftime_helper_table in helpers.c). Each takes
 * the calling program's per-thread instance and r1..r5, and returns r0 as the TypeScript implementation in
 * src/helpers/kernel does; pointer arguments are guest addresses, checked with rt_guest_ptr. */
#ifndef BPFTIME_RUNTIME_HELPERS_H
#define BPFTIME_RUNTIME_HELPERS_H

#include "internal.h"

#define HELPER_ARGS                                                                                      \
	struct bpftime_exec *x __attribute__((unused)), uint64_t r1 __attribute__((unused)),             \
		uint64_t r2 __attribute__((unused)), uint64_t r3 __attribute__((unused)),                 \
		uint64_t r4 __attribute__((unused)), uint64_t r5 __attribute__((unused))
#define HELPER(name) HIDDEN uint64_t bpftime_h_##name(HELPER_ARGS)

/* Negated errno values helpers return, as u64. */
#define RET_ERR(e) ((uint64_t)(int64_t)-(e))

/* The helpers (by file). */
#define RUNTIME_HELPERS(X)                                                                                 \
	/* helpers-task.c */                                                                               \
	X(ktime_get_ns) X(ktime_get_boot_ns) X(ktime_get_coarse_ns) X(ktime_get_tai_ns) X(get_prandom_u32) \
	X(get_smp_processor_id) X(get_numa_node_id) X(get_current_pid_tgid) X(get_current_uid_gid)        \
	X(get_current_comm) X(override_return) X(get_func_ip) X(get_attach_cookie) X(get_func_arg)         \
	X(get_func_ret) X(get_func_arg_cnt)                                                                \
	/* helpers-probe.c */                                                                              \
	X(probe_read) X(probe_read_str) X(probe_read_user) X(probe_read_kernel) X(probe_read_user_str)     \
	X(probe_read_kernel_str)                                                                           \
	/* printk.c */                                                                                     \
	X(trace_printk) X(trace_vprintk) X(snprintf)                                                       \
	/* helpers-maps.c */                                                                               \
	X(map_lookup_elem) X(map_update_elem) X(map_delete_elem) X(map_lookup_percpu_elem)                \
	X(ringbuf_output) X(ringbuf_reserve) X(ringbuf_submit) X(ringbuf_discard) X(ringbuf_query)         \
	X(perf_event_output) X(tail_call)                                                                  \
	/* strings.c */                                                                                    \
	X(strtol) X(strtoul) X(strncmp) X(csum_diff)                                                       \
	/* helpers-control.c */                                                                            \
	X(loop) X(spin_lock) X(spin_unlock)

#define DECLARE_HELPER(name) HELPER(name);
RUNTIME_HELPERS(DECLARE_HELPER)
#undef DECLARE_HELPER

/* helpers-probe.c: a fault-safe read of `n` bytes at `src`, a guest address the program may read (its stack,
 * context, map storage) or else an address of the host process; 0 or -EFAULT. */
HIDDEN int rt_read_any(struct bpftime_exec *x, void *dst, uint64_t src, size_t n);
/* rt_read_any_str copies a NUL-terminated string of at most max-1 bytes; returns its length with the NUL (the
 * destination is NUL-terminated), or -EFAULT. */
HIDDEN long rt_read_any_str(struct bpftime_exec *x, char *dst, uint64_t src, size_t max);
/* The process id, kept across fork. */
HIDDEN int32_t rt_pid(void);

#endif
