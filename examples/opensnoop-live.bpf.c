// SPDX-License-Identifier: MIT
/*
 * opensnoop-live: every openat of the traced processes, with its file name (read from the process with
 * bpf_probe_read_user_str), flags and result, sent through a ring buffer. The enter tracepoint keeps the arguments
 * per thread; the exit tracepoint completes the event with the result.
 *
 *   npx bpftime-vm trace examples/opensnoop-live.bpf.o -- cat /etc/hostname
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* The tracefs layouts of syscalls/sys_enter_openat and sys_exit_openat: 8 bytes of common fields, int
 * __syscall_nr, then the arguments (8 bytes each, from offset 16) or the result. */
struct sys_enter_ctx {
	__u64 common;
	int nr;
	int pad;
	unsigned long args[4];
};

struct sys_exit_ctx {
	__u64 common;
	int nr;
	int pad;
	long ret;
};

struct open_args {
	__u64 fname;
	__s32 flags;
};

struct open_event {
	__u32 pid;
	__u32 tid;
	__s32 ret;
	__s32 flags;
	char comm[16];
	char fname[256];
};

/* Keeps struct open_event in the object's BTF, so bpftime-vm decodes the records. */
struct open_event *open_event_type __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct open_args);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} opens SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct sys_enter_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args a;

	/* Cleared whole, its 4 bytes of tail padding too: the verifier lets no helper read stack bytes the program did
	 * not write (bpf_map_update_elem copies all 16). */
	__builtin_memset(&a, 0, sizeof(a));
	a.fname = ctx->args[1];
	a.flags = (__s32)ctx->args[2];

	bpf_map_update_elem(&pending, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct open_args *a = bpf_map_lookup_elem(&pending, &tid);
	if (!a)
		return 0;
	struct open_event *e = bpf_ringbuf_reserve(&opens, sizeof(*e), 0);
	if (e) {
		e->pid = id >> 32;
		e->tid = tid;
		e->ret = (__s32)ctx->ret;
		e->flags = a->flags;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_probe_read_user_str(e->fname, sizeof(e->fname), (const void *)a->fname);
		bpf_ringbuf_submit(e, 0);
	}
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}
