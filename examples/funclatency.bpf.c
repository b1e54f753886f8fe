// SPDX-License-Identifier: MIT
/*
 * funclatency: a log2 histogram of the time spent in a function, from a uprobe at its entry and a uretprobe at its
 * return (the entry time kept per thread). Here the function is work() of examples/targets/workload (the binary
 * named by its basename, which the agent matches against the files a process maps); bucket k counts calls that took
 * [2^k, 2^(k+1)) nanoseconds.
 *
 *   npx bpftime-vm trace examples/funclatency.bpf.o -- examples/targets/workload 20
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* thread id */
	__type(value, __u64); /* entry time */
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);   /* log2 of the latency in ns */
	__type(value, __u64); /* calls */
} hist SEC(".maps");

SEC("uprobe/workload:work")
int BPF_KPROBE(work_enter)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("uretprobe/workload:work")
int BPF_KRETPROBE(work_return)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *t0 = bpf_map_lookup_elem(&start, &tid);
	if (!t0)
		return 0;
	__u64 delta = bpf_ktime_get_ns() - *t0;
	__u32 slot = 0;
	for (int i = 0; i < 63 && (delta >> 1); i++) {
		delta >>= 1;
		slot++;
	}
	__u64 *n = bpf_map_lookup_elem(&hist, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_map_delete_elem(&start, &tid);
	return 0;
}
