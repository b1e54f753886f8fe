/*
 * zpoline_rewrite.c: finding and rewriting syscall instructions. Each executable section of each executable file
 * mapping is disassembled from its start with capstone (linear sweep: real instruction boundaries, so a 0f 05 inside
 * another instruction's immediate is left alone), and every 2-byte `syscall` (0f 05) or `sysenter` (0f 34) becomes
 * `call *%rax` (ff d0), the same length. Pages are made writable while keeping them executable (other threads may be
 * running that code), and each 2-byte store is a single aligned store where the address allows.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "../../syscall/internal.h"
#include "../../syscall/maps.h"

#define PAGE 4096UL

struct site {
	uintptr_t addr;
	uint8_t orig[2];
	uint8_t prot;
};

static csh cs;
static cs_insn *insn;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct site *sites;
static size_t nsites, capsites;
struct bpftime_syscall_stats zp_stats;

/* publish rebuilds the site set from sites[] and makes it the one the entry reads. */
static int publish(void)
{
	uint64_t n = 1024;
	while (n < 2 * nsites)
		n *= 2;
	struct zp_siteset *s = malloc(sizeof(*s));
	uintptr_t *slot = calloc(n, sizeof(*slot));
	if (!s || !slot) {
		free(s);
		free(slot);
		return -ENOMEM;
	}
	s->slot = slot;
	s->mask = n - 1;
	s->older = zp.sites;
	for (size_t i = 0; i < nsites; i++) {
		uint64_t h = zp_site_hash(sites[i].addr);
		while (slot[h & s->mask] && slot[h & s->mask] != sites[i].addr)
			h++;
		slot[h & s->mask] = sites[i].addr;
	}
	__atomic_store_n(&zp.sites, s, __ATOMIC_RELEASE);
	return 0;
}

static int add_site(uintptr_t addr, int prot)
{
	if (nsites == capsites) {
		size_t cap = capsites ? capsites * 2 : 1024;
		struct site *n = realloc(sites, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		sites = n;
		capsites = cap;
	}
	struct site *s = &sites[nsites++];
	s->addr = addr;
	memcpy(s->orig, (const void *)addr, 2);
	s->prot = (uint8_t)prot;
	return 0;
}

struct scan {
	uintptr_t base;          /* where the mapping starts */
	uint64_t file_off;       /* the file offset it maps there */
	const uint64_t *starts;  /* functions' first bytes (file offsets, sorted), or NULL: sweep whole sections */
	size_t nstarts;
	int prot;
	int err;
};

static int is_syscall(const uint8_t *p)
{
	return p[0] == 0x0f && (p[1] == 0x05 || p[1] == 0x34);
}

/* sweep disassembles [base+off, base+off+len) from its start and records its syscall instructions. */
static void sweep(struct scan *s, uint64_t off, uint64_t len)
{
	const uint8_t *code = (const uint8_t *)(s->base + off);
	size_t size = (size_t)len;
	uint64_t addr = (uint64_t)(uintptr_t)code;
	while (size > 0 && !s->err) {
		if (cs_disasm_iter(cs, &code, &size, &addr, insn)) {
			if (insn->size == 2 && is_syscall(code - 2))
				s->err = add_site((uintptr_t)addr - 2, s->prot);
		} else { /* not an instruction (padding, data): resynchronise on the next byte */
			code++;
			size--;
			addr++;
		}
	}
}

/* scan_range records the syscall instructions of the section at [base+off, base+off+len). With the functions'
 * starts, each candidate byte pair is decoded from the start of the function holding it (continuing where the
 * previous candidate of the same function stopped): it is a syscall only if an instruction begins exactly there. */
static void scan_range(void *arg, uint64_t off, uint64_t len)
{
	struct scan *s = arg;
	if (!s->starts) {
		sweep(s, off, len);
		return;
	}
	const uint8_t *sec = (const uint8_t *)(s->base + off), *end = sec + len, *origin = NULL, *cursor = NULL;
	size_t si = 0;
	for (const uint8_t *c = sec; !s->err && c + 1 < end && (c = memchr(c, 0x0f, (size_t)(end - 1 - c))); c++) {
		if (!is_syscall(c))
			continue;
		uint64_t cf = s->file_off + (uint64_t)(c - (const uint8_t *)s->base);
		while (si + 1 < s->nstarts && s->starts[si + 1] <= cf)
			si++;
		const uint8_t *fn = sec; /* the function's start, or the section's when it is later or unknown */
		if (si < s->nstarts && s->starts[si] <= cf && s->starts[si] >= s->file_off + off)
			fn = (const uint8_t *)s->base + (s->starts[si] - s->file_off);
		if (fn != origin)
			origin = cursor = fn;
		while (cursor <= c) {
			const uint8_t *code = cursor;
			size_t size = (size_t)(end - cursor);
			uint64_t addr = (uint64_t)(uintptr_t)cursor;
			if (!cs_disasm_iter(cs, &code, &size, &addr, insn)) {
				cursor++; /* not an instruction: resynchronise on the next byte */
				continue;
			}
			if (cursor == c && insn->size == 2)
				s->err = add_site((uintptr_t)c, s->prot);
			cursor = code;
		}
	}
}

static int mprot(uintptr_t addr, int prot)
{
	uintptr_t lo = addr & ~(PAGE - 1), hi = (addr + 2 + PAGE - 1) & ~(PAGE - 1);
	return (int)bpftime_syscall_raw(SYS_mprotect, (long)lo, (long)(hi - lo), prot, 0, 0, 0);
}

/* patch writes `call *%rax` (or the original bytes) at sites[from, to), each page opened once. */
__attribute__((no_sanitize("thread"))) static int patch(size_t from, size_t to, int restore)
{
	uintptr_t open_page = 0;
	int open_prot = 0, rc = 0;
	for (size_t i = from; i < to; i++) {
		struct site *s = &sites[i];
		uintptr_t page = s->addr & ~(PAGE - 1);
		int crosses = ((s->addr + 1) & ~(PAGE - 1)) != page;
		if (page != open_page || crosses) {
			if (open_page)
				mprot(open_page, open_prot);
			open_page = page;
			open_prot = s->prot;
			int r = mprot(s->addr, PROT_READ | PROT_WRITE | PROT_EXEC);
			if (r) {
				rc = r;
				open_page = 0;
				continue;
			}
		}
		uint16_t v;
		if (restore && memcmp((const void *)s->addr, (const uint8_t[]){ 0xff, 0xd0 }, 2))
			continue; /* no longer ours (the code was replaced) */
		memcpy(&v, restore ? s->orig : (const uint8_t[]){ 0xff, 0xd0 }, 2);
		/* One 16-bit store (atomic for other CPUs when aligned), in assembly: a sanitizer has no business
		 * shadowing code pages. */
		__asm__ volatile("movw %1, (%0)" : : "r"(s->addr), "r"(v) : "memory");
		if (crosses) {
			mprot(s->addr, open_prot);
			open_page = 0;
		}
	}
	if (open_page)
		mprot(open_page, open_prot);
	return rc;
}

static int cs_init(char *msg, size_t len)
{
	if (insn)
		return 0;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return zp_msg(msg, len, -ENOMEM, "capstone: cannot open an x86-64 disassembler");
	insn = cs_malloc(cs);
	if (!insn) {
		cs_close(&cs);
		return zp_msg(msg, len, -ENOMEM, "capstone: out of memory");
	}
	return 0;
}

/* scan_file scans the executable sections of fd that [start, start+len) maps from offset; without section
 * headers, the whole range clamped to the file's size. */
static int scan_file(int fd, uintptr_t start, size_t len, uint64_t offset, int prot)
{
	struct scan s = { start, offset, NULL, 0, prot, 0 };
	uint64_t *starts = NULL;
	if (zp_func_starts(fd, &starts, &s.nstarts) == 0)
		s.starts = starts;
	if (zp_exec_sections(fd, offset, len, scan_range, &s) < 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > offset) {
			uint64_t n = (uint64_t)st.st_size - offset;
			s.starts = NULL; /* no sections: nothing says where code starts but the mapping */
			sweep(&s, 0, n < len ? n : len);
		}
	}
	free(starts);
	return s.err;
}

struct walk {
	uintptr_t self_lo;
	unsigned long self_inode;
	char self_path[PATH_MAX];
	int err;
};

static int find_self(void *arg, const struct zp_mapping *m)
{
	struct walk *w = arg;
	if (m->start <= w->self_lo && w->self_lo < m->end) {
		w->self_inode = m->inode;
		memcpy(w->self_path, m->path, sizeof(w->self_path));
		return 1;
	}
	return 0;
}

static int scan_mapping(void *arg, const struct zp_mapping *m)
{
	struct walk *w = arg;
	if (m->perms[2] != 'x')
		return 0;
	/* Left alone: the vDSO and other kernel mappings, anonymous code (JITs own theirs), this agent (its syscalls are
	 * its own), unreadable or shared code, and page 0 itself. */
	if (m->path[0] != '/' || m->perms[0] != 'r' || m->perms[3] == 's' || m->start == 0 ||
	    (m->inode == w->self_inode && !strcmp(m->path, w->self_path))) {
		zp_stats.skipped++;
		return 0;
	}
	int fd = (int)bpftime_syscall_raw(SYS_open, (long)m->path, O_RDONLY | O_CLOEXEC, 0, 0, 0, 0);
	int prot = PROT_EXEC | PROT_READ | (m->perms[1] == 'w' ? PROT_WRITE : 0);
	if (fd >= 0) {
		w->err = scan_file(fd, m->start, m->end - m->start, m->offset, prot);
		bpftime_syscall_raw(SYS_close, fd, 0, 0, 0, 0, 0);
	} else {
		struct scan s = { m->start, m->offset, NULL, 0, prot, 0 };
		sweep(&s, 0, m->end - m->start);
		w->err = s.err;
	}
	zp_stats.mappings++;
	return w->err;
}

int zp_rewrite_all(char *msg, size_t len)
{
	int rc = cs_init(msg, len);
	if (rc)
		return rc;
	static struct walk w;
	memset(&w, 0, sizeof(w));
	w.self_lo = (uintptr_t)&bpftime_zp_entry;
	pthread_mutex_lock(&lock);
	zp_maps_each(find_self, &w);
	rc = zp_maps_each(scan_mapping, &w);
	if (!rc)
		rc = publish();
	if (!rc)
		rc = patch(0, nsites, 0);
	zp_stats.sites = nsites;
	pthread_mutex_unlock(&lock);
	if (rc)
		return zp_msg(msg, len, rc < 0 ? rc : -EIO, "rewriting syscall instructions: %s", strerror(rc < 0 ? -rc : EIO));
	return 0;
}

/* forget drops the sites in [lo, hi): that memory was unmapped or mapped over. */
static void forget(uintptr_t lo, uintptr_t hi)
{
	size_t k = 0;
	for (size_t i = 0; i < nsites; i++)
		if (sites[i].addr < lo || sites[i].addr >= hi)
			sites[k++] = sites[i];
	if (k != nsites) {
		nsites = k;
		publish();
	}
}

void zp_forget_range(uintptr_t addr, size_t len)
{
	pthread_mutex_lock(&lock);
	forget(addr, addr + len);
	zp_stats.sites = nsites;
	pthread_mutex_unlock(&lock);
}

void zp_rewrite_mapped(uintptr_t addr, size_t len, int fd, uint64_t offset, int prot)
{
	pthread_mutex_lock(&lock);
	forget(addr, addr + len);
	size_t first = nsites;
	if (insn && scan_file(fd, addr, len, offset, prot) == 0 && nsites > first && publish() == 0) {
		patch(first, nsites, 0);
		zp_stats.sites = nsites;
	}
	zp_stats.mappings++;
	pthread_mutex_unlock(&lock);
}

int zp_restore_all(char *msg, size_t len)
{
	pthread_mutex_lock(&lock);
	int rc = patch(0, nsites, 1);
	nsites = 0;
	pthread_mutex_unlock(&lock);
	return rc ? zp_msg(msg, len, rc, "restoring syscall instructions: %s", strerror(-rc)) : 0;
}
