// Socket-level fast paths, as sockmap users (service meshes, Cilium's socket load balancing) write them.
// add_established (sockops): each TCP connection that becomes established is added to a sockhash keyed by its local
// port. redirect_to_peer (sk_msg): what a socket sends goes straight into the receive queue of the local socket whose
// port is the sender's peer port, skipping the TCP/IP stack; sends to other peers take the normal path.
// vxlan_key (tc): packets for 10.1.0.0/16 get VXLAN metadata (VNI from the third octet of the destination, remote
// endpoint 192.168.0.2) and go to a collect_md VXLAN device, ifindex 4.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

SEC("sockops")
int add_established(struct bpf_sock_ops *ops)
{
	__u32 port = ops->local_port;
	if (ops->op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB || ops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB)
		bpf_sock_hash_update(ops, &socks, &port, BPF_ANY);
	return 1;
}

SEC("sk_msg")
int redirect_to_peer(struct sk_msg_md *msg)
{
	__u32 peer = bpf_ntohl(msg->remote_port);
	// SK_PASS either way: with the redirect recorded the message goes to the peer, without it the normal way.
	bpf_msg_redirect_hash(msg, &socks, &peer, BPF_F_INGRESS);
	return SK_PASS;
}

#define VXLAN_IFINDEX 4

SEC("tc")
int vxlan_key(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	__u32 dst = bpf_ntohl(ip->daddr);
	if ((dst >> 16) != 0x0a01)
		return TC_ACT_OK;
	struct bpf_tunnel_key key = {
		.tunnel_id = (dst >> 8) & 0xff,
		.remote_ipv4 = 0xc0a80002, /* 192.168.0.2, host order */
		.tunnel_ttl = 64,
	};
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX))
		return TC_ACT_SHOT;
	return bpf_redirect(VXLAN_IFINDEX, 0);
}
