// The kernel's sockmap and sockhash syscall side as an oracle: opens five sockets on 127.0.0.1 (a TCP listener, both
// ends of an established TCP connection, a bound UDP socket and a connected one), prints their ports as one JSON line,
// then runs the map operations read from stdin, one per line, printing one JSON line each:
//   create NAME TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES FLAGS   -> {"errno": E}
//   update NAME KEYHEX FD FLAGS                               -> {"errno": E}   FD: sN (socket N), file (/dev/null), bad, huge
//   lookup NAME KEYHEX                                        -> {"errno": E, "socket": N}  (the socket whose SO_COOKIE it returned)
//   delete NAME KEYHEX                                        -> {"errno": E}
//   next NAME KEYHEX|-                                        -> {"errno": E, "key": HEX}
// Build: cc sockmap-ops.c -o sockmap-ops -lbpf
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "hex.h"

#define NSOCK 5
#define NMAPS 16

static int socks[NSOCK];
static struct {
	char name[64];
	int fd;
	unsigned key_size, value_size;
} maps[NMAPS];
static int nmaps;

static int die(const char *what)
{
	fprintf(stderr, "sockmap-ops: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int port_of(int fd, int peer)
{
	struct sockaddr_in a;
	socklen_t n = sizeof(a);
	if ((peer ? getpeername(fd, (void *)&a, &n) : getsockname(fd, (void *)&a, &n)) < 0)
		die("getsockname");
	return ntohs(a.sin_port);
}

static void open_sockets(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof(a);
	socks[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(socks[0], (void *)&a, sizeof(a)) || listen(socks[0], 4) || getsockname(socks[0], (void *)&a, &n))
		die("listen");
	socks[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(socks[1], (void *)&a, sizeof(a)))
		die("connect");
	socks[2] = accept(socks[0], NULL, NULL);
	if (socks[2] < 0)
		die("accept");
	struct sockaddr_in u = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socks[3] = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(socks[3], (void *)&u, sizeof(u)) || getsockname(socks[3], (void *)&u, &n))
		die("bind udp");
	socks[4] = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(socks[4], (void *)&u, sizeof(u)))
		die("connect udp");
	printf("{\"listen\":%d,\"client\":%d,\"udp\":%d,\"udp_client\":%d}\n", port_of(socks[0], 0), port_of(socks[1], 0),
	       port_of(socks[3], 0), port_of(socks[4], 0));
}


static int map_named(const char *name)
{
	for (int i = 0; i < nmaps; i++)
		if (!strcmp(maps[i].name, name))
			return i;
	fprintf(stderr, "sockmap-ops: no map %s\n", name);
	exit(2);
}

static unsigned long long fd_of(const char *spec)
{
	if (!strcmp(spec, "file")) {
		static int null_fd = -1;
		if (null_fd < 0)
			null_fd = open("/dev/null", O_RDONLY);
		return (unsigned long long)null_fd;
	}
	if (spec[0] == 's')
		return (unsigned long long)socks[atoi(spec + 1)];
	if (!strcmp(spec, "bad"))
		return 1000;
	return 0x80000000ULL;
}

int main(void)
{
	char line[512], name[64], a[256], b[64];
	unsigned type, ks, vs, max, flags;
	open_sockets();
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		unsigned char key[256] = {}, value[8] = {};
		int err = 0;
		if (sscanf(line, "create %63s %u %u %u %u %u", name, &type, &ks, &vs, &max, &flags) == 6) {
			LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
			int fd = bpf_map_create(type, name, ks, vs, max, &o);
			err = fd < 0 ? errno : 0;
			if (fd >= 0 && nmaps < NMAPS) {
				snprintf(maps[nmaps].name, sizeof(maps[nmaps].name), "%s", name);
				maps[nmaps].fd = fd;
				maps[nmaps].key_size = ks;
				maps[nmaps++].value_size = vs;
			}
			printf("{\"errno\":%d}\n", err);
		} else if (sscanf(line, "update %63s %255s %63s %u", name, a, b, &flags) == 4) {
			int m = map_named(name);
			unhex(a, key, sizeof(key));
			unsigned long long fd = fd_of(b);
			memcpy(value, &fd, maps[m].value_size == 8 ? 8 : 4);
			err = bpf_map_update_elem(maps[m].fd, key, value, flags) ? errno : 0;
			printf("{\"errno\":%d}\n", err);
		} else if (sscanf(line, "lookup %63s %255s", name, a) == 2) {
			int m = map_named(name);
			unsigned long long cookie = 0;
			unhex(a, key, sizeof(key));
			err = bpf_map_lookup_elem(maps[m].fd, key, &cookie) ? errno : 0;
			int which = -1;
			for (int i = 0; i < NSOCK && !err; i++) {
				unsigned long long c = 0;
				socklen_t n = sizeof(c);
				if (!getsockopt(socks[i], SOL_SOCKET, SO_COOKIE, &c, &n) && c == cookie)
					which = i;
			}
			printf("{\"errno\":%d,\"socket\":%d}\n", err, which);
		} else if (sscanf(line, "delete %63s %255s", name, a) == 2) {
			int m = map_named(name);
			unhex(a, key, sizeof(key));
			err = bpf_map_delete_elem(maps[m].fd, key) ? errno : 0;
			printf("{\"errno\":%d}\n", err);
		} else if (sscanf(line, "next %63s %255s", name, a) == 2) {
			int m = map_named(name);
			unsigned char next[256] = {};
			int first = !strcmp(a, "-");
			if (!first)
				unhex(a, key, sizeof(key));
			err = bpf_map_get_next_key(maps[m].fd, first ? NULL : key, next) ? errno : 0;
			printf("{\"errno\":%d,\"key\":\"", err);
			for (unsigned i = 0; !err && i < maps[m].key_size; i++)
				printf("%02x", next[i]);
			printf("\"}\n");
		} else {
			fprintf(stderr, "sockmap-ops: bad line %s", line);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
