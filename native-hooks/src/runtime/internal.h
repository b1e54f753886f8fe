/* Internal structures of the native runtime (docs/native.md, "runtime"), shared by its files. */
#ifndef BPFTIME_RUNTIME_INTERNAL_H
#define BPFTIME_RUNTIME_INTERNAL_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <wasm-rt.h>

#include "bpftime_helpers.gen.h"
#include "bpftime_prog_abi.h"
#include "bpftime_runtime.h"
#include "../arch/vec.h"

#define HIDDEN __attribute__((visibility("hidden")))
#define LIKELY_(x) __builtin_expect(!!(x), 1)
#define UNLIKELY_(x) __builtin_expect(!!(x), 0)

/* A region programs may access besides their thread's stack and context (map storage in the segment). */
struct rt_region {
	uint64_t start, end;  /* guest, [start, end) */
	unsigned flags;       /* BPFTIME_REGION_* */
	/* A strided region (a hash map's elements): of each `stride` bytes from start, only [open, stride) may be
	 * accessed (the value; the element's header and key are the map's). stride 0: all of it. */
	uint32_t stride, open;
	char name[48];
};

/* The regions, sorted by start; replaced as a whole (copy on write) so runs read them without a lock. */
struct rt_regions {
	uint32_t n;
	struct rt_region r[];
};

struct bpftime_runtime {
	uint8_t *guest;                     /* host address of guest 0: the 4 GiB reservation */
	wasm_rt_memory_t memory;            /* the wasm2c view of it */
	uint8_t *segment;                   /* host address of the mapped segment, or NULL */
	uint64_t segment_size;
	_Atomic(struct rt_regions *) regions;
	struct rt_regions *retired;         /* older tables, freed with the runtime (runs may still read them) */
	struct bpftime_runtime_opts opts;
	struct bpftime_map_ops maps;
	struct rt_map_slot {                /* resolved map handles 1..BPFTIME_MAX_MAPS (rt_map_slot_fill) */
		void *_Atomic map;
		uint32_t key_size, value_size;
		/* A segment hash map without per-CPU values (buckets NULL otherwise): what the first step of its find
		 * reads, copied here so that the verified lookup loads it with the handle's slot rather than after the
		 * map (one dependent load less; the view's pointers and sizes never change once the map is ready). */
		struct rt_htab_view {
			void *_Atomic buckets;      /* published last (release) */
			uint8_t *elems;
			uint32_t bucket_mask, seed, elem_size, key_stride;
			uint8_t lru;
			uint8_t pad_[15];           /* 64 bytes a slot: indexing is a shift */
		} htab;
	} map_cache[BPFTIME_MAX_MAPS + 1];
	pthread_mutex_t lock;               /* programs, slots, threads, regions (not taken by runs) */
	struct bpftime_prog *progs[BPFTIME_RT_MAX_PROGS];
	uint32_t *free_slots;               /* slot numbers of exited threads */
	uint32_t nfree_slots, next_slot;
	struct rt_thread *threads;          /* every registered thread (for unload and destroy) */
	struct bpftime_seg *seg;            /* the session's segment, once bpftime_runtime_use_segment ran */
	uint8_t map_regions[BPFTIME_MAX_MAPS]; /* segment maps whose storage is registered as a region */
	int custom_log, custom_printk;      /* the caller gave these callbacks (the segment does not replace them) */
	struct rt_prog_array {              /* bpftime_runtime_prog_array_create */
		uint32_t max_entries;
		struct bpftime_prog *_Atomic *slots;
	} prog_arrays[BPFTIME_MAX_PROG_ARRAYS];
	uint32_t nprog_arrays;
	pthread_key_t key;                  /* thread exit cleanup */
};

/* A loaded program. */
struct bpftime_prog {
	struct bpftime_runtime *rt;
	uint32_t index;                     /* in rt->progs and in each thread's instance table */
	void *dl;
	struct bpftime_prog_desc *desc;
	bpftime_entry_fn main;
	uint64_t budget, cookie;
	uint32_t seg_prog_id;               /* id in the segment's program table, 0 when none */
	int copy_ctx;                       /* runs copy the context: the program or a helper it calls may read it */
	int no_pad;                         /* runs need no trap landing pad: verified, and nothing it runs can fault */
	const bpftime_helper_fn *helpers;   /* its instances' helper table (the lean one for verified programs) */
	uint64_t *lddw;                     /* resolved map references, desc->nlddw */
	_Atomic int state;                  /* enum bpftime_prog_state */
	_Atomic uint64_t runs, missed;      /* runs: of the instances freed already (exited threads) */
	pthread_mutex_t status_lock;        /* the trap record below */
	uint32_t trap_pc, trap_kind;
	int32_t trap_tid;
	char reason[BPFTIME_ERR_LEN];
	char path[256];
};

/* A thread's instance of a program: what the module's import instances point to. */
struct bpftime_exec {
	struct bpftime_exec_abi abi;        /* first: the glue reads it */
	struct bpftime_prog *prog;
	struct rt_thread *th;
	struct bpftime_runtime *rt;         /* th->rt, one load nearer for the map helpers */
	uint64_t *budget;                   /* the instance's globals, for the run path */
	uint32_t *ctl;
	uint64_t hint_start, hint_end;      /* the last region a refill found (guest), checked first next time */
	int hint_writable;
	uint64_t runs;                      /* completed runs on this thread (read by bpftime_prog_status) */
	int tail_calls;                     /* in the current run */
	struct bpftime_prog *tail_target;   /* chosen by bpf_tail_call */
	/* the wasm2c instance follows, 16-byte aligned */
};

#define RT_MAX_RECORDS 16

/* Everything a thread needs to run programs; reached through one thread-local pointer. */
struct rt_thread {
	struct bpftime_runtime *rt;
	uint32_t slot;
	uint32_t stack_lo, stack_top;      /* guest */
	uint32_t ctx_lo, ctx_end;          /* guest: the current run's context */
	uint8_t *ctx_host;                 /* host address of the context page */
	int running;
	struct bpftime_exec *cur;          /* the instance running (the top one across tail calls) */
	struct bpftime_run *run;           /* the run in progress */
	int32_t tid;
	uint64_t rand_state;
	void *trap_jmp[5];                 /* __builtin_setjmp's buffer: the landing pad of traps */
	struct rt_record {                 /* ring buffer records reserved by the current run (guest) */
		uint64_t start, end;
	} records[RT_MAX_RECORDS];
	uint32_t nrecords;
	void *lock_held;                   /* the bpf_spin_lock this run holds (host), released at its end */
	struct bpftime_exec **execs;       /* by program index (the first ones in this block's page: thread.c) */
	uint32_t arena_used;               /* bytes of this block's page in use (the block, then instances) */
	uint32_t nexecs;
	struct rt_thread *next;            /* rt->threads */
	uint32_t vec_spilled;              /* the run saved xmm0-15 in vec (rt_vec_spill); its end loads them back */
	uint8_t vec[BPFTIME_VEC_SIZE] __attribute__((aligned(16)));
};


/* rt_vec_spill: called before a slow path of a run calls code that may use vector registers (libc's formatting,
 * allocation and string functions): the first call in a run saves xmm0-15, the run's end loads them back, so a
 * uprobe's stub need not save them (docs/native.md, "Vector registers"). Outside a run it does nothing (nothing
 * would load them back). */
static inline void rt_vec_spill(struct rt_thread *t)
{
	if (t && t->running && !t->vec_spilled) {
		bpftime_vec_save(t->vec);
		t->vec_spilled = 1;
	}
}

/* TLS pointer to the calling thread's state (initial-exec: one instruction, no __tls_get_addr). */
extern __thread struct rt_thread *bpftime_tls_thread __attribute__((tls_model("initial-exec")));

/* memory.c */
HIDDEN int rt_memory_reserve(struct bpftime_runtime *rt, char *err);
HIDDEN void rt_memory_release(struct bpftime_runtime *rt);
HIDDEN int rt_slot_map(struct bpftime_runtime *rt, uint32_t slot);
HIDDEN void rt_slot_unmap(struct bpftime_runtime *rt, uint32_t slot);
HIDDEN uint64_t rt_slot_guest(uint32_t slot);

/* Handles of the runtime's program arrays: above any map table id. */
#define RT_PROG_ARRAY_HANDLE_BASE (1ull << 40)

/* prog-array.c */
HIDDEN struct rt_prog_array *rt_prog_array(struct bpftime_runtime *rt, uint64_t handle);
HIDDEN void rt_prog_arrays_forget(struct bpftime_runtime *rt, struct bpftime_prog *p);
HIDDEN void rt_prog_arrays_free(struct bpftime_runtime *rt);

/* shm.c */
HIDDEN void rt_seg_fault(struct bpftime_prog *p, uint32_t kind, uint32_t pc, const char *msg);

/* runtime.c */
HIDDEN void rt_regions_clear(struct bpftime_runtime *rt);
HIDDEN int rt_region_add(struct bpftime_runtime *rt, uint64_t guest, uint64_t len, unsigned flags, const char *name, uint32_t stride, uint32_t open);

/* thread.c */
HIDDEN struct rt_thread *rt_thread_attach(struct bpftime_runtime *rt);
HIDDEN struct bpftime_exec *rt_exec_create(struct rt_thread *t, struct bpftime_prog *p);
HIDDEN void rt_exec_free(struct bpftime_exec *x);
HIDDEN void rt_thread_detach_all(struct bpftime_runtime *rt);

/* access.c */
HIDDEN uint64_t rt_refill(struct bpftime_exec *x, uint64_t addr, uint32_t size, uint32_t write, uint32_t pc);
HIDDEN void *rt_guest_ptr_slow(struct bpftime_exec *x, uint64_t addr, uint64_t size, int write);
HIDDEN int rt_guest_readable(struct bpftime_exec *x, uint64_t addr, uint64_t size);
/* rt_guest_span_end returns the end of the readable guest span holding addr, or 0 when it is in none. */
HIDDEN uint64_t rt_guest_span_end(struct bpftime_exec *x, uint64_t addr);
HIDDEN __attribute__((noreturn)) void rt_fault(struct bpftime_exec *x, uint64_t addr, uint64_t size, int write);
HIDDEN __attribute__((noreturn, format(printf, 2, 3))) void rt_helper_fault(struct bpftime_exec *x, const char *fmt, ...);

/* trap.c */
HIDDEN __attribute__((noreturn)) void rt_trap(struct bpftime_exec *x, uint32_t kind, uint32_t pc, uint64_t value);
HIDDEN __attribute__((noreturn)) void rt_wasm_trap(int trap);
HIDDEN __attribute__((noreturn)) void rt_abort_run(struct bpftime_exec *x, uint32_t kind, uint32_t pc, const char *reason);
HIDDEN void rt_log(struct bpftime_runtime *rt, enum bpftime_log_kind level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The sinks used when neither the options nor a segment give one: stderr. */
HIDDEN void rt_default_log(void *arg, enum bpftime_log_kind level, const char *line);
HIDDEN void rt_default_printk(void *arg, const struct bpftime_prog *prog, const char *line, size_t len);

/* rt_guest_ptr returns the host address of `size` bytes at guest `addr` a helper was given, or traps (a bad
 * argument): the thread's stack inline, everything else in rt_guest_ptr_slow. */
static inline void *rt_guest_ptr(struct bpftime_exec *x, uint64_t addr, uint64_t size, int write)
{
	const struct rt_thread *t = x->th;
	if (LIKELY_(addr >= t->stack_lo && addr <= t->stack_top && size <= t->stack_top - addr)) return t->rt->guest + addr;
	return rt_guest_ptr_slow(x, addr, size, write);
}

/* run.c */
HIDDEN uint64_t rt_tail_call(struct bpftime_exec *x, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t r10);
HIDDEN uint64_t rt_call_function(struct bpftime_exec *x, uint64_t fn, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

/* helpers: the table by id */
HIDDEN extern const bpftime_helper_fn bpftime_helper_table[BPFTIME_HELPER_ID_COUNT];

/* helpers-verified.c: the table of verified programs (lean map helpers; rt_helpers_verified_init fills it once), and
 * the helpers that cannot fault on a verified program's arguments (docs/native.md, "Runs without a landing pad"). */
HIDDEN extern bpftime_helper_fn bpftime_helper_table_verified[BPFTIME_HELPER_ID_COUNT];
HIDDEN void rt_helpers_verified_init(void);
HIDDEN int rt_helper_cannot_fault(uint32_t id);
HIDDEN void rt_map_slot_fill(struct bpftime_runtime *rt, uint64_t handle, void *m, uint32_t key_size, uint32_t value_size);
/* rt_map_resolve asks the map operations what a handle names (NULL: not a map), with its key and value sizes, and
 * caches the answer in the handle's slot (rt_map_slot_fill). The slow path of both helper tables' map look-ups. */
HIDDEN void *rt_map_resolve(struct bpftime_runtime *rt, uint64_t handle, uint32_t *key_size, uint32_t *value_size);

/* rt_guest_of is the guest address of host bytes in the guest's memory (0 for NULL: a lookup's "no element"). */
static inline uint64_t rt_guest_of(const struct bpftime_runtime *rt, const void *host)
{
	return host ? (uint64_t)((const uint8_t *)host - rt->guest) : 0;
}

/* Globals of a program instance, by the offsets the program's descriptor gives. */
#define RT_GLOBAL(x, type, field) (*(type *)((uint8_t *)(x)->abi.inst + (x)->prog->desc->field))
#define RT_PC(x) RT_GLOBAL(x, uint32_t, off_pc)
#define RT_FP(x) RT_GLOBAL(x, uint64_t, off_fp)
#define RT_CTL(x) (*(x)->ctl)
#define RT_BUDGET(x) (*(x)->budget)

/* ctl values (docs/jit-wasm.md "Exports"). */
#define RT_CTL_EXIT 1u
#define RT_CTL_TAIL_CALL 2u
#define RT_CTL_REGIONS 3u

#define RT_MAX_TAIL_CALLS 33

#endif
