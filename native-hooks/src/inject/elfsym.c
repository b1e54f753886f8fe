/*
 * elfsym.c: finding a function in another process: which libraries it has mapped (/proc/PID/maps), where each is
 * loaded (the mapping of file offset 0 minus the first PT_LOAD's address), and the function's address in the
 * library's dynamic symbol table (.dynsym, read from the file through /proc/PID/root so a process in another mount
 * namespace is read right). glibc 2.34 and later export dlopen/dlsym/dlerror from libc.so.6 itself.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inject.h"

struct lib {
	char path[512];
	uint64_t base; /* start of the mapping of file offset 0 */
};

/* elf_lookup returns the address of name in the file open as fd relative to its load bias, or 0. */
static uint64_t elf_lookup(int fd, const char *name, uint64_t *first_vaddr)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum > 4096)
		return 0;
	*first_vaddr = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			return 0;
		if (ph.p_type == PT_LOAD) {
			*first_vaddr = ph.p_vaddr - ph.p_offset; /* what file offset 0 maps to */
			break;
		}
	}
	Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof(*sh));
	uint64_t found = 0;
	if (!sh || pread(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff) != (ssize_t)(eh.e_shnum * sizeof(*sh)))
		goto out;
	for (unsigned i = 0; i < eh.e_shnum && !found; i++) {
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh.e_shnum || sh[i].sh_entsize != sizeof(Elf64_Sym))
			continue;
		Elf64_Shdr *str = &sh[sh[i].sh_link];
		size_t n = sh[i].sh_size / sizeof(Elf64_Sym);
		Elf64_Sym *syms = malloc(sh[i].sh_size);
		char *strs = malloc(str->sh_size + 1);
		if (syms && strs && pread(fd, syms, sh[i].sh_size, (off_t)sh[i].sh_offset) == (ssize_t)sh[i].sh_size &&
		    pread(fd, strs, str->sh_size, (off_t)str->sh_offset) == (ssize_t)str->sh_size) {
			strs[str->sh_size] = 0;
			for (size_t k = 0; k < n; k++)
				if (syms[k].st_name < str->sh_size && syms[k].st_shndx != SHN_UNDEF &&
				    ELF64_ST_TYPE(syms[k].st_info) == STT_FUNC && !strcmp(strs + syms[k].st_name, name)) {
					found = syms[k].st_value;
					break;
				}
		}
		free(syms);
		free(strs);
	}
out:
	free(sh);
	return found;
}

static int read_libs(pid_t pid, struct lib **out, size_t *n, struct inj_err *e)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/maps", pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return errno == ENOENT ? inj_fail(e, INJ_NOPROC, "no process %d", pid)
				       : inj_fail(e, INJ_FAIL, "%s: %s", p, strerror(errno));
	char line[1024];
	struct lib *libs = NULL;
	size_t cnt = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, offset;
		int pos = 0;
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %n", &start, &offset, &pos) < 2 || !pos || line[pos] != '/' ||
		    offset != 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		int dup = 0;
		for (size_t i = 0; i < cnt; i++)
			dup |= !strcmp(libs[i].path, line + pos);
		if (dup)
			continue;
		struct lib *nl = realloc(libs, (cnt + 1) * sizeof(*libs));
		if (!nl)
			break;
		libs = nl;
		snprintf(libs[cnt].path, sizeof(libs[cnt].path), "%s", line + pos);
		libs[cnt++].base = start;
	}
	fclose(f);
	*out = libs;
	*n = cnt;
	return 0;
}

static int is_libc(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return !strncmp(b, "libc.so", 7) || !strncmp(b, "libc-", 5);
}

int inj_symbol(pid_t pid, const char *name, uint64_t *addr, char *lib, size_t liblen, struct inj_err *e)
{
	struct lib *libs = NULL;
	size_t n = 0;
	*addr = 0;
	int rc = read_libs(pid, &libs, &n, e);
	if (rc)
		return rc;
	for (int pass = 0; pass < 2 && !*addr; pass++) /* libc first */
		for (size_t i = 0; i < n && !*addr; i++) {
			if (is_libc(libs[i].path) != (pass == 0))
				continue;
			char p[600];
			snprintf(p, sizeof(p), "/proc/%d/root%s", pid, libs[i].path);
			int fd = open(p, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			uint64_t first = 0, v = elf_lookup(fd, name, &first);
			close(fd);
			if (v) {
				*addr = libs[i].base - first + v;
				snprintf(lib, liblen, "%s", libs[i].path);
			}
		}
	free(libs);
	if (!*addr)
		return inj_fail(e, INJ_FAIL, "process %d has no %s in its libraries (glibc 2.34+ has it in libc.so.6; a static "
					     "executable cannot load an agent)", pid, name);
	return 0;
}
