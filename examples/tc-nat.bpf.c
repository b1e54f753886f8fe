// A tc port-forwarding NAT written the way cilium's and the kernel samples' tc programs are: headers read with
// bpf_skb_load_bytes, rewritten with bpf_skb_store_bytes, checksums fixed with bpf_l3_csum_replace and
// bpf_l4_csum_replace (the address change through the pseudo-header, BPF_F_MARK_MANGLED_0 for UDP), then the packet
// redirected. Incoming TCP/UDP to port 8080 of any address is forwarded to 10.0.2.1:80 out of device `out_ifindex`;
// replies from 10.0.2.1:80 are rewritten back to the public address and port 8080 and redirected to the ingress of
// `in_ifindex`. Telnet (port 23) is dropped; everything else goes on (TC_ACT_OK).
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 out_ifindex = 3;
const volatile __u32 in_ifindex = 2;
const volatile __u32 public_ip = __bpf_constant_htonl(0x0a000064); /* 10.0.0.100 */
const volatile __u32 private_ip = __bpf_constant_htonl(0x0a000201); /* 10.0.2.1 */
const volatile __u16 public_port = 8080;
const volatile __u16 private_port = 80;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);	/* client address */
	__type(value, __u64);	/* packets forwarded */
} clients SEC(".maps");

#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define IP_SRC_OFF (ETH_HLEN + offsetof(struct iphdr, saddr))
#define IP_DST_OFF (ETH_HLEN + offsetof(struct iphdr, daddr))

/* Rewrites the address at `addr_off` and the port at `port_off`, fixing the IP and transport checksums. */
static __always_inline int rewrite(struct __sk_buff *skb, __u32 l4_off, __u8 proto, __u32 addr_off, __u32 old_addr, __u32 new_addr,
				   __u32 port_off, __u16 old_port, __u16 new_port)
{
	__u32 csum_off = l4_off + (proto == IPPROTO_TCP ? offsetof(struct tcphdr, check) : offsetof(struct udphdr, check));
	__u64 mangled = proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	if (bpf_l4_csum_replace(skb, csum_off, old_addr, new_addr, BPF_F_PSEUDO_HDR | mangled | sizeof(new_addr)) < 0)
		return -1;
	if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_addr, new_addr, sizeof(new_addr)) < 0)
		return -1;
	if (bpf_skb_store_bytes(skb, addr_off, &new_addr, sizeof(new_addr), 0) < 0)
		return -1;
	if (bpf_l4_csum_replace(skb, csum_off, old_port, new_port, mangled | sizeof(new_port)) < 0)
		return -1;
	return bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), 0);
}

SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
	struct ethhdr eth;
	struct iphdr ip;
	__u16 ports[2];

	if (bpf_skb_load_bytes(skb, 0, &eth, sizeof(eth)) < 0 || eth.h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0 || ip.ihl < 5)
		return TC_ACT_OK;
	if (ip.protocol != IPPROTO_TCP && ip.protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	if (ip.frag_off & bpf_htons(0x1fff))
		return TC_ACT_OK; /* not the first fragment: no ports */
	__u32 l4_off = ETH_HLEN + ip.ihl * 4;
	if (bpf_skb_load_bytes(skb, l4_off, ports, sizeof(ports)) < 0)
		return TC_ACT_SHOT;
	if (ports[1] == bpf_htons(23))
		return TC_ACT_SHOT;
	if (ports[1] == bpf_htons(public_port)) {
		__u64 one = 1, *n = bpf_map_lookup_elem(&clients, &ip.saddr);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&clients, &ip.saddr, &one, BPF_ANY);
		if (rewrite(skb, l4_off, ip.protocol, IP_DST_OFF, ip.daddr, private_ip, l4_off + 2, ports[1], bpf_htons(private_port)) < 0)
			return TC_ACT_SHOT;
		return bpf_redirect(out_ifindex, 0);
	}
	if (ip.saddr == private_ip && ports[0] == bpf_htons(private_port)) {
		if (rewrite(skb, l4_off, ip.protocol, IP_SRC_OFF, ip.saddr, public_ip, l4_off, ports[0], bpf_htons(public_port)) < 0)
			return TC_ACT_SHOT;
		return bpf_redirect(in_ifindex, BPF_F_INGRESS);
	}
	return TC_ACT_OK;
}
