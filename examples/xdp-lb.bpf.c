// An XDP layer-4 load balancer in the style of katran and the xdp-tutorial: TCP and UDP packets for the virtual IP
// (10.0.0.100 or fd00::100, port 80) go to a backend chosen by a hash of the client's address and port; the program
// rewrites the destination address and MACs, decrements the TTL, fixes the IPv4 header checksum by hand (RFC 1624) and
// the TCP/UDP checksum with bpf_csum_diff, then sends the packet back out (XDP_TX) or, when the backend's entry of the
// devmap names a device, to that device (XDP_REDIRECT). ICMP echo requests to the VIP are answered in place. Fragments
// and other ports of the VIP are dropped; everything else passes. Counters per backend live in an array map.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* linux/icmp.h needs the C library's headers; the echo header is all this program reads. */
struct icmphdr {
	__u8 type;
	__u8 code;
	__u16 checksum;
	__u16 id;
	__u16 sequence;
};
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

#define NBACKENDS 4
#define VIP_PORT 80

/* The VIP and the backends: settable before load (bpftime-vm run --set vip=..., as a skeleton would). */
const volatile __u32 vip = __bpf_constant_htonl(0x0a000064); /* 10.0.0.100 */
const volatile __u32 backend_ip[NBACKENDS] = {
	__bpf_constant_htonl(0x0a000101), __bpf_constant_htonl(0x0a000102),
	__bpf_constant_htonl(0x0a000103), __bpf_constant_htonl(0x0a000104),
};
/* IPv6 backends are fd00::1:N: the VIP fd00::100 with its last 32 bits replaced. */
const volatile __u32 backend_ip6_low[NBACKENDS] = {
	__bpf_constant_htonl(0x00010001), __bpf_constant_htonl(0x00010002),
	__bpf_constant_htonl(0x00010003), __bpf_constant_htonl(0x00010004),
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NBACKENDS);
	__type(key, __u32);
	__type(value, struct counters);
} stats SEC(".maps");

/* Backends reached through another device: their index maps to it; an empty entry means XDP_TX. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, NBACKENDS);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

static __always_inline __u16 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* RFC 1624 incremental update of a checksum for a 16-bit word changing from `from` to `to`. */
static __always_inline __u16 csum_replace2(__u16 check, __u16 from, __u16 to)
{
	return fold((__u16)~check + (__u16)~from + to);
}

static __always_inline __u16 csum_replace4(__u16 check, __u32 from, __u32 to)
{
	__u32 s = (__u16)~check;
	s += (__u16)~from + (__u16)(~from >> 16) + (to & 0xffff) + (to >> 16);
	return fold(s);
}

/* The transport checksum after replacing `n` bytes of a pseudo-header address, with bpf_csum_diff. */
static __always_inline __u16 l4_update(__u16 check, __u32 *from, __u32 *to, __u32 n)
{
	__s64 s = bpf_csum_diff(from, n, to, n, (__u16)~check);
	return fold((__u32)s);
}

static __always_inline __u32 pick(__u32 addr, __u16 port)
{
	__u32 h = addr * 2654435761u ^ port * 40503u;
	return (h ^ (h >> 16)) % NBACKENDS;
}

static __always_inline void count(__u32 idx, __u64 len)
{
	struct counters *c = bpf_map_lookup_elem(&stats, &idx);
	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

static __always_inline void set_macs(struct ethhdr *eth, __u32 idx)
{
	__u8 old_dst[ETH_ALEN];
	__builtin_memcpy(old_dst, eth->h_dest, ETH_ALEN);
	/* Backends' MACs are 02:00:00:00:01:N. */
	__u8 backend_mac[ETH_ALEN] = { 2, 0, 0, 0, 1, (__u8)(idx + 1) };
	__builtin_memcpy(eth->h_dest, backend_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old_dst, ETH_ALEN);
}

static __always_inline int echo_reply(struct ethhdr *eth, struct iphdr *ip, struct icmphdr *icmp)
{
	if (icmp->type != ICMP_ECHO || icmp->code != 0)
		return XDP_PASS;
	__u32 a = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = a;
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = csum_replace2(icmp->checksum, bpf_htons(ICMP_ECHO << 8), bpf_htons(ICMP_ECHOREPLY << 8));
	__u8 mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	return XDP_TX;
}

/* The client's port and the checksum field of a TCP or UDP packet for the VIP's port; -1 for anything else. */
static __always_inline int vip_ports(__u8 proto, void *l4, void *end, __u16 *sport, __u16 **check)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;
		if ((void *)(tcp + 1) > end || tcp->dest != bpf_htons(VIP_PORT))
			return -1;
		*sport = tcp->source;
		*check = &tcp->check;
		return 0;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;
		if ((void *)(udp + 1) > end || udp->dest != bpf_htons(VIP_PORT))
			return -1;
		*sport = udp->source;
		*check = &udp->check;
		return 0;
	}
	return -1;
}

static __always_inline int forward(struct xdp_md *ctx, __u32 idx)
{
	count(idx, ctx->data_end - ctx->data);
	return bpf_redirect_map(&tx_port, idx, XDP_TX);
}

static __always_inline int lb4(struct xdp_md *ctx, struct ethhdr *eth, struct iphdr *ip, void *end)
{
	if (ip->daddr != vip)
		return XDP_PASS;
	if (ip->ihl < 5)
		return XDP_DROP;
	void *l4 = (void *)ip + ip->ihl * 4;
	if (ip->protocol == IPPROTO_ICMP) {
		struct icmphdr *icmp = l4;
		if ((void *)(icmp + 1) > end)
			return XDP_DROP;
		return echo_reply(eth, ip, icmp);
	}
	if (ip->frag_off & bpf_htons(0x3fff))
		return XDP_DROP;
	__u16 sport, *check;
	if (vip_ports(ip->protocol, l4, end, &sport, &check))
		return XDP_DROP;
	if (ip->ttl <= 1)
		return XDP_PASS; /* the stack sends the ICMP time exceeded */
	__u32 idx = pick(ip->saddr, sport);
	__u32 old = ip->daddr, new = backend_ip[idx & (NBACKENDS - 1)];
	/* A UDP checksum of 0 means none (IPv4): it stays 0. */
	if (ip->protocol == IPPROTO_TCP || *check) {
		__u16 c = l4_update(*check, &old, &new, 4);
		*check = ip->protocol == IPPROTO_UDP && c == 0 ? 0xffff : c;
	}
	ip->daddr = new;
	__u16 ttl_old = *(__u16 *)&ip->ttl;
	ip->ttl--;
	ip->check = csum_replace2(csum_replace4(ip->check, old, new), ttl_old, *(__u16 *)&ip->ttl);
	set_macs(eth, idx);
	return forward(ctx, idx);
}

static __always_inline int lb6(struct xdp_md *ctx, struct ethhdr *eth, struct ipv6hdr *ip6, void *end)
{
	/* fd00::100 */
	if (ip6->daddr.in6_u.u6_addr32[0] != bpf_htonl(0xfd000000) || ip6->daddr.in6_u.u6_addr32[1] ||
	    ip6->daddr.in6_u.u6_addr32[2] || ip6->daddr.in6_u.u6_addr32[3] != bpf_htonl(0x100))
		return XDP_PASS;
	__u16 sport, *check;
	if (vip_ports(ip6->nexthdr, (void *)(ip6 + 1), end, &sport, &check))
		return XDP_DROP;
	if (ip6->hop_limit <= 1)
		return XDP_PASS;
	__u32 idx = pick(ip6->saddr.in6_u.u6_addr32[3], sport);
	__u32 old = ip6->daddr.in6_u.u6_addr32[3], new = backend_ip6_low[idx & (NBACKENDS - 1)];
	__u16 c = l4_update(*check, &old, &new, 4);
	*check = ip6->nexthdr == IPPROTO_UDP && c == 0 ? 0xffff : c;
	ip6->daddr.in6_u.u6_addr32[3] = new;
	ip6->hop_limit--;
	set_macs(eth, idx);
	return forward(ctx, idx);
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	void *l3 = eth + 1;
	__u16 proto = eth->h_proto;
	/* One 802.1Q tag is looked through. */
	if (proto == bpf_htons(ETH_P_8021Q)) {
		if (l3 + 4 > end)
			return XDP_DROP;
		proto = *(__u16 *)(l3 + 2);
		l3 += 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > end)
			return XDP_DROP;
		return lb4(ctx, eth, ip, end);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		return lb6(ctx, eth, ip6, end);
	}
	return XDP_PASS;
}
