// ELF64 symbol tables (.symtab, .dynsym with GNU symbol versions) and PT_LOAD address translation.
#include "elf_internal.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int bpftime_elf_open(struct bpftime_elf *e, const char *path, struct bpftime_hook_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bpftime_set_error(err, -errno, "open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return bpftime_set_error(err, -ENOEXEC, "%s: not an ELF file (too small)", path);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return bpftime_set_error(err, -errno, "mmap %s: %s", path, strerror(errno));
	e->data = p;
	e->size = (size_t)st.st_size;
	e->path = path;
	const Elf64_Ehdr *h = p;
	if (memcmp(h->e_ident, ELFMAG, SELFMAG) != 0 || h->e_ident[EI_CLASS] != ELFCLASS64 ||
	    h->e_ident[EI_DATA] != ELFDATA2LSB || h->e_machine != EM_X86_64 ||
	    h->e_shoff > e->size || h->e_shnum > (e->size - h->e_shoff) / sizeof(Elf64_Shdr) ||
	    h->e_phoff > e->size || h->e_phnum > (e->size - h->e_phoff) / sizeof(Elf64_Phdr)) {
		bpftime_elf_close(e);
		return bpftime_set_error(err, -ENOEXEC, "%s: not a valid x86-64 ELF64 file", path);
	}
	return 0;
}

void bpftime_elf_close(struct bpftime_elf *e)
{
	if (e->data)
		munmap((void *)e->data, e->size);
	e->data = NULL;
}

static const Elf64_Shdr *shdr(const struct bpftime_elf *e, size_t i)
{
	const Elf64_Ehdr *h = (const void *)e->data;
	if (i >= h->e_shnum)
		return NULL;
	const Elf64_Shdr *s = (const Elf64_Shdr *)(e->data + h->e_shoff) + i;
	return s->sh_offset <= e->size && s->sh_size <= e->size - s->sh_offset ? s : NULL;
}

/* symtab: a symbol table section with its string table (and for .dynsym, its version tables). */
struct symtab {
	const Elf64_Sym *syms;
	size_t n;
	const char *str;
	size_t strsz;
	const Elf64_Half *versym; /* NULL without .gnu.version */
	const Elf64_Shdr *verdef;
};

static int find_table(const struct bpftime_elf *e, uint32_t type, struct symtab *t)
{
	const Elf64_Ehdr *h = (const void *)e->data;
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < h->e_shnum; i++) {
		const Elf64_Shdr *s = shdr(e, i);
		if (!s)
			continue;
		if (s->sh_type == SHT_GNU_versym)
			t->versym = (const void *)(e->data + s->sh_offset);
		if (s->sh_type == SHT_GNU_verdef)
			t->verdef = s;
		if (s->sh_type != type || s->sh_entsize != sizeof(Elf64_Sym))
			continue;
		const Elf64_Shdr *strs = shdr(e, s->sh_link);
		if (!strs)
			continue;
		t->syms = (const void *)(e->data + s->sh_offset);
		t->n = s->sh_size / sizeof(Elf64_Sym);
		t->str = (const char *)e->data + strs->sh_offset;
		t->strsz = strs->sh_size;
	}
	if (type != SHT_DYNSYM)
		t->versym = NULL, t->verdef = NULL;
	return t->syms ? 0 : -1;
}

static const char *sym_name(const struct symtab *t, const Elf64_Sym *s)
{
	if (s->st_name >= t->strsz || !memchr(t->str + s->st_name, 0, t->strsz - s->st_name))
		return "";
	return t->str + s->st_name;
}

/* version_of: the version name of .dynsym entry i and whether it is hidden (an old "@" version); NULL if none. */
static const char *version_of(const struct bpftime_elf *e, const struct symtab *t, size_t i, int *hidden)
{
	*hidden = 0;
	if (!t->versym || !t->verdef)
		return NULL;
	Elf64_Half v = t->versym[i];
	*hidden = (v & 0x8000) != 0;
	v &= 0x7fff;
	if (v < 2)
		return NULL; /* local or global base */
	const Elf64_Shdr *strs = shdr(e, t->verdef->sh_link);
	size_t off = t->verdef->sh_offset, end = off + t->verdef->sh_size;
	while (strs && off + sizeof(Elf64_Verdef) <= end) {
		const Elf64_Verdef *d = (const void *)(e->data + off);
		if (d->vd_ndx == v && off + d->vd_aux + sizeof(Elf64_Verdaux) <= end) {
			const Elf64_Verdaux *a = (const void *)(e->data + off + d->vd_aux);
			return a->vda_name < strs->sh_size ? (const char *)e->data + strs->sh_offset + a->vda_name : NULL;
		}
		if (!d->vd_next)
			break;
		off += d->vd_next;
	}
	return NULL;
}

static int is_func(const Elf64_Sym *s)
{
	int type = ELF64_ST_TYPE(s->st_info);
	return (type == STT_FUNC || type == STT_GNU_IFUNC) && s->st_shndx != SHN_UNDEF;
}

/* rank orders competing definitions: global (and unique) over weak over local; the default version first. */
static int rank(const Elf64_Sym *s, int hidden)
{
	int b = ELF64_ST_BIND(s->st_info);
	int r = b == STB_GLOBAL || b == STB_GNU_UNIQUE ? 3 : b == STB_WEAK ? 2 : 1;
	return r * 2 + !hidden;
}

static int search(const struct bpftime_elf *e, const struct symtab *t, const char *name, const char *version,
		  struct bpftime_elf_sym *out, struct bpftime_hook_error *err)
{
	int best = -1, tie = 0;
	for (size_t i = 0; i < t->n; i++) {
		const Elf64_Sym *s = &t->syms[i];
		if (!is_func(s) || strcmp(sym_name(t, s), name) != 0)
			continue;
		int hidden;
		const char *v = version_of(e, t, i, &hidden);
		if (version && (!v || strcmp(v, version) != 0))
			continue;
		int r = rank(s, hidden);
		if (r > best) {
			best = r;
			tie = 0;
			*out = (struct bpftime_elf_sym){s->st_value, s->st_size, ELF64_ST_BIND(s->st_info),
							ELF64_ST_TYPE(s->st_info)};
		} else if (r == best && s->st_value != out->value) {
			tie = 1;
		}
	}
	if (best < 0)
		return -ENOENT;
	if (tie)
		return bpftime_set_error(err, -ENOTUNIQ, "%s: symbol '%s' is defined at several addresses", e->path,
					 name);
	return 0;
}

int bpftime_elf_find_func(const struct bpftime_elf *e, const char *name, const char *version,
			  struct bpftime_elf_sym *out, struct bpftime_hook_error *err)
{
	struct symtab t;
	int rc = -ENOENT;
	/* A versioned request names a .dynsym entry; .symtab spells versions inside names, so try it literally. */
	if (!version && find_table(e, SHT_SYMTAB, &t) == 0)
		rc = search(e, &t, name, NULL, out, err);
	if (rc == -ENOENT && find_table(e, SHT_DYNSYM, &t) == 0)
		rc = search(e, &t, name, version, out, err);
	if (rc == -ENOENT)
		return bpftime_set_error(err, -ENOENT, "%s: no function symbol '%s%s%s'", e->path, name,
					 version ? "@" : "", version ? version : "");
	return rc;
}

int bpftime_elf_func_containing(const struct bpftime_elf *e, uint64_t vaddr, struct bpftime_elf_sym *out,
				char *name, size_t name_len)
{
	static const uint32_t types[] = {SHT_SYMTAB, SHT_DYNSYM};
	int found = 0;
	for (size_t k = 0; k < 2 && !found; k++) {
		struct symtab t;
		if (find_table(e, types[k], &t) != 0)
			continue;
		for (size_t i = 0; i < t.n; i++) {
			const Elf64_Sym *s = &t.syms[i];
			if (!is_func(s) || vaddr < s->st_value)
				continue;
			int inside = s->st_size ? vaddr - s->st_value < s->st_size : vaddr == s->st_value;
			/* prefer a sized symbol over a sizeless one at the same address */
			if (!inside || (found && (out->size || !s->st_size)))
				continue;
			*out = (struct bpftime_elf_sym){s->st_value, s->st_size, ELF64_ST_BIND(s->st_info),
							ELF64_ST_TYPE(s->st_info)};
			if (name)
				snprintf(name, name_len, "%s", sym_name(&t, s));
			found = 1;
		}
	}
	return found ? 0 : -ENOENT;
}

static int translate(const struct bpftime_elf *e, uint64_t x, uint64_t *y, int to_offset)
{
	const Elf64_Ehdr *h = (const void *)e->data;
	const Elf64_Phdr *ph = (const void *)(e->data + h->e_phoff);
	for (size_t i = 0; i < h->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		uint64_t from = to_offset ? ph[i].p_vaddr : ph[i].p_offset;
		uint64_t to = to_offset ? ph[i].p_offset : ph[i].p_vaddr;
		if (x >= from && x - from < ph[i].p_filesz) {
			*y = x - from + to;
			return 0;
		}
	}
	return -ERANGE;
}

int bpftime_elf_vaddr_to_offset(const struct bpftime_elf *e, uint64_t vaddr, uint64_t *off)
{
	return translate(e, vaddr, off, 1);
}

int bpftime_elf_offset_to_vaddr(const struct bpftime_elf *e, uint64_t off, uint64_t *vaddr)
{
	return translate(e, off, vaddr, 0);
}
