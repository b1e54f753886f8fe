/*
 * zpoline_page.c: the trampoline page at address 0. A rewritten `call *%rax` jumps to address = syscall number;
 * from any byte of the page the code there must reach the entry quickly. Instead of zpoline's plain nop sled
 * (up to ~500 nops for read/write), the sled is made of two-byte hops `eb 48` (jmp +0x48): entered on an odd byte it
 * decodes as `48 eb 48` (a REX prefix, ignored by jmp), so every entry point jumps 74-75 bytes forward; for syscall
 * numbers below 512 that is at most 7 jumps, then a landing zone of long nops (at most 8 instructions). Layout:
 *   [0x000, 0x200) hops   [0x200, 0x260) landing   0x260 stub 1
 *   [0x274, 0xf80) hops   [0xf80, 0xfe0) landing   0xfe0 stub 2
 * so every number below 0xfe0 but the 18 of the first stub's bytes (0x260-0x271) reaches the kernel (-ENOSYS).
 * A stub: `lea -0x80(%rsp),%rsp` (step over the caller's red zone; lea keeps the flags), `movabs $entry,%r11`,
 * `jmp *%r11` (r11 is clobbered by `syscall` anyway; an address in the instruction stream spares a data read of
 * page 0, which after each syscall's TLB flush would be one more page walk). A hop region ends on its 0x48 byte, so entering at its last byte reads `48 90`, a nop. On this
 * machine (bench/RESULTS.md) a plain 4 KiB nop sled costs 0.5-1 us per call, hops with plain nops 9-26 ns, hops with
 * the long-nop landing 6-16 ns (call to return, through the stub).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../../syscall/internal.h"

#define PAGE 4096

static void hops(uint8_t *p, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i += 2) {
		p[i] = 0xeb;
		p[i + 1] = 0x48;
	}
}

/* landing fills a hop region's landing zone with nops made of up to 14 operand-size prefixes and 0x90 (15 bytes,
 * the longest instruction): entered on any byte, it is crossed in a few instructions rather than up to 96 nops. */
static void landing(uint8_t *p, unsigned from, unsigned to)
{
	p[from] = 0x90; /* after the hop region's last byte (0x48, a REX prefix): `48 90`, within 15 bytes */
	memset(p + from + 1, 0x66, to - from - 1);
	for (unsigned i = from + 15; i < to; i += 15)
		p[i] = 0x90;
	p[to - 1] = 0x90;
}

static void stub(uint8_t *p, unsigned at, uint64_t target)
{
	static const uint8_t lea[] = { 0x48, 0x8d, 0x64, 0x24, 0x80 }, movabs[] = { 0x49, 0xbb }, jmp[] = { 0x41, 0xff, 0xe3 };
	memcpy(p + at, lea, sizeof(lea));
	memcpy(p + at + 5, movabs, sizeof(movabs));
	memcpy(p + at + 7, &target, 8);
	memcpy(p + at + 15, jmp, sizeof(jmp));
}

void zp_page_build(uint8_t *p, uint64_t target)
{
	memset(p, 0xcc, PAGE);
	hops(p, 0x000, 0x200);
	landing(p, 0x200, ZP_STUB1);
	stub(p, ZP_STUB1, target);
	memset(p + ZP_STUB1 + 18, 0x90, 0x274 - (ZP_STUB1 + 18));
	hops(p, 0x274, 0xf80);
	landing(p, 0xf80, ZP_STUB2);
	stub(p, ZP_STUB2, target);
}

int zp_page_map(void (*target)(void), char *msg, size_t len)
{
	long r = bpftime_syscall_raw(SYS_mmap, 0, PAGE, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r != 0) {
		if (r == -EEXIST)
			return zp_msg(msg, len, -EEXIST, "page 0 is already mapped in this process");
		if ((unsigned long)r < -4096UL) { /* an old kernel ignoring MAP_FIXED_NOREPLACE mapped it elsewhere */
			bpftime_syscall_raw(SYS_munmap, r, PAGE, 0, 0, 0, 0);
			return zp_msg(msg, len, -EEXIST, "page 0 could not be mapped (the kernel placed it elsewhere)");
		}
		return zp_msg(msg, len, (int)r, "cannot map page 0: %s (needs vm.mmap_min_addr=0: sysctl -w vm.mmap_min_addr=0)",
			      strerror((int)-r));
	}
	/* Built aside and copied with `rep movsb`: a C store through address 0 is undefined behaviour. */
	uint8_t p[PAGE];
	zp_page_build(p, (uint64_t)target);
	void *dst = (void *)r;
	const void *src = p;
	size_t n = PAGE;
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	r = bpftime_syscall_raw(SYS_mprotect, 0, PAGE, PROT_EXEC, 0, 0, 0);
	if (r) {
		bpftime_syscall_raw(SYS_munmap, 0, PAGE, 0, 0, 0, 0);
		return zp_msg(msg, len, (int)r, "cannot make page 0 executable: %s", strerror((int)-r));
	}
	return 0;
}
