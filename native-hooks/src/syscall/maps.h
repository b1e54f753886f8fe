/* maps.h: this process's mappings, as /proc/self/maps lists them. */
#ifndef BPFTIME_SYSCALL_MAPS_H
#define BPFTIME_SYSCALL_MAPS_H

#include <limits.h>
#include <stdint.h>

#define ZP_HIDDEN __attribute__((visibility("hidden")))

/* zp_mapping is one line of /proc/self/maps. */
struct zp_mapping {
	uintptr_t start, end;
	uint64_t offset;
	unsigned long inode;
	char perms[5];
	char path[PATH_MAX];
};

/* zp_maps_each calls fn for each mapping until it returns nonzero (returned); -ENOMEM when the file cannot be read. */
int zp_maps_each(int (*fn)(void *, const struct zp_mapping *), void *arg) ZP_HIDDEN;

#endif
