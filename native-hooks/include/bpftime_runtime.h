/* The native runtime: runs compiled eBPF programs (bpftime_prog_abi.h) inside a process (docs/native.md, "runtime").
 *
 * Memory. Programs see 32-bit guest addresses in one linear memory: a 4 GiB reservation per process (PROT_NONE but
 * for what is mapped). Each thread that runs programs gets a slot at BPFTIME_SLOT_BASE + n * BPFTIME_SLOT_SIZE with
 * its stack (8 frames of 512 bytes) and its context copy; the session's shm segment is mapped at
 * BPFTIME_SEG_GUEST_BASE with MAP_SHARED | MAP_FIXED, so a map value's guest address is the same number in every
 * process. Every access a program makes is checked by the module (cached bounds) or by the runtime's refill against
 * the thread's stack and context and the registered regions (map storage), and a bad one traps.
 *
 * Threads. One runtime per process. Any number of threads run programs concurrently: each has its own wasm2c
 * instance of each program it runs (the module's mutable globals: budget, pc, ctl, ret_hi), its own slot, and one
 * thread-local pointer; nothing mutable is shared through an instance. A thread runs one program at a time: a run
 * started while another runs on the same thread (a probe hit inside a helper, a signal handler) returns
 * -EBUSY and counts as missed, as the kernel's bpf_prog_active does.
 *
 * Traps. A bad access, an exhausted budget, a call too deep or any other trap ends the run (longjmp out of the
 * program), disables the program (state, reason, pc: bpftime_prog_status; and in the segment's program table with
 * bpftime_prog_opts.seg_prog_id), logs it once, and the caller goes on; later runs return -ENOEXEC without running.
 * No signal handler is installed, and wasm2c's runtime (wasm-rt-impl.c, which would install one) is not used.
 *
 * Public functions return 0 or a negative errno; those that create something return NULL and fill `err`
 * (BPFTIME_ERR_LEN bytes, "what: why"). */
#ifndef BPFTIME_RUNTIME_H
#define BPFTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "bpftime_shm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Guest layout (docs/native.md); the segment lies at BPFTIME_SEG_GUEST_BASE (bpftime_shm.h), up to
 * BPFTIME_SEG_MAX_SIZE. */
#define BPFTIME_GUEST_SIZE 0x100000000ull      /* the reservation: 4 GiB */
#define BPFTIME_SLOT_BASE 0x10000ull           /* below: the null guard */
#define BPFTIME_SLOT_SIZE 0x4000ull            /* guard page, stack page, context page, guard page */
#define BPFTIME_STACK_SIZE 4096u               /* 8 frames of 512 bytes */
#define BPFTIME_CTX_MAX 4096u                  /* largest context a run may pass */
#define BPFTIME_MAX_THREADS ((BPFTIME_SEG_GUEST_BASE - BPFTIME_SLOT_BASE) / BPFTIME_SLOT_SIZE)
#define BPFTIME_RT_MAX_PROGS 4096u              /* programs loaded at once in one process */

#define BPFTIME_ERR_LEN 256
#define BPFTIME_DEFAULT_BUDGET 1000000ull       /* instructions per run, unless a program says otherwise */

struct bpftime_runtime;
struct bpftime_prog;

/* bpftime_rt_log_fn receives runtime messages (a program disabled by a trap, ...): one line, no newline, with a
 * level of the segment's log ring (BPFTIME_LOG_INFO, _WARN, _ERROR). */
typedef void (*bpftime_rt_log_fn)(void *arg, enum bpftime_log_kind level, const char *line);
/* bpftime_printk_fn receives one bpf_trace_printk line of `prog` (without the trailing newline). */
typedef void (*bpftime_printk_fn)(void *arg, const struct bpftime_prog *prog, const char *line, size_t len);

/* Map helpers: how the runtime reaches the session's maps (bpftime_runtime_use_segment sets these to the shm map
 * API; an embedder may give its own). `resolve` turns the handle a program holds (bpftime_prog_map.handle) into the
 * map object the other operations take, with its key and value sizes (value 0 for maps without values); the runtime
 * caches the answer for handles 1..BPFTIME_MAX_MAPS, so such a handle must name the same map while programs using
 * it are loaded. Pointers are host pointers. Each returns like the kernel helper (0, -ENOENT, -EEXIST, ...). */
struct bpftime_map_ops {
	void *(*resolve)(void *arg, uint64_t handle, uint32_t *key_size, uint32_t *value_size);
	void *(*lookup)(void *map, const void *key);
	void *(*lookup_percpu)(void *map, const void *key, uint32_t cpu);
	long (*update)(void *map, const void *key, const void *value, uint64_t flags);
	long (*delete_elem)(void *map, const void *key);
	/* Ring buffer: reserve returns the record (host pointer) or NULL; commit submits or discards it. */
	void *(*ringbuf_reserve)(void *map, uint64_t size, uint64_t flags);
	void (*ringbuf_commit)(void *record, uint64_t flags, int discard);
	long (*ringbuf_output)(void *map, const void *data, uint64_t size, uint64_t flags);
	uint64_t (*ringbuf_query)(void *map, uint64_t flags);
	long (*perf_output)(void *map, uint64_t flags, const void *data, uint64_t size);
	/* Program array (tail calls): the program at `index`, or NULL. */
	struct bpftime_prog *(*prog_array_get)(void *map, uint32_t index);
	void *arg;
};

/* Options of the runtime. */
struct bpftime_runtime_opts {
	bpftime_rt_log_fn log;         /* NULL: the segment's log ring once bpftime_runtime_use_segment ran, stderr before */
	void *log_arg;
	bpftime_printk_fn printk;      /* NULL: the segment's log ring (BPFTIME_LOG_TRACE), stderr ("bpftime: PROG: LINE") before */
	void *printk_arg;
	/* NULL: none until bpftime_runtime_use_segment (which sets the segment's, keeping prog_array_get); a map helper
	 * given a handle nothing resolves traps ("argument r1 = 0x... is not a map"). */
	const struct bpftime_map_ops *maps;
};

/* bpftime_runtime_create reserves the guest memory of the process. One runtime per process at a time. */
struct bpftime_runtime *bpftime_runtime_create(const struct bpftime_runtime_opts *opts, char err[BPFTIME_ERR_LEN]);
/* bpftime_runtime_destroy unloads every program and releases the reservation; no thread may be running programs. */
void bpftime_runtime_destroy(struct bpftime_runtime *rt);

/* bpftime_runtime_guest_base returns the host address of guest address 0 (guest address g is at base + g). */
uint8_t *bpftime_runtime_guest_base(const struct bpftime_runtime *rt);

/* bpftime_runtime_segment_addr returns where the session's segment must be mapped: the host address of
 * BPFTIME_SEG_GUEST_BASE (give it to bpftime_seg_open/_create as bpftime_seg_opts.map_at). */
void *bpftime_runtime_segment_addr(const struct bpftime_runtime *rt);
/* bpftime_runtime_segment_mapped tells the runtime that `size` bytes of segment are mapped there (regions may then
 * be added inside it). */
int bpftime_runtime_segment_mapped(struct bpftime_runtime *rt, uint64_t size);
/* bpftime_runtime_segment_unmapped is called after the segment was unmapped (bpftime_seg_close): it puts the
 * PROT_NONE reservation back over the hole and forgets the regions. No program may run meanwhile. */
void bpftime_runtime_segment_unmapped(struct bpftime_runtime *rt);
/* bpftime_runtime_map_segment maps `size` bytes of a segment file `fd` there itself (MAP_SHARED | MAP_FIXED). */
int bpftime_runtime_map_segment(struct bpftime_runtime *rt, int fd, uint64_t size, char err[BPFTIME_ERR_LEN]);

/* Region flags. */
#define BPFTIME_REGION_READ 1u
#define BPFTIME_REGION_WRITE 2u

/* bpftime_runtime_add_region lets programs access [guest, guest + len) (inside the segment): map value storage,
 * ring buffer data. `name` is kept (a copy) for fault messages. Regions must not overlap. Safe while programs run. */
int bpftime_runtime_add_region(struct bpftime_runtime *rt, uint64_t guest, uint64_t len, unsigned flags, const char *name);

/* A map reference of a program: what its lddw of map `index` (the object's map order) becomes. */
struct bpftime_prog_map {
	uint64_t handle;       /* the handle map helpers receive (BPF_PSEUDO_MAP_FD / _IDX) */
	uint64_t value_guest;  /* guest address of the value of key 0 (BPF_PSEUDO_MAP_VALUE / _IDX_VALUE), 0 if none */
};

/* Options of a program load. */
struct bpftime_prog_opts {
	const struct bpftime_prog_map *maps; /* by map index */
	uint32_t nmaps;
	uint64_t budget;                     /* instructions per run; 0: BPFTIME_DEFAULT_BUDGET */
	uint64_t cookie;                     /* bpf_get_attach_cookie */
	uint32_t seg_prog_id;                /* id in the segment's program table: traps are recorded there */
};

/* bpftime_prog_load dlopens a compiled program, checks its ABI version and that the runtime has every helper it
 * imports, and resolves its map references. */
struct bpftime_prog *bpftime_prog_load(struct bpftime_runtime *rt, const char *path, const struct bpftime_prog_opts *opts, char err[BPFTIME_ERR_LEN]);
/* bpftime_prog_unload frees the program and every thread's instance of it. The caller guarantees that no thread
 * runs it any more (the hooks calling it are removed). */
void bpftime_prog_unload(struct bpftime_prog *prog);

/* One run of a program. Inputs: ctx/ctx_len (copied into the thread's context slot), func_ip (bpf_get_func_ip).
 * Outputs: r0, and override_return (flags & BPFTIME_RUN_OVERRIDE: the probed function must return
 * override_value without running). */
struct bpftime_run {
	const void *ctx;
	uint32_t ctx_len;
	uint32_t flags;
	uint64_t func_ip;
	uint64_t r0;
	uint64_t override_value;
};

#define BPFTIME_RUN_OVERRIDE 1u

/* bpftime_prog_run runs `prog` on the calling thread. Returns 0 (r0 set), -ENOEXEC (disabled by an earlier trap:
 * not run), -EFAULT (trapped now: disabled), -EBUSY (this thread is already running a program: not run, counted),
 * -E2BIG (ctx_len > BPFTIME_CTX_MAX), -ENOMEM (no slot or instance for this thread). */
int bpftime_prog_run(struct bpftime_prog *prog, struct bpftime_run *run);

/* Program states. */
enum bpftime_prog_state { BPFTIME_PROG_ENABLED = 0, BPFTIME_PROG_DISABLED = 1 };

/* What a program did: its state, and for a disabled one why (the trap) and where. */
struct bpftime_prog_status {
	enum bpftime_prog_state state;
	uint32_t pc;              /* eBPF pc of the trap */
	uint32_t trap_kind;       /* bpf.trap kind (bpftime_trap_kind), or 0 for a bad access */
	int32_t tid;              /* thread that trapped */
	uint64_t runs;            /* completed runs */
	uint64_t missed;          /* runs refused with -EBUSY */
	uint32_t landing_pad;     /* 1: runs set the trap landing pad; 0: a verified program that cannot trap runs without */
	char reason[BPFTIME_ERR_LEN];
};

/* bpftime_prog_status copies the status of a program. */
void bpftime_prog_status(const struct bpftime_prog *prog, struct bpftime_prog_status *out);
/* bpftime_prog_name returns the program's name. */
const char *bpftime_prog_name(const struct bpftime_prog *prog);
/* bpftime_prog_enable re-enables a disabled program (after the control plane has reported it). */
void bpftime_prog_enable(struct bpftime_prog *prog);

/* The runtime over a session's segment (bpftime_shm.h), opened or created with bpftime_seg_opts.map_at =
 * bpftime_runtime_segment_addr(rt). bpftime_runtime_use_segment makes the map helpers use the segment's maps (a map's
 * handle is its table id), sends trace_printk lines and runtime messages to the segment's log ring (unless the
 * options gave callbacks), records traps in its program table (bpftime_prog_opts.seg_prog_id), and registers the
 * maps' storage as regions. */
int bpftime_runtime_use_segment(struct bpftime_runtime *rt, struct bpftime_seg *seg, char err[BPFTIME_ERR_LEN]);
/* bpftime_runtime_add_map_regions registers the storage of maps created since (call when the map table changed). */
int bpftime_runtime_add_map_regions(struct bpftime_runtime *rt);
/* bpftime_runtime_map_ref returns the map reference of segment map `id` for bpftime_prog_opts.maps ({0, 0} if none). */
struct bpftime_prog_map bpftime_runtime_map_ref(struct bpftime_runtime *rt, uint32_t id);

/* Program arrays (BPF_MAP_TYPE_PROG_ARRAY, the maps of bpf_tail_call) live in the runtime, not in the segment: a
 * program array is a handle the runtime gives out (for bpftime_prog_map.handle), whose slots hold loaded programs.
 * Setting a slot is safe while programs run. */
#define BPFTIME_MAX_PROG_ARRAYS 64u
int bpftime_runtime_prog_array_create(struct bpftime_runtime *rt, uint32_t max_entries, uint64_t *handle);
/* bpftime_runtime_prog_array_set puts `prog` (NULL: nothing) at `index`: 0, -ENOENT (no such array), -E2BIG (index). */
int bpftime_runtime_prog_array_set(struct bpftime_runtime *rt, uint64_t handle, uint32_t index, struct bpftime_prog *prog);

/* bpftime_helper_supported reports whether the runtime implements helper `id`; bpftime_helper_name names it. */
int bpftime_helper_supported(uint32_t id);
const char *bpftime_helper_name(uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
