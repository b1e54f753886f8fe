/*
 * test_rewrite.c: the rewriter against an oracle (TAP). After installing zpoline, every executable file mapping's
 * memory is compared with its file: the bytes that changed must be exactly the `syscall`/`sysenter` instructions a
 * full linear sweep of the file's executable sections finds (decoded here independently, from each section's start,
 * with capstone), each now `call *%rax`. The library decodes only the functions holding a candidate, from their
 * unwind-table starts; this checks it misses none and invents none.
 */
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "test_agent.h"

struct count {
	long expected, rewritten, wrong;
	char first_wrong[200];
};

static void wrong(struct count *c, const char *path, unsigned long off, const char *what)
{
	if (!c->wrong++)
		snprintf(c->first_wrong, sizeof(c->first_wrong), "%s+0x%lx: %s", path, off, what);
}

/* check_section compares [mem, mem+len) with the file bytes of the same range. */
static void check_section(csh cs, const char *path, const uint8_t *file, const uint8_t *mem, size_t len, unsigned long foff,
			  struct count *c)
{
	uint8_t *is_site = calloc(len + 1, 1);
	const uint8_t *code = file;
	size_t size = len;
	uint64_t addr = 0;
	cs_insn *insn = cs_malloc(cs);
	while (size > 0) {
		if (cs_disasm_iter(cs, &code, &size, &addr, insn)) {
			if (insn->size == 2 && code[-2] == 0x0f && (code[-1] == 0x05 || code[-1] == 0x34))
				is_site[addr - 2] = 1;
		} else {
			code++, size--, addr++;
		}
	}
	cs_free(insn, 1);
	for (size_t i = 0; i < len; i++) {
		if (is_site[i]) {
			c->expected++;
			if (mem[i] == 0xff && mem[i + 1] == 0xd0)
				c->rewritten++;
			else
				wrong(c, path, foff + i, "a syscall instruction left alone");
			i++;
		} else if (mem[i] != file[i]) {
			wrong(c, path, foff + i, "a byte changed that is not a syscall instruction");
		}
	}
	free(is_site);
}

int main(void)
{
	/* More code to check: whichever of these common libraries the system has, loaded before installing. */
	static const char *const extra[] = { "libstdc++.so.6", "libm.so.6", "libz.so.1", "libcrypto.so.3", "libssl.so.3",
					     "libsqlite3.so.0", "libgcc_s.so.1", "libzstd.so.1", "liblzma.so.5" };
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		dlopen(extra[i], RTLD_NOW | RTLD_LOCAL);
	char msg[512];
	int rc = ta_install(1 /* zpoline */, msg, sizeof(msg));
	printf("# %s\n", msg);
	CHECK(rc == 0, "install zpoline");
	csh cs;
	cs_open(CS_ARCH_X86, CS_MODE_64, &cs);
	struct count c = { 0 };
	/* Rewriting splits a mapping at each patched page: join the consecutive pieces of one file mapping first. */
	struct piece {
		unsigned long lo, hi, off;
		char path[512];
	} *pieces = calloc(4096, sizeof(*pieces));
	int np = 0;
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[1024];
	while (maps && np < 4096 && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi, off;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &lo, &hi, perms, &off, &pos) < 4 || perms[2] != 'x' ||
		    line[pos] != '/' || strstr(line, "libsyscall_test_agent"))
			continue;
		line[strcspn(line, "\n")] = 0;
		struct piece *last = np ? &pieces[np - 1] : NULL;
		if (last && last->hi == lo && last->off + (last->hi - last->lo) == off && !strcmp(last->path, line + pos)) {
			last->hi = hi;
			continue;
		}
		pieces[np].lo = lo, pieces[np].hi = hi, pieces[np].off = off;
		snprintf(pieces[np++].path, sizeof(pieces[0].path), "%s", line + pos);
	}
	if (maps)
		fclose(maps);
	int mappings = 0;
	for (int m = 0; m < np; m++) {
		unsigned long lo = pieces[m].lo, hi = pieces[m].hi, off = pieces[m].off;
		const char *path = pieces[m].path;
		int fd = open(path, O_RDONLY);
		Elf64_Ehdr eh;
		if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
			continue;
		mappings++;
		Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof(*sh));
		if (pread(fd, sh, eh.e_shnum * sizeof(*sh), (off_t)eh.e_shoff) == (ssize_t)(eh.e_shnum * sizeof(*sh)))
			for (int i = 0; i < eh.e_shnum; i++) {
				if (sh[i].sh_type != SHT_PROGBITS || !(sh[i].sh_flags & SHF_EXECINSTR) || sh[i].sh_offset < off ||
				    sh[i].sh_offset + sh[i].sh_size > off + (hi - lo))
					continue;
				uint8_t *file = malloc(sh[i].sh_size + 1);
				if (pread(fd, file, sh[i].sh_size, (off_t)sh[i].sh_offset) == (ssize_t)sh[i].sh_size)
					check_section(cs, path, file, (const uint8_t *)(lo + sh[i].sh_offset - off), sh[i].sh_size,
						      sh[i].sh_offset, &c);
				free(file);
			}
		free(sh);
		close(fd);
	}
	free(pieces);
	CHECK(mappings >= 3 && c.expected > 100, "%d executable file mappings, %ld syscall instructions in them", mappings,
	      c.expected);
	CHECK(c.wrong == 0 && c.rewritten == c.expected, "exactly the syscall instructions were rewritten (%ld of %ld)%s%s",
	      c.rewritten, c.expected, c.wrong ? "; first difference: " : "", c.first_wrong);
	cs_close(&cs);
	return tap_done();
}
