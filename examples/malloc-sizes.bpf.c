// SPDX-License-Identifier: MIT
/*
 * Counts calls of libc's malloc per size class (the request rounded up to a power of two, at least 16 bytes) in a
 * hash map, from a uprobe in every process of the session:
 *
 *   npx bpftime-vm trace examples/malloc-sizes.bpf.o -- ./some-program
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);   /* size class in bytes */
	__type(value, __u64); /* calls */
} sizes SEC(".maps");

SEC("uprobe/libc.so.6:malloc")
int BPF_KPROBE(count_malloc, unsigned long size)
{
	__u64 class = 16, one = 1;

	for (int i = 0; i < 60 && class < size; i++)
		class <<= 1;
	__u64 *n = bpf_map_lookup_elem(&sizes, &class);
	if (n)
		__sync_fetch_and_add(n, 1);
	else if (bpf_map_update_elem(&sizes, &class, &one, BPF_NOEXIST) == -17 /* EEXIST: another thread won */) {
		n = bpf_map_lookup_elem(&sizes, &class);
		if (n)
			__sync_fetch_and_add(n, 1);
	}
	return 0;
}
