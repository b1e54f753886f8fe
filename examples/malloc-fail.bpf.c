// SPDX-License-Identifier: MIT
/*
 * Error injection: malloc requests of one size (fail_size, 4242 bytes unless set with --set) return NULL without
 * running malloc, through bpf_override_return at the uprobe on malloc's entry; every injected failure is counted.
 *
 *   npx bpftime-vm trace examples/malloc-fail.bpf.o -- examples/targets/mallocs inject
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

const volatile __u64 fail_size = 4242;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} injected SEC(".maps");

SEC("uprobe/libc.so.6:malloc")
int BPF_KPROBE(fail_malloc, unsigned long size)
{
	__u32 zero = 0;

	if (size != fail_size)
		return 0;
	__u64 *n = bpf_map_lookup_elem(&injected, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_override_return(ctx, 0);
	return 0;
}
