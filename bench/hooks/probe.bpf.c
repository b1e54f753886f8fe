// SPDX-License-Identifier: MIT
/*
 * The programs `npm run bench -- hooks` attaches (bench/hooks.ts): each does what a counting probe does, a hash map
 * lookup and an atomic increment (the map update of the goal), at a uprobe and a uretprobe of bench_fn in
 * bench/hooks/target.c and at the getppid syscall tracepoint. The same object runs on our agent and, loaded by
 * bench/hooks/kload.c with libbpf, in the kernel. Two more uprobe programs break a hit's cost down (our agent
 * only): one that does nothing, one that looks the counter up without incrementing it.
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int count(__u32 key)
{
	__u64 *n = bpf_map_lookup_elem(&hits, &key), one = 1;
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&hits, &key, &one, BPF_NOEXIST);
	return 0;
}

SEC("uprobe/hooks-target:bench_fn")
int on_entry(struct pt_regs *ctx)
{
	return count(1);
}

SEC("uprobe/hooks-target:bench_fn")
int on_entry_empty(struct pt_regs *ctx)
{
	return 0;
}

SEC("uprobe/hooks-target:bench_fn")
int on_entry_lookup(struct pt_regs *ctx)
{
	__u32 key = 1;
	__u64 *n = bpf_map_lookup_elem(&hits, &key);
	return n ? (int)*n : 0;
}

SEC("uretprobe/hooks-target:bench_fn")
int on_return(struct pt_regs *ctx)
{
	return count(2);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	return count(3);
}
