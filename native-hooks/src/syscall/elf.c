/*
 * elf.c: where instructions start in an ELF file, for the rewriter: its executable sections (so read-only data
 * sharing a mapping with code is never decoded as code), and its functions' first bytes from the unwind table
 * (.eh_frame_hdr), so that only the functions holding a candidate 0f 05 / 0f 34 byte pair are disassembled, each from
 * its own start, instead of the whole text (capstone formats every instruction it decodes: a whole libc is ~150 ms).
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int read_ehdr(int fd, Elf64_Ehdr *eh)
{
	return pread(fd, eh, sizeof(*eh), 0) == (ssize_t)sizeof(*eh) && !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	       eh->e_ident[EI_CLASS] == ELFCLASS64;
}

int zp_exec_sections(int fd, uint64_t off, uint64_t len, void (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	Elf64_Ehdr eh;
	if (!read_ehdr(fd, &eh) || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096)
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

/* DWARF pointer encodings of .eh_frame_hdr (the ones linkers write). */
enum { PE_UDATA4 = 0x03, PE_SDATA4 = 0x0b, PE_PCREL = 0x10, PE_DATAREL = 0x30, PE_OMIT = 0xff };

int zp_func_starts(int fd, uint64_t **out, size_t *n)
{
	Elf64_Ehdr eh;
	*out = NULL;
	*n = 0;
	if (!read_ehdr(fd, &eh) || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 512)
		return -1;
	Elf64_Phdr ph[512];
	if (pread(fd, ph, eh.e_phnum * sizeof(ph[0]), (off_t)eh.e_phoff) != (ssize_t)(eh.e_phnum * sizeof(ph[0])))
		return -1;
	const Elf64_Phdr *hdr = NULL;
	for (unsigned i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			hdr = &ph[i];
	if (!hdr || hdr->p_filesz < 12 || hdr->p_filesz > (64u << 20))
		return -1;
	uint8_t *h = malloc(hdr->p_filesz);
	if (!h || pread(fd, h, hdr->p_filesz, (off_t)hdr->p_offset) != (ssize_t)hdr->p_filesz)
		goto fail;
	/* version 1; eh_frame_ptr (4 bytes in the encodings accepted); fde_count; then (initial location, fde) pairs,
	 * both 4-byte offsets from the header's start, sorted by location. */
	if (h[0] != 1 || (h[1] & 0x0f) != PE_SDATA4 || (h[2] != PE_UDATA4 && h[2] != PE_SDATA4) ||
	    h[3] != (PE_DATAREL | PE_SDATA4))
		goto fail;
	uint32_t count;
	memcpy(&count, h + 8, 4);
	if ((uint64_t)count * 8 > hdr->p_filesz - 12)
		goto fail;
	uint64_t *starts = malloc((count ? count : 1) * sizeof(*starts));
	if (!starts)
		goto fail;
	size_t k = 0;
	for (uint32_t i = 0; i < count; i++) {
		int32_t rel;
		memcpy(&rel, h + 12 + 8 * (size_t)i, 4);
		uint64_t vaddr = hdr->p_vaddr + (uint64_t)(int64_t)rel;
		for (unsigned j = 0; j < eh.e_phnum; j++) /* the address's file offset, through its PT_LOAD */
			if (ph[j].p_type == PT_LOAD && vaddr >= ph[j].p_vaddr && vaddr < ph[j].p_vaddr + ph[j].p_filesz) {
				uint64_t off = vaddr - ph[j].p_vaddr + ph[j].p_offset;
				if (!k || off > starts[k - 1]) /* sorted and distinct, as the table is */
					starts[k++] = off;
				break;
			}
	}
	free(h);
	*out = starts;
	*n = k;
	return 0;
fail:
	free(h);
	return -1;
}
