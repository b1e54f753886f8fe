/*
 * elf_internal.h: /proc/self/maps and ELF symbol tables, used by symbol resolution, by the code allocator (free
 * gaps near a target) and by code patching (the protection of a text page).
 */
#ifndef BPFTIME_ELF_INTERNAL_H
#define BPFTIME_ELF_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "bpftime_hook.h"

/** bpftime_map_entry: one line of /proc/self/maps (path "" for anonymous mappings). */
struct bpftime_map_entry {
	uintptr_t start, end;
	uint64_t offset;
	int prot;
	char path[PATH_MAX];
};

/** bpftime_maps_read: all mappings of the calling process, sorted by address (*out malloc'd, free with free()). */
int bpftime_maps_read(struct bpftime_map_entry **out, size_t *n, struct bpftime_hook_error *err);

/** bpftime_maps_find: the mapping containing addr, or NULL. */
const struct bpftime_map_entry *bpftime_maps_find(const struct bpftime_map_entry *m, size_t n, uintptr_t addr);

/** bpftime_elf: an ELF file mapped read-only for symbol lookups. */
struct bpftime_elf {
	const uint8_t *data;
	size_t size;
	const char *path;
};

/** bpftime_elf_sym: a function symbol found in a file: its virtual address in the file, size, binding, type. */
struct bpftime_elf_sym {
	uint64_t value, size;
	int bind, type;
};

/** bpftime_elf_open / close: map `path` and check it is a 64-bit little-endian x86-64 ELF (-ENOEXEC otherwise). */
int bpftime_elf_open(struct bpftime_elf *e, const char *path, struct bpftime_hook_error *err);
void bpftime_elf_close(struct bpftime_elf *e);

/**
 * bpftime_elf_find_func: the function symbol `name` (STT_FUNC/STT_GNU_IFUNC, defined), from .symtab first, then
 * .dynsym; `version` (may be NULL) restricts .dynsym matches to that version name. Among several definitions with
 * different addresses, a global beats a weak beats a local one; a tie is -ENOTUNIQ.
 */
int bpftime_elf_find_func(const struct bpftime_elf *e, const char *name, const char *version,
			  struct bpftime_elf_sym *out, struct bpftime_hook_error *err);

/** bpftime_elf_func_containing: the function symbol whose [value, value+size) contains vaddr (name copied). */
int bpftime_elf_func_containing(const struct bpftime_elf *e, uint64_t vaddr, struct bpftime_elf_sym *out,
				char *name, size_t name_len);

/** bpftime_elf_vaddr_to_offset / offset_to_vaddr: translate through the PT_LOAD segments (-ERANGE if outside). */
int bpftime_elf_vaddr_to_offset(const struct bpftime_elf *e, uint64_t vaddr, uint64_t *off);
int bpftime_elf_offset_to_vaddr(const struct bpftime_elf *e, uint64_t off, uint64_t *vaddr);

/** bpftime_set_error: fill err (if any) with code and a formatted message; returns code. */
int bpftime_set_error(struct bpftime_hook_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
