/* The binary interface between the native runtime and a compiled program (docs/native.md, "runtime").
 *
 * A program is compiled by the control plane (src/native/aot.ts): eBPF -> Wasm (the opt tier, lddw imports) ->
 * C (wasm2c) -> a shared object (cc -O2 -shared -fPIC). Besides wasm2c's output, the object holds a small generated
 * glue file that implements the module's imports on top of struct bpftime_exec and exports exactly one symbol,
 * `bpftime_prog_desc` (struct bpftime_prog_desc), which the runtime reads after dlopen. The object has no other
 * undefined symbols than libc's: wasm2c's runtime functions it needs are defined in the glue (hidden), so it neither
 * needs wasm-rt-impl.c (whose init installs process-wide signal handlers) nor symbols from the agent.
 *
 * Bump BPFTIME_PROG_ABI_VERSION on any change to this file: it is part of the compile cache key, and the runtime
 * refuses objects built for another version. */
#ifndef BPFTIME_PROG_ABI_H
#define BPFTIME_PROG_ABI_H

#include <stdint.h>

#define BPFTIME_PROG_ABI_VERSION 4

/* The symbol a compiled program exports. */
#define BPFTIME_PROG_DESC_SYMBOL "bpftime_prog_desc"

struct bpftime_exec;

/* A helper: r1..r5 in, r0 out. `x` is the calling program's per-thread instance. */
typedef uint64_t (*bpftime_helper_fn)(struct bpftime_exec *x, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5);

/* A function of the program (bpf_main, bpf_fn_PC): the wasm2c instance, r1..r5, r10; returns r0. */
typedef uint64_t (*bpftime_entry_fn)(void *inst, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t r10);

/* The part of a per-thread program instance the glue reads. wasm2c's instance sees it as its `bpf`, `helper` and
 * `env` import instances; the runtime's struct bpftime_exec starts with it. */
struct bpftime_exec_abi {
	void *inst;                         /* the wasm2c instance (Z_prog_instance_t), instance_size bytes */
	void *memory;                       /* the process's wasm_rt_memory_t: the 4 GiB guest reservation */
	const bpftime_helper_fn *helpers;   /* indexed by kernel helper id, BPFTIME_HELPER_ID_COUNT entries */
	const uint64_t *lddw;               /* values of the map references, in the order of bpftime_prog_desc.lddw */
	uint64_t (*refill)(struct bpftime_exec *x, uint64_t addr, uint32_t size, uint32_t write, uint32_t pc);
	void (*trap)(struct bpftime_exec *x, uint32_t kind, uint32_t pc, uint64_t value) __attribute__((noreturn));
	uint64_t (*tail_call)(struct bpftime_exec *x, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t r10);
};

/* lddw sources (uapi BPF_PSEUDO_*), as the module's lddw imports name them. */
enum bpftime_lddw_source {
	BPFTIME_LDDW_MAP_FD = 1,        /* a map handle */
	BPFTIME_LDDW_MAP_VALUE = 2,     /* address of a map's value + offset */
	BPFTIME_LDDW_MAP_IDX = 5,       /* a map handle, by index in the object's maps */
	BPFTIME_LDDW_MAP_IDX_VALUE = 6, /* address of a map's value + offset, by index */
};

/* One map reference of the program (an imported lddw global). */
struct bpftime_lddw_desc {
	uint32_t pc;
	uint32_t source;          /* enum bpftime_lddw_source */
	uint32_t map_index;       /* index of the map in the object (the loader's map order) */
	uint32_t offset;          /* byte offset for the value sources */
	const char *map_name;
};

/* One function of the program that helpers may call (bpf_loop callbacks): pc 0 is bpf_main. */
struct bpftime_fn_desc {
	uint32_t pc;
	bpftime_entry_fn fn;
};

/* Trap kinds the runtime adds to the module's own (bpf.trap kinds 1..5, docs/jit-wasm.md). */
enum bpftime_trap_kind {
	BPFTIME_TRAP_MISALIGNED = 1,
	BPFTIME_TRAP_FELL_OFF = 2,
	BPFTIME_TRAP_CALL_DEPTH = 3,
	BPFTIME_TRAP_BUDGET = 4,
	BPFTIME_TRAP_POISON = 5,
	BPFTIME_TRAP_WASM = 16,   /* wasm_rt_trap (value: wasm_rt_trap_t), a JIT bug if it ever happens */
	BPFTIME_TRAP_CALLX = 17,  /* callx to something that is neither a function nor a helper (value: target) */
	BPFTIME_TRAP_HELPER = 18, /* a helper refused its arguments (a bad pointer, not a map, ...) */
};

/* Context kinds of bpftime_prog_desc.ctx_kind. */
enum bpftime_ctx_kind {
	BPFTIME_CTX_RAW = 0,     /* tracepoints and anything else: bytes without function arguments */
	BPFTIME_CTX_PT_REGS = 1, /* uprobes, uretprobes, kprobes: x86-64 struct pt_regs */
};

/* Flags of bpftime_prog_desc.flags. */
enum bpftime_desc_flags {
	/* The verifier accepted the program (src/native/verify-hook.ts): its helper calls match their prototypes (map
	 * arguments are maps, key and value pointers readable for the map's sizes) and its accesses are in bounds. */
	BPFTIME_DESC_VERIFIED = 1,
	/* The module's own code can end a run: it charges a budget or calls bpf.trap, refill, tail_call or callx. */
	BPFTIME_DESC_SELF_TRAPS = 2,
};

/* What a compiled program exports as `bpftime_prog_desc`. */
struct bpftime_prog_desc {
	uint32_t abi_version;         /* BPFTIME_PROG_ABI_VERSION */
	uint32_t instance_size;       /* sizeof the wasm2c instance */
	const char *name;             /* program name (ProgramSpec.name) */
	const char *section;          /* ELF section */
	uint32_t insns;               /* eBPF instruction slots */
	uint32_t nhelpers;
	const uint32_t *helper_ids;   /* helper ids the module imports */
	const char *const *helper_names;
	uint32_t nlddw;
	const struct bpftime_lddw_desc *lddw;
	uint32_t nfns;
	const struct bpftime_fn_desc *fns; /* fns[0] is bpf_main (pc 0) */
	uint64_t text_base;           /* code address of pc 0 (pseudo-func values are text_base + 8 * pc) */
	/* The context by the program's type (src/loader/contexts.ts): where the probed function's arguments and return
	 * value are, for bpf_get_func_arg, _ret and _arg_cnt. */
	uint32_t ctx_kind;            /* enum bpftime_ctx_kind */
	uint32_t ctx_nargs;           /* pt_regs: the argument registers (6) */
	uint32_t ctx_arg_off[6];      /* pt_regs: byte offsets of the argument registers (di, si, dx, cx, r8, r9) */
	uint32_t ctx_ret_off;         /* pt_regs: byte offset of the return value register (ax) */
	/* 1: the program writes r1 before reading it on every path (src/native/ctx-use.ts), so it cannot reach its
	 * context: the runtime need not copy it into the thread's slot (unless a helper it calls reads it). */
	uint32_t ctx_unread;
	uint32_t flags;               /* BPFTIME_DESC_* */
	/* Offsets of the module's globals in the instance (docs/jit-wasm.md "Exports"). */
	uint32_t off_pc, off_fp, off_ctl, off_budget, off_stack_limit, off_pkt_start, off_pkt_len, off_ret_hi;
	void (*init_module)(void);
	void (*instantiate)(void *inst, struct bpftime_exec *x);
	void (*free_instance)(void *inst);
	/* Set by the runtime before init_module: where wasm_rt_trap goes (it has no instance argument). */
	void (*wasm_trap)(int trap) __attribute__((noreturn));
};

#endif
