// SPDX-License-Identifier: MIT
/*
 * Tail calls through a program array initialised in the object (`.values`): an XDP dispatcher jumps to the handler
 * for the protocol number in the first packet byte, and falls back to XDP_PASS when there is none.
 *
 *   npx bpftime-vm run examples/tailcall.bpf.o --prog dispatch --mem 11
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	return 600;
}

SEC("xdp")
int handle_udp(struct xdp_md *ctx)
{
	return 1700;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 32);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} handlers SEC(".maps") = {
	.values = {
		[6] = (void *)&handle_tcp,
		[17] = (void *)&handle_udp,
	},
};

SEC("xdp")
int dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 proto;

	if (data + 1 > end)
		return XDP_ABORTED;
	proto = *(__u8 *)data;
	bpf_tail_call(ctx, &handlers, proto);
	return XDP_PASS;
}
