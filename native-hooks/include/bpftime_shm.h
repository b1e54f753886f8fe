/*
 * bpftime_shm.h: the one definition of a session's POSIX shared-memory segment (docs/native.md, "shm").
 *
 * A session is one segment, created by the control plane and mapped by every agent. The segment is mapped at a
 * different host address in each process, and at BPFTIME_SEG_GUEST_BASE inside programs' linear memory, so nothing
 * in it is a pointer: every reference is an offset from the segment's first byte (or a table index). Everything
 * below is fixed-width and its size is checked by _Static_assert; a change to any of it bumps
 * BPFTIME_SHM_LAYOUT_VERSION, and a process refuses a segment of another version.
 *
 *   offset 0                   struct bpftime_shm (fixed part): header, map table, program table, attachments,
 *                              agent registrations, log ring
 *   sizeof(struct bpftime_shm) the heap: per-CPU attachment counters, then map storage (bpftime_shm_alloc)
 *
 * Functions return 0 (or a non-negative result) on success and a negative errno on failure; those that take
 * `err`/`errlen` also write a one-line, lowercase message there.
 */
#ifndef BPFTIME_SHM_H
#define BPFTIME_SHM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Identity and limits. */
#define BPFTIME_SHM_MAGIC 0x314d48535446504bULL /* "KPFTSHM1" read as little-endian bytes */
#define BPFTIME_SHM_LAYOUT_VERSION 1u
#define BPFTIME_PAGE_SIZE 4096u
/* Where the segment lies in a program's linear memory (guest address = this + segment offset). */
#define BPFTIME_SEG_GUEST_BASE 0x40000000ULL
/* The guest window holds at most 2 GiB of segment. */
#define BPFTIME_SEG_MAX_SIZE (2ULL << 30)
#define BPFTIME_SEG_DEFAULT_SIZE (64ULL << 20)
/* Default segment name (shm_open adds the leading slash when it is missing). */
#define BPFTIME_SEG_DEFAULT_NAME "/bpftime-vm"

#define BPFTIME_MAX_MAPS 256u
#define BPFTIME_MAX_PROGS 64u
#define BPFTIME_MAX_ATTACH 512u
#define BPFTIME_MAX_AGENTS 256u
#define BPFTIME_NAME_LEN 64u
#define BPFTIME_MAP_NAME_LEN 16u /* BPF_OBJ_NAME_LEN */
#define BPFTIME_PATH_LEN 256u
#define BPFTIME_MSG_LEN 128u
#define BPFTIME_PROG_MAX_MAP_REFS 128u
/* Bytes of the log ring's data area (a power of two multiple of the page size). */
#define BPFTIME_LOG_SIZE (1u << 20)

/* A process-shared lock word: 0 when free, else the holder's thread id (so a dead holder can be detected). */
typedef uint32_t bpftime_lock_t;

/* Slot states of every table (maps, programs, attachments, agents). */
enum bpftime_slot_state {
	BPFTIME_SLOT_FREE = 0,
	BPFTIME_SLOT_BUSY = 1,  /* being filled by its creator; not visible yet */
	BPFTIME_SLOT_READY = 2, /* in use */
};

/* Segment states (header.state). */
enum bpftime_seg_state {
	BPFTIME_SEG_INITIALIZING = 0,
	BPFTIME_SEG_READY = 1,
	BPFTIME_SEG_ENDED = 2, /* the control plane ended the session; agents should detach */
};

/* ----------------------------------------------------------------------------------------------------------------
 * Header: identity, owner, the creating session (pid + start time detect a stale segment), sizes, allocation state.
 */
struct bpftime_shm_header {
	uint64_t magic;          /* BPFTIME_SHM_MAGIC, written last by the creator (release) */
	uint32_t layout_version; /* BPFTIME_SHM_LAYOUT_VERSION */
	uint32_t header_size;    /* sizeof(struct bpftime_shm): a second guard against mismatched builds */
	uint64_t size;           /* bytes of the whole segment */
	uint32_t owner_uid;      /* uid allowed to open it (root may open any) */
	uint32_t creator_pid;
	uint64_t creator_start_time; /* field 22 of /proc/PID/stat (clock ticks after boot) of the creator */
	uint64_t created_ns;         /* CLOCK_REALTIME at creation */
	uint32_t ncpus;              /* get_nprocs_conf() of the creator: copies of per-CPU values, perf buffers */
	uint32_t state;              /* enum bpftime_seg_state */
	char name[BPFTIME_NAME_LEN]; /* shm name, with its leading slash */
	/* Heap allocation state (bpftime_shm_alloc), guarded by alloc_lock. */
	bpftime_lock_t alloc_lock;
	uint32_t reserved0;
	uint64_t heap_off;   /* first heap byte (sizeof(struct bpftime_shm)) */
	uint64_t heap_end;   /* == size */
	uint64_t free_head;  /* offset of the first free block, 0 when none */
	uint64_t heap_used;  /* bytes allocated, block headers included */
	uint64_t counters_off; /* per-CPU attachment counters: struct bpftime_attach_counters[ncpus][BPFTIME_MAX_ATTACH] */
	/*
	 * Bumped (and futex-woken) whenever the program or attachment table changes, so agents notice new or removed
	 * attachments without polling every slot.
	 */
	uint32_t tables_gen;
	uint32_t reserved1;
	uint8_t pad[BPFTIME_PAGE_SIZE - 176];
};
_Static_assert(offsetof(struct bpftime_shm_header, pad) == 176, "header fields are 176 bytes");
_Static_assert(sizeof(struct bpftime_shm_header) == BPFTIME_PAGE_SIZE, "the header is one page");

/* ----------------------------------------------------------------------------------------------------------------
 * Map table: one entry per map; `id` is index + 1. Storage lies at `storage_off` and never moves.
 */
struct bpftime_htab_params {
	uint32_t nbuckets;   /* power of two >= max_entries */
	uint32_t seed;       /* hash seed (0 with BPF_F_ZERO_SEED) */
	uint32_t elem_size;  /* bytes of one element: struct bpftime_htab_elem, key, value(s) */
	uint32_t key_stride; /* key_size rounded up to 8 */
	uint64_t buckets_off; /* struct bpftime_htab_bucket[nbuckets] */
	uint64_t elems_off;   /* max_entries elements of elem_size bytes */
};

struct bpftime_array_params {
	uint64_t values_off; /* max_entries elements of elem_size bytes */
	uint32_t elem_size;  /* value_stride * ncpus */
	uint32_t reserved;
};

struct bpftime_perf_params {
	uint32_t pages;  /* data pages per CPU buffer (a power of two) */
	uint32_t nbufs;  /* min(ncpus, max_entries): buffers of CPUs 0..nbufs-1 */
	uint64_t buf_stride; /* bytes per buffer: one control page + pages data pages */
};

struct bpftime_map_def {
	uint32_t state; /* enum bpftime_slot_state */
	uint32_t id;    /* index + 1 */
	uint32_t type;  /* BPF_MAP_TYPE_* */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;       /* BPF_F_* creation flags */
	uint32_t ncpus;       /* copies of each value: header.ncpus for per-CPU maps, else 1 */
	uint32_t value_stride; /* value_size rounded up to 8 */
	int32_t spin_lock_off; /* offset of the struct bpf_spin_lock in a value, -1 when none (BPF_F_LOCK is -EINVAL) */
	uint32_t btf_key_type_id;
	uint32_t btf_value_type_id;
	uint64_t storage_off; /* the map's block in the heap (type control block first) */
	uint64_t storage_size;
	char name[BPFTIME_MAP_NAME_LEN];
	union {
		struct bpftime_htab_params htab;   /* hash, percpu_hash, lru_hash, lru_percpu_hash */
		struct bpftime_array_params array; /* array, percpu_array */
		struct bpftime_perf_params perf;   /* perf_event_array */
		uint8_t raw[48];
	} u;
};
_Static_assert(sizeof(struct bpftime_map_def) == 128, "a map table entry is 128 bytes");
_Static_assert(offsetof(struct bpftime_map_def, u) == 80, "map params at 80");

/* ----------------------------------------------------------------------------------------------------------------
 * Hash maps. Buckets are chains of element indexes ending in a "nulls" marker that names the bucket, so a lock-free
 * reader that followed an element moved to another chain notices and restarts (the kernel's hlist_nulls). A link is
 * (index << 1) for an element, (bucket << 1) | 1 for the end of bucket's chain.
 */
#define BPFTIME_HTAB_NULLS(bucket) (((uint32_t)(bucket) << 1) | 1u)
#define BPFTIME_HTAB_LINK(index) ((uint32_t)(index) << 1)
/* The free list's "no element" and the LRU lists' "none". */
#define BPFTIME_HTAB_NONE 0xffffffffu

struct bpftime_htab_bucket {
	uint32_t head;        /* first link of the chain */
	bpftime_lock_t lock;  /* writers of this chain */
};
_Static_assert(sizeof(struct bpftime_htab_bucket) == 8, "a bucket is 8 bytes");

struct bpftime_htab_elem {
	uint32_t next;      /* chain link (see above); left as is when the element is freed */
	uint32_t hash;
	uint32_t gen;       /* odd while the key is being (re)written: readers retry */
	uint32_t free_next; /* free list link (index, or BPFTIME_HTAB_NONE) */
	uint32_t lru_prev;  /* LRU list (index, or BPFTIME_HTAB_NONE), lru maps only */
	uint32_t lru_next;
	uint32_t lru_ref;   /* set by program-side lookups and updates: second chance before eviction */
	uint32_t in_use;    /* 1 while linked in a chain */
	/* key (key_stride bytes), then the value, or ncpus values of value_stride bytes each */
};
_Static_assert(sizeof(struct bpftime_htab_elem) == 32, "an element header is 32 bytes");

/* Control block at storage_off of a hash map; each contended word on its own cache line. */
struct bpftime_htab_ctl {
	uint64_t free_head; /* (tag << 32) | index of the first free element (BPFTIME_HTAB_NONE: none) */
	uint8_t pad0[56];
	int64_t count; /* elements in the map */
	uint8_t pad1[56];
	bpftime_lock_t lru_lock; /* guards the LRU list */
	uint32_t lru_head;       /* most recently inserted */
	uint32_t lru_tail;       /* eviction candidate */
	uint8_t pad2[52];
};
_Static_assert(sizeof(struct bpftime_htab_ctl) == 192, "the hash control block is 3 cache lines");

/* ----------------------------------------------------------------------------------------------------------------
 * Ring buffers (ringbuf maps and the log ring). The control page is followed by the data area; each record is the
 * kernel's 8-byte header (u32 len with BUSY and DISCARD bits, u32 pg_off) and the sample rounded up to 8 bytes.
 * pg_off is the header's page distance from the control page, so bpftime_ringbuf_submit finds the ring from a sample
 * pointer as the kernel does. A record never wraps: one that would is preceded by a discarded padding record.
 */
#define BPFTIME_RINGBUF_HDR_SZ 8u
#define BPFTIME_RINGBUF_BUSY_BIT 0x80000000u
#define BPFTIME_RINGBUF_DISCARD_BIT 0x40000000u
#define BPFTIME_RINGBUF_OWNERS 256u

struct bpftime_ringbuf_hdr {
	uint32_t len;
	uint32_t pg_off;
};

struct bpftime_ringbuf {
	uint64_t mask;            /* data size - 1 */
	bpftime_lock_t lock;      /* producers */
	bpftime_lock_t cons_lock; /* consumers (one at a time) */
	uint64_t wakeups;         /* notifications sent (kernel: epoll wakeups) */
	uint64_t lost;            /* log ring only: records dropped because it was full */
	uint32_t seq;             /* futex word bumped on each notification */
	uint32_t waiters;         /* consumers sleeping on seq */
	uint8_t pad0[24];
	uint64_t consumer_pos;
	uint8_t pad1[56];
	uint64_t producer_pos;
	uint8_t pad2[56];
	uint64_t reclaimed; /* records of dead producers the consumer discarded */
	uint8_t pad3[56];
	/*
	 * Who holds each reservation not yet committed (hashed by record offset, linear probing): a record whose
	 * producer thread died between reserve and submit would otherwise stop the consumer forever. Reservations
	 * beyond BPFTIME_RINGBUF_OWNERS at once are not registered and cannot be reclaimed.
	 */
	struct bpftime_ringbuf_owner {
		uint32_t off; /* record offset in the data area */
		uint32_t tid; /* producer thread, 0: free slot */
	} owners[BPFTIME_RINGBUF_OWNERS];
	uint8_t pad4[BPFTIME_PAGE_SIZE - 256 - 8 * BPFTIME_RINGBUF_OWNERS];
	/* data[mask + 1] follows */
};
_Static_assert(offsetof(struct bpftime_ringbuf, consumer_pos) == 64, "consumer_pos has its own line");
_Static_assert(offsetof(struct bpftime_ringbuf, producer_pos) == 128, "producer_pos has its own line");
_Static_assert(offsetof(struct bpftime_ringbuf, owners) == 256, "reservation owners after the positions");
_Static_assert(sizeof(struct bpftime_ringbuf) == BPFTIME_PAGE_SIZE, "the ring control block is one page");

/* ----------------------------------------------------------------------------------------------------------------
 * Perf event arrays: buffer i (CPU i) is a control page and `pages` data pages holding perf records: struct
 * perf_event_header {u32 type = PERF_RECORD_SAMPLE; u16 misc; u16 size}, u32 raw size, data, padding to 8. Records
 * wrap around the end of the data area as in the kernel. Unlike the kernel, the raw size is the program's size, not
 * rounded up (readers advance by header.size).
 */
#define BPFTIME_PERF_RECORD_SAMPLE 9u
#define BPFTIME_PERF_DEFAULT_PAGES 64u

struct bpftime_perf_buf {
	uint64_t data_head; /* written by producers (release) */
	uint8_t pad0[56];
	uint64_t data_tail; /* written by the reader (release) */
	uint8_t pad1[56];
	uint64_t lost;        /* samples dropped for lack of space */
	bpftime_lock_t lock;  /* producers of this buffer */
	uint32_t open;        /* 1 while a reader holds it (the kernel: a perf event fd in the slot) */
	uint32_t cpu;
	uint8_t pad2[BPFTIME_PAGE_SIZE - 148];
	/* data[pages * BPFTIME_PAGE_SIZE] follows */
};
_Static_assert(sizeof(struct bpftime_perf_buf) == BPFTIME_PAGE_SIZE, "a perf buffer control block is one page");

/* ----------------------------------------------------------------------------------------------------------------
 * Program table: what the agent loads (the compiled .so) and its state. A program that faults is disabled here
 * with its reason and pc, and stays disabled until the control plane enables it again.
 */
enum bpftime_fault {
	BPFTIME_FAULT_NONE = 0,
	BPFTIME_FAULT_MEMORY = 1,     /* access outside the regions a program may touch */
	BPFTIME_FAULT_BUDGET = 2,     /* instruction budget exhausted */
	BPFTIME_FAULT_CALL_DEPTH = 3, /* bpf-to-bpf calls too deep */
	BPFTIME_FAULT_TRAP = 4,       /* other trap of the compiled module (unreachable, misaligned atomic, ...) */
	BPFTIME_FAULT_HELPER = 5,     /* a helper refused to go on */
	BPFTIME_FAULT_LOAD = 6,       /* the agent could not load the program (dlopen, symbols) */
};

/* How a lddw slot of the program refers to a map (bpf.lddw_PC in the Wasm ABI). */
enum bpftime_map_ref_kind {
	BPFTIME_REF_MAP = 1,   /* the map itself (map_fd / map_idx) */
	BPFTIME_REF_VALUE = 2, /* the address of its value + offset (map_value / map_idx_value) */
};

struct bpftime_map_ref {
	uint32_t pc;     /* slot of the lddw */
	uint32_t map_id; /* map table id */
	uint32_t kind;   /* enum bpftime_map_ref_kind */
	uint32_t offset; /* BPFTIME_REF_VALUE: byte offset in the value */
};

struct bpftime_prog_entry {
	uint32_t state;   /* enum bpftime_slot_state */
	uint32_t id;      /* index + 1 */
	uint32_t type;    /* BPF_PROG_TYPE_* */
	uint32_t enabled; /* 1: runs when hit; 0: disabled (by the user or by a fault) */
	uint32_t fault;   /* enum bpftime_fault of the last fault, NONE if it never faulted */
	uint32_t fault_pc;
	uint32_t fault_pid;
	uint32_t nr_map_refs;
	uint64_t fault_ns;  /* CLOCK_REALTIME of the fault */
	uint64_t insn_cnt;  /* eBPF instructions */
	char name[BPFTIME_NAME_LEN];
	char hash[BPFTIME_NAME_LEN];     /* content hash of the compiled code, hex */
	char so_path[BPFTIME_PATH_LEN];  /* the compiled shared object */
	char fault_msg[BPFTIME_MSG_LEN]; /* one line: what went wrong */
	struct bpftime_map_ref map_refs[BPFTIME_PROG_MAX_MAP_REFS];
};
_Static_assert(sizeof(struct bpftime_prog_entry) == 48 + 2 * 64 + 256 + 128 + 128 * 16, "program entry size");

/* ----------------------------------------------------------------------------------------------------------------
 * Attachments: where a program runs. Hit counters are per CPU (struct bpftime_attach_counters[cpu][index] at
 * header.counters_off) so concurrent hits on different CPUs never share a cache line.
 */
enum bpftime_attach_kind {
	BPFTIME_ATTACH_UPROBE = 1,
	BPFTIME_ATTACH_URETPROBE = 2,
	BPFTIME_ATTACH_SYSCALL_ENTER = 3,
	BPFTIME_ATTACH_SYSCALL_EXIT = 4,
};
/* syscall_nr of a syscall attachment that traces every syscall (raw_syscalls). */
#define BPFTIME_SYSCALL_ALL (-1)

struct bpftime_attach_entry {
	uint32_t state;   /* enum bpftime_slot_state */
	uint32_t id;      /* index + 1 */
	uint32_t kind;    /* enum bpftime_attach_kind */
	uint32_t prog_id; /* program table id */
	int32_t syscall_nr; /* syscall attachments: the number, or BPFTIME_SYSCALL_ALL */
	uint32_t enabled;
	int32_t pid;      /* only this process (0: every process with the agent) */
	uint32_t reserved;
	uint64_t offset;  /* uprobes: byte offset from the symbol (or from the file start when symbol is empty) */
	uint64_t cookie;  /* bpf_get_attach_cookie */
	char target[BPFTIME_PATH_LEN]; /* uprobes: binary or library path */
	char symbol[BPFTIME_NAME_LEN * 2];
	char message[BPFTIME_MSG_LEN]; /* why the agent could not install it, empty when installed or pending */
};
_Static_assert(sizeof(struct bpftime_attach_entry) == 48 + 256 + 128 + 128, "attachment entry size");

struct bpftime_attach_counters {
	uint64_t hits;   /* program runs */
	uint64_t missed; /* hits skipped (re-entrancy guard, disabled program) */
};

/* ----------------------------------------------------------------------------------------------------------------
 * Agent registrations: one per process that maps the segment to run programs.
 */
enum bpftime_agent_state {
	BPFTIME_AGENT_STARTING = 1,
	BPFTIME_AGENT_RUNNING = 2,
	BPFTIME_AGENT_DETACHING = 3,
	BPFTIME_AGENT_DETACHED = 4,
	BPFTIME_AGENT_FAILED = 5,
};
enum bpftime_agent_mode {
	BPFTIME_AGENT_PRELOAD = 1,  /* LD_PRELOAD at start */
	BPFTIME_AGENT_INJECTED = 2, /* ptrace injection into a running process */
};
/* Requests from the control plane to an agent (agent.request). */
enum bpftime_agent_request {
	BPFTIME_REQ_NONE = 0,
	BPFTIME_REQ_DETACH = 1,
};

struct bpftime_agent_entry {
	uint32_t slot;   /* enum bpftime_slot_state */
	uint32_t id;     /* index + 1 */
	uint32_t pid;
	uint32_t state;  /* enum bpftime_agent_state */
	uint64_t start_time; /* field 22 of /proc/PID/stat: with pid, identifies the process */
	uint64_t registered_ns;
	uint32_t mode;    /* enum bpftime_agent_mode */
	uint32_t request; /* enum bpftime_agent_request, set by the control plane */
	uint32_t hooks;   /* attachments installed in this process */
	uint32_t flags;   /* BPFTIME_AGENT_F_* */
	char comm[16];
	char message[BPFTIME_MSG_LEN]; /* last notable event (failure reason, fallback used) */
};
#define BPFTIME_AGENT_F_SYSCALLS 1u /* syscall hooks installed with zpoline */
#define BPFTIME_AGENT_F_SUD 2u      /* syscall hooks through Syscall User Dispatch (fallback) */
_Static_assert(sizeof(struct bpftime_agent_entry) == 48 + 16 + 128, "agent entry size");

/* ----------------------------------------------------------------------------------------------------------------
 * The log ring: trace_printk output and agent messages, one record per line.
 */
enum bpftime_log_kind {
	BPFTIME_LOG_TRACE = 1, /* bpf_trace_printk output */
	BPFTIME_LOG_INFO = 2,
	BPFTIME_LOG_WARN = 3,
	BPFTIME_LOG_ERROR = 4,
};

struct bpftime_log_rec {
	uint64_t time_ns; /* CLOCK_MONOTONIC (the clock of bpf_ktime_get_ns) */
	uint32_t pid;
	uint32_t tid;
	uint32_t kind;    /* enum bpftime_log_kind */
	uint32_t prog_id; /* program that wrote it, 0 for agent messages */
	/* text (not NUL-terminated) up to the record's length */
};
_Static_assert(sizeof(struct bpftime_log_rec) == 24, "log record header is 24 bytes");
#define BPFTIME_LOG_MAX_TEXT 1024u

/* ----------------------------------------------------------------------------------------------------------------
 * The fixed part of the segment, at offset 0. The heap follows it.
 */
struct bpftime_shm {
	struct bpftime_shm_header hdr;
	struct bpftime_map_def maps[BPFTIME_MAX_MAPS];
	struct bpftime_prog_entry progs[BPFTIME_MAX_PROGS];
	struct bpftime_attach_entry attach[BPFTIME_MAX_ATTACH];
	struct bpftime_agent_entry agents[BPFTIME_MAX_AGENTS];
	/* page aligned: a ring's records find its control page by page distance (pg_off) */
	struct bpftime_ringbuf log __attribute__((aligned(BPFTIME_PAGE_SIZE)));
	uint8_t log_data[BPFTIME_LOG_SIZE];
};
_Static_assert(offsetof(struct bpftime_shm, maps) == BPFTIME_PAGE_SIZE, "map table after the header page");
_Static_assert(offsetof(struct bpftime_shm, log) % BPFTIME_PAGE_SIZE == 0, "log ring control is page aligned");
_Static_assert(sizeof(struct bpftime_shm) % BPFTIME_PAGE_SIZE == 0, "the heap starts on a page");

/* ================================================================================================================
 * Segment management. A struct bpftime_seg is this process's view of a segment (its mapping, cached map views).
 */
struct bpftime_seg;

struct bpftime_seg_opts {
	uint64_t size;      /* create: bytes (0: BPFTIME_SEG_DEFAULT_SIZE), page multiple <= BPFTIME_SEG_MAX_SIZE */
	int64_t owner_uid;  /* create: uid owning the segment (-1: the caller's effective uid); needs root to differ */
	void *map_at;       /* map at this address (MAP_FIXED), e.g. inside a linear memory reservation; NULL: anywhere */
	uint32_t flags;     /* BPFTIME_SEG_F_* */
};
#define BPFTIME_SEG_F_ALLOW_STALE 1u /* open: accept a segment whose creator is gone (to inspect a crashed session) */

/*
 * bpftime_seg_create creates the segment `name` (mode 0600). A segment of that name whose creator is alive is
 * -EEXIST; one whose creator is gone (stale: a dead session) is replaced.
 */
int bpftime_seg_create(const char *name, const struct bpftime_seg_opts *opts, struct bpftime_seg **out, char *err,
		       size_t errlen);

/*
 * bpftime_seg_open maps an existing segment after checking its magic, layout version, size, owner and that its
 * session is alive (-ENOENT none, -EPROTO not a segment or another layout, -EACCES owner, -ESTALE dead session).
 */
int bpftime_seg_open(const char *name, const struct bpftime_seg_opts *opts, struct bpftime_seg **out, char *err,
		     size_t errlen);

/* bpftime_seg_close unmaps the segment in this process (the segment itself stays). */
void bpftime_seg_close(struct bpftime_seg *seg);

/* bpftime_seg_unlink removes the name (mappings stay valid until closed); marks the session ended first. */
int bpftime_seg_unlink(struct bpftime_seg *seg);

/* bpftime_seg_shm returns the mapped segment's fixed part (its first byte). */
struct bpftime_shm *bpftime_seg_shm(struct bpftime_seg *seg);

/* bpftime_seg_base returns the host address of the segment's first byte in this process. */
void *bpftime_seg_base(struct bpftime_seg *seg);

/* bpftime_seg_size returns the segment's size in bytes. */
uint64_t bpftime_seg_size(struct bpftime_seg *seg);

/* bpftime_seg_is_stale tells whether the creator recorded in a header is gone (1), alive (0). */
int bpftime_seg_is_stale(const struct bpftime_shm_header *hdr);

/* bpftime_proc_start_time reads field 22 of /proc/PID/stat; 0 when the process does not exist. */
uint64_t bpftime_proc_start_time(uint32_t pid);

/*
 * bpftime_shm_alloc allocates `size` bytes of the heap aligned to `align` (a power of two, at least 64); returns the
 * offset of the block, zero-filled, or 0 with `err` set (-ENOSPC) when it does not fit.
 */
uint64_t bpftime_shm_alloc(struct bpftime_seg *seg, uint64_t size, uint64_t align, char *err, size_t errlen);

/* bpftime_shm_free returns a block from bpftime_shm_alloc. */
void bpftime_shm_free(struct bpftime_seg *seg, uint64_t off);

/* bpftime_shm_heap_free_bytes returns the bytes still free in the heap (largest request that fits is at most this). */
uint64_t bpftime_shm_heap_free_bytes(struct bpftime_seg *seg);

/* ================================================================================================================
 * Tables. Adders fill a slot and publish it (state READY, release); they return the new id or -errno (-ENOSPC when
 * the table is full). Readers take a copy.
 */
int bpftime_prog_add(struct bpftime_seg *seg, const struct bpftime_prog_entry *prog, char *err, size_t errlen);
int bpftime_prog_remove(struct bpftime_seg *seg, uint32_t id);
struct bpftime_prog_entry *bpftime_prog_get(struct bpftime_seg *seg, uint32_t id);
/* bpftime_prog_set_enabled enables (clearing the fault) or disables a program. */
int bpftime_prog_set_enabled(struct bpftime_seg *seg, uint32_t id, int enabled);
/* bpftime_prog_fault disables a program with its reason, pc and message, and logs it; first fault wins. */
int bpftime_prog_fault(struct bpftime_seg *seg, uint32_t id, enum bpftime_fault fault, uint32_t pc, const char *msg);

int bpftime_attach_add(struct bpftime_seg *seg, const struct bpftime_attach_entry *att, char *err, size_t errlen);
int bpftime_attach_remove(struct bpftime_seg *seg, uint32_t id);
struct bpftime_attach_entry *bpftime_attach_get(struct bpftime_seg *seg, uint32_t id);
/* bpftime_attach_counters returns this CPU's counters of attachment `id` (hot path: no check of id). */
struct bpftime_attach_counters *bpftime_attach_counters(struct bpftime_seg *seg, uint32_t id);
/* bpftime_attach_hit counts one hit of attachment `id` on this CPU. */
void bpftime_attach_hit(struct bpftime_seg *seg, uint32_t id);
void bpftime_attach_miss(struct bpftime_seg *seg, uint32_t id);
/* bpftime_attach_totals sums an attachment's counters over every CPU. */
void bpftime_attach_totals(struct bpftime_seg *seg, uint32_t id, struct bpftime_attach_counters *out);

/* bpftime_agent_register registers the calling process; returns the agent id or -errno. */
int bpftime_agent_register(struct bpftime_seg *seg, enum bpftime_agent_mode mode, char *err, size_t errlen);
struct bpftime_agent_entry *bpftime_agent_get(struct bpftime_seg *seg, uint32_t id);
int bpftime_agent_set_state(struct bpftime_seg *seg, uint32_t id, enum bpftime_agent_state state, const char *msg);
/* bpftime_agent_reap frees registrations of processes that are gone; returns how many. */
int bpftime_agent_reap(struct bpftime_seg *seg);

/* bpftime_tables_changed bumps header.tables_gen and wakes agents waiting on it. */
void bpftime_tables_changed(struct bpftime_seg *seg);
/* bpftime_tables_wait sleeps until tables_gen differs from `seen` or `timeout_ms` passes; returns the current gen. */
uint32_t bpftime_tables_wait(struct bpftime_seg *seg, uint32_t seen, int timeout_ms);

/*
 * bpftime_log writes a record to the log ring (text truncated to BPFTIME_LOG_MAX_TEXT); -EAGAIN (and the ring's
 * `lost` counted) when the ring is full.
 */
int bpftime_log(struct bpftime_seg *seg, enum bpftime_log_kind kind, uint32_t prog_id, const char *text, size_t len);
/* bpftime_logf formats like printf, then bpftime_log. */
int bpftime_logf(struct bpftime_seg *seg, enum bpftime_log_kind kind, uint32_t prog_id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* bpftime_log_read calls fn for each record, oldest first, consuming it; returns how many, or fn's negative result. */
typedef int (*bpftime_log_fn)(void *ctx, const struct bpftime_log_rec *rec, const char *text, uint32_t len);
int bpftime_log_read(struct bpftime_seg *seg, bpftime_log_fn fn, void *ctx, uint32_t max);

#ifdef __cplusplus
}
#endif
#endif /* BPFTIME_SHM_H */
