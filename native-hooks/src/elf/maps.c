// /proc/self/maps reader (the kernel already lists mappings sorted by address).
#include "elf_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int bpftime_set_error(struct bpftime_hook_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

/* parse_line reads "start-end perms offset dev inode path" (path may contain spaces, or be absent). */
static int parse_line(char *line, struct bpftime_map_entry *e)
{
	unsigned long long start, end, off;
	char perms[5];
	int pathpos = 0;
	if (sscanf(line, "%llx-%llx %4s %llx %*s %*s %n", &start, &end, perms, &off, &pathpos) < 4)
		return -1;
	e->start = (uintptr_t)start;
	e->end = (uintptr_t)end;
	e->offset = off;
	e->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	char *path = pathpos ? line + pathpos : line + strlen(line);
	path[strcspn(path, "\n")] = 0;
	snprintf(e->path, sizeof e->path, "%s", path);
	return 0;
}

int bpftime_maps_read(struct bpftime_map_entry **out, size_t *n, struct bpftime_hook_error *err)
{
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return bpftime_set_error(err, -errno, "open /proc/self/maps: %s", strerror(errno));
	size_t cap = 64, len = 0;
	struct bpftime_map_entry *v = malloc(cap * sizeof *v);
	char line[PATH_MAX + 128];
	while (v && fgets(line, sizeof line, f)) {
		if (len == cap) {
			struct bpftime_map_entry *nv = realloc(v, 2 * cap * sizeof *v);
			if (!nv) {
				free(v);
				v = NULL;
				break;
			}
			v = nv;
			cap *= 2;
		}
		if (parse_line(line, &v[len]) == 0)
			len++;
	}
	fclose(f);
	if (!v)
		return bpftime_set_error(err, -ENOMEM, "read /proc/self/maps: out of memory");
	*out = v;
	*n = len;
	return 0;
}

const struct bpftime_map_entry *bpftime_maps_find(const struct bpftime_map_entry *m, size_t n, uintptr_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr < m[mid].start)
			hi = mid;
		else if (addr >= m[mid].end)
			lo = mid + 1;
		else
			return &m[mid];
	}
	return NULL;
}
