/*
 * maps.c: reading this process's mappings (/proc/self/maps, read whole before walking it, since rewriting code
 * splits mappings).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "maps.h"

static char *read_maps(size_t *len)
{
	int fd = (int)bpftime_syscall_raw(SYS_open, (long)"/proc/self/maps", O_RDONLY | O_CLOEXEC, 0, 0, 0, 0);
	if (fd < 0)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 4096 > cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		long r = bpftime_syscall_raw(SYS_read, fd, (long)(buf + n), (long)(cap - n - 1), 0, 0, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	bpftime_syscall_raw(SYS_close, fd, 0, 0, 0, 0, 0);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

int zp_maps_each(int (*fn)(void *, const struct zp_mapping *), void *arg)
{
	size_t len;
	char *buf = read_maps(&len);
	if (!buf)
		return -ENOMEM;
	int rc = 0;
	for (char *line = buf, *next; line && *line && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		struct zp_mapping m = { 0 };
		unsigned long start, end, offset, inode;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*x:%*x %lu %n", &start, &end, perms, &offset, &inode, &pos) < 5)
			continue;
		m.start = start;
		m.end = end;
		m.offset = offset;
		m.inode = inode;
		memcpy(m.perms, perms, 4);
		snprintf(m.path, sizeof(m.path), "%s", pos ? line + pos : "");
		rc = fn(arg, &m);
	}
	free(buf);
	return rc;
}

struct self_find {
	uintptr_t at, lo, hi;
};

static int find_self(void *a, const struct zp_mapping *m)
{
	struct self_find *x = a;
	if (m->start <= x->at && x->at < m->end) {
		x->lo = m->start;
		x->hi = m->end;
		return 1;
	}
	return 0;
}

int zp_self_region(uintptr_t *lo, uintptr_t *hi)
{
	struct self_find s = { (uintptr_t)&bpftime_zp_entry, 0, 0 };
	zp_maps_each(find_self, &s);
	if (!s.lo)
		return -ENOENT;
	*lo = s.lo;
	*hi = s.hi;
	return 0;
}
