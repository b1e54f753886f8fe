// Growing and shrinking packets, as tunnel endpoints do. xdp_tunnel: IPv4 packets for 10.1.0.0/16 are encapsulated in
// IP-in-IP (bpf_xdp_adjust_head by -20, an outer header with its checksum) and sent back out; IP-in-IP packets are
// decapsulated (bpf_xdp_adjust_head by +20); Ethernet padding after the IP packet is trimmed (bpf_xdp_adjust_tail
// shrinking); UDP packets to port 9 get an 8-byte trailer (bpf_xdp_adjust_tail growing). tc_tunnel does the same
// encapsulation with bpf_skb_adjust_room (BPF_F_ADJ_ROOM_ENCAP_L3_IPV4), decapsulation with a negative room, and trims
// padding with bpf_skb_change_tail.
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 tunnel_src = __bpf_constant_htonl(0xc0a80001); /* 192.168.0.1 */
const volatile __u32 tunnel_dst = __bpf_constant_htonl(0xc0a80002); /* 192.168.0.2 */

#define TRAILER 8

static __always_inline __u16 ip_checksum(struct iphdr *ip)
{
	__u32 s = 0;
	__u16 *w = (__u16 *)ip;
#pragma unroll
	for (int i = 0; i < 10; i++)
		s += w[i];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

static __always_inline void outer_header(struct iphdr *outer, __u16 inner_len, __u8 tos)
{
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000);
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = tunnel_src;
	outer->daddr = tunnel_dst;
	outer->check = ip_checksum(outer);
}

static __always_inline int encap(struct xdp_md *ctx, __u16 inner_len, __u8 tos)
{
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *outer = data + sizeof(*eth);
	if ((void *)(outer + 1) > end)
		return XDP_DROP;
	__builtin_memmove(eth, data + sizeof(struct iphdr), sizeof(*eth));
	outer_header(outer, inner_len, tos);
	return XDP_TX;
}

static __always_inline int decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (data + sizeof(struct ethhdr) + sizeof(struct iphdr) > end)
		return XDP_DROP;
	__builtin_memmove(data + sizeof(struct iphdr), data, sizeof(struct ethhdr));
	if (bpf_xdp_adjust_head(ctx, sizeof(struct iphdr)))
		return XDP_DROP;
	return XDP_PASS;
}

SEC("xdp")
int xdp_tunnel(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	__u32 frame = end - data;
	__u16 len = bpf_ntohs(ip->tot_len);
	if (len < sizeof(*ip) || len > 1500)
		return XDP_DROP;
	if (ip->protocol == IPPROTO_IPIP && ip->ihl == 5)
		return decap(ctx);
	if ((ip->daddr & bpf_htonl(0xffff0000)) == bpf_htonl(0x0a010000))
		return encap(ctx, len, ip->tos);
	if (frame > sizeof(*eth) + len) {
		/* Padding after the IP packet (short frames are padded to 60 bytes). */
		if (bpf_xdp_adjust_tail(ctx, -(int)(frame - sizeof(*eth) - len)))
			return XDP_DROP;
		return XDP_PASS;
	}
	if (ip->protocol == IPPROTO_UDP && ip->ihl == 5) {
		struct udphdr *udp = (void *)(ip + 1);
		if ((void *)(udp + 1) > end || udp->dest != bpf_htons(9))
			return XDP_PASS;
		if (bpf_xdp_adjust_tail(ctx, TRAILER))
			return XDP_DROP;
		data = (void *)(long)ctx->data;
		end = (void *)(long)ctx->data_end;
		/* The trailer starts where the frame ended (pkt_end itself cannot be offset). */
		if (frame > 1600)
			return XDP_DROP;
		__u8 *t = data + frame;
		if ((void *)(t + TRAILER) > end)
			return XDP_DROP;
		__builtin_memcpy(t, "BPFTIME!", TRAILER);
		return XDP_TX;
	}
	return XDP_PASS;
}

SEC("tc")
int tc_tunnel(struct __sk_buff *skb)
{
	struct iphdr ip;
	if (skb->protocol != bpf_htons(ETH_P_IP) || bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0)
		return TC_ACT_OK;
	__u16 len = bpf_ntohs(ip.tot_len);
	if (len < sizeof(ip) || len > 1500)
		return TC_ACT_SHOT;
	if (ip.protocol == IPPROTO_IPIP && ip.ihl == 5) {
		if (bpf_skb_adjust_room(skb, -(int)sizeof(ip), BPF_ADJ_ROOM_MAC, 0))
			return TC_ACT_SHOT;
		return TC_ACT_OK;
	}
	if ((ip.daddr & bpf_htonl(0xffff0000)) == bpf_htonl(0x0a010000)) {
		struct iphdr outer = {};
		if (bpf_skb_adjust_room(skb, sizeof(outer), BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_FIXED_GSO))
			return TC_ACT_SHOT;
		outer_header(&outer, len, ip.tos);
		if (bpf_skb_store_bytes(skb, ETH_HLEN, &outer, sizeof(outer), 0))
			return TC_ACT_SHOT;
		return bpf_redirect(skb->ifindex, 0);
	}
	if (skb->len > ETH_HLEN + len) {
		if (bpf_skb_change_tail(skb, ETH_HLEN + len, 0))
			return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}
