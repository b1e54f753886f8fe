// The kernel running sk_skb and sk_msg programs on real sockets, where BPF_PROG_TEST_RUN cannot (ENOTSUPP): loads
// OBJECT (test/fixtures/packet/sockmap.bpf.c), opens a TCP listener L and two connections A-A2 and B-B2 (A2, B2 the
// accepted ends) on 127.0.0.1 and a bound UDP socket U, fills sock_map [A2, B2, L] and sock_hash {0: A2, 1: B2, 2: L,
// 3: U}, attaches `verdict` (mode skb: BPF_SK_SKB_STREAM_VERDICT) or `msg` (mode msg: BPF_SK_MSG_VERDICT) to sock_map,
// then for each hex line of stdin, on fresh sockets, sends it (skb: from A, so A2 receives it and the verdict runs;
// msg: from A2, whose send runs the program) and prints where the bytes arrived within 300 ms:
// {"sent": RESULT, "dest": "A"|"A2"|"B"|"B2"|"none", "data": HEX}.
// Build: cc sockmap-run.c -o sockmap-run -lbpf
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "hex.h"
#include <bpf/libbpf.h>

enum { L, A, A2, B, B2, U, NSOCK };
static const char *names[NSOCK] = { "L", "A", "A2", "B", "B2", "U" };
static int s[NSOCK];

static void die(const char *what)
{
	fprintf(stderr, "sockmap-run: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void open_sockets(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);
	int one = 1;
	s[L] = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(s[L], (void *)&a, sizeof(a)) || listen(s[L], 4) || getsockname(s[L], (void *)&a, &n))
		die("listen");
	for (int c = A; c <= B; c += 2) {
		s[c] = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s[c], (void *)&a, sizeof(a)))
			die("connect");
		s[c + 1] = accept(s[L], NULL, NULL);
		if (s[c + 1] < 0)
			die("accept");
		setsockopt(s[c], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(s[c + 1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	struct sockaddr_in u = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	s[U] = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(s[U], (void *)&u, sizeof(u)))
		die("bind udp");
}

static void put(int map, __u32 key, int fd)
{
	__u64 v = (__u64)fd;
	if (bpf_map_update_elem(map, &key, &v, BPF_ANY))
		die("map update");
}


int main(int argc, char **argv)
{
	if (argc != 3)
		return fprintf(stderr, "usage: %s OBJECT skb|msg\n", argv[0]), 2;
	int msg = !strcmp(argv[2], "msg");
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj))
		die("load");
	int map = bpf_map__fd(bpf_object__find_map_by_name(obj, "sock_map"));
	int hash = bpf_map__fd(bpf_object__find_map_by_name(obj, "sock_hash"));
	int prog = bpf_program__fd(bpf_object__find_program_by_name(obj, msg ? "msg" : "verdict"));
	if (bpf_prog_attach(prog, map, msg ? BPF_SK_MSG_VERDICT : BPF_SK_SKB_STREAM_VERDICT, 0))
		die("attach");
	static char line[8192];
	static unsigned char buf[4096], got[8192];
	while (fgets(line, sizeof(line), stdin)) {
		// Fresh sockets for each case: after an SK_DROP verdict the kernel keeps refusing the sender's data.
		open_sockets();
		put(map, 0, s[A2]);
		put(map, 1, s[B2]);
		put(map, 2, s[L]);
		put(hash, 0, s[A2]);
		put(hash, 1, s[B2]);
		put(hash, 2, s[L]);
		put(hash, 3, s[U]);
		size_t n = unhex(line, buf, sizeof(buf));
		ssize_t sent = send(s[msg ? A2 : A], buf, n, MSG_DONTWAIT);
		int sent_errno = sent < 0 ? errno : 0;
		int watch[] = { A, A2, B, B2 };
		struct pollfd p[4];
		for (int i = 0; i < 4; i++)
			p[i] = (struct pollfd){ .fd = s[watch[i]], .events = POLLIN };
		const char *dest = "none";
		size_t have = 0;
		if (poll(p, 4, 300) > 0) {
			for (int i = 0; i < 4; i++) {
				if (!(p[i].revents & POLLIN))
					continue;
				dest = names[watch[i]];
				// Give the rest of the bytes time to arrive, then read all of them.
				usleep(20000);
				ssize_t r;
				while ((r = recv(s[watch[i]], got + have, sizeof(got) - have, MSG_DONTWAIT)) > 0)
					have += (size_t)r;
				break;
			}
		}
		printf("{\"sent\":%zd,\"errno\":%d,\"dest\":\"%s\",\"data\":\"", sent, sent_errno, dest);
		for (size_t i = 0; i < have; i++)
			printf("%02x", got[i]);
		printf("\"}\n");
		fflush(stdout);
		for (int i = 0; i < NSOCK; i++)
			close(s[i]);
	}
	bpf_object__close(obj);
	return 0;
}
