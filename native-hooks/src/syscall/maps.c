/*
 * maps.c: reading this process's mappings (/proc/self/maps, read whole before walking it, since rewriting code
 * splits mappings) and the executable sections of an ELF file (where instructions start: the rewriter disassembles
 * sections, not whole mappings, so read-only data sharing a mapping with code is never decoded as code).
 */
#include <elf.h>
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

int zp_exec_sections(int fd, uint64_t off, uint64_t len, void (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
	    eh.e_shnum > 4096)
		return -1;
	Elf64_Shdr *sh = malloc(sizeof(*sh) * eh.e_shnum);
	if (!sh)
		return -1;
	int found = -1;
	if (pread(fd, sh, sizeof(*sh) * eh.e_shnum, (off_t)eh.e_shoff) == (ssize_t)(sizeof(*sh) * eh.e_shnum)) {
		found = 0;
		for (unsigned i = 0; i < eh.e_shnum; i++) {
			if (sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_EXECINSTR))
				continue;
			uint64_t lo = sh[i].sh_offset, hi = sh[i].sh_offset + sh[i].sh_size;
			if (lo < off)
				lo = off;
			if (hi > off + len)
				hi = off + len;
			if (lo < hi) {
				fn(arg, lo - off, hi - lo);
				found++;
			}
		}
	}
	free(sh);
	return found;
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
