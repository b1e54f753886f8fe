// SPDX-License-Identifier: MIT
/*
 * A uprobe-style program: counts calls of a probed `add(int a, int b)` per first argument (hash map), keeps a log2
 * histogram of the second (array map) and a running sum (per-CPU array), updates global variables, and calls a
 * subprogram. Try it without any process to attach to:
 *
 *   npx bpftime-vm run examples/counter.bpf.o --args 3,4
 */
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} histogram SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sum SEC(".maps");

__u64 invocations;              /* .bss */
__s32 last_a = -1;              /* .data */
const volatile __u32 scale = 10; /* .rodata: set before loading, read-only for the program */

/* log2_bucket is a bpf-to-bpf call: floor(log2(v)), capped at 15. */
static __noinline __u32 log2_bucket(__u64 v)
{
	__u32 r = 0;

	for (int i = 0; i < 15 && v > 1; i++) {
		v >>= 1;
		r++;
	}
	return r;
}

SEC("uprobe/./target:add")
int BPF_KPROBE(count_add, int a, int b)
{
	__u32 key = a, bucket, zero = 0;
	__u64 one = 1, *n, *h, *s;

	n = bpf_map_lookup_elem(&calls, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&calls, &key, &one, BPF_NOEXIST);

	bucket = log2_bucket(b);
	h = bpf_map_lookup_elem(&histogram, &bucket);
	if (h)
		*h += 1;

	s = bpf_map_lookup_elem(&sum, &zero);
	if (s)
		*s += a + b;

	invocations++;
	last_a = a;
	bpf_printk("add(%d, %d): call %llu", a, b, invocations);
	return (a + b) * scale;
}
