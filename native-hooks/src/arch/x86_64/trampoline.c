// Per-site trampolines: the entry stub (build a struct bpftime_pt_regs on the stack, call the dispatcher, restore)
// followed by the relocated instructions and a jump back (docs/native.md, "hook": trampoline layout).
#include <cpuid.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../core/hook_internal.h"
#include "codewriter.h"
#include "relocator.h"

#define PT_REGS_SIZE ((int32_t)sizeof(struct bpftime_pt_regs))
#define RED_ZONE 128
#define TRAMPOLINE_MAX 1024
/* stay this far inside +-2 GiB so every byte of a trampoline reaches the site */
#define REACH (0x80000000ULL - 0x100000ULL)

_Static_assert(sizeof(struct bpftime_pt_regs) == 168, "pt_regs must match the kernel's x86-64 layout");

#define OFF(r) ((int32_t)offsetof(struct bpftime_pt_regs, r))

/* The general-purpose registers and their pt_regs slots (rsp is derived, rip/cs/ss/eflags written apart). */
static const struct {
	enum bpftime_x86_reg reg;
	int32_t off;
} gprs[] = {
	{X86_R15, OFF(r15)}, {X86_R14, OFF(r14)}, {X86_R13, OFF(r13)}, {X86_R12, OFF(r12)}, {X86_RBP, OFF(rbp)},
	{X86_RBX, OFF(rbx)}, {X86_R11, OFF(r11)}, {X86_R10, OFF(r10)}, {X86_R9, OFF(r9)},   {X86_R8, OFF(r8)},
	{X86_RAX, OFF(rax)}, {X86_RCX, OFF(rcx)}, {X86_RDX, OFF(rdx)}, {X86_RSI, OFF(rsi)}, {X86_RDI, OFF(rdi)},
};

static void load_gprs(struct bpftime_x86_writer *w)
{
	for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++)
		bpftime_x86_load(w, gprs[i].reg, X86_RSP, gprs[i].off);
}

/* xsave_size: bytes of the XSAVE area for the features the OS enabled (0 without XSAVE: fxsave-less SSE). */
static unsigned xsave_size(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 0;
	__cpuid_count(0xd, 0, a, b, c, d);
	return (b + 63) & ~63u;
}

/*
 * emit_save_vector: an entry probe keeps xmm0-7 (the argument registers; the ABI lets the callee clobber the
 * rest); a probe inside a function keeps the whole extended state with xsave. rbx holds the pt_regs address.
 */
static void emit_vector(struct bpftime_x86_writer *w, int entry, unsigned xsave, int save)
{
	static const uint8_t xsave_rsp[] = {0x48, 0x0f, 0xae, 0x24, 0x24};  /* xsave64 [rsp] */
	static const uint8_t xrstor_rsp[] = {0x48, 0x0f, 0xae, 0x2c, 0x24}; /* xrstor64 [rsp] */
	if (entry || !xsave) {
		int n = entry ? 8 : 16;
		for (int i = 0; i < n; i++)
			save ? bpftime_x86_xmm_store(w, X86_RSP, 16 * i, i) : bpftime_x86_xmm_load(w, i, X86_RSP, 16 * i);
		return;
	}
	/* eax = edx = -1: every enabled component (rax and rdx are already in pt_regs) */
	bpftime_x86_mov_imm(w, X86_RAX, 0xffffffff);
	bpftime_x86_mov_imm(w, X86_RDX, 0xffffffff);
	if (save) {
		/* xsave leaves the header bits of components outside XCR0 as they were: zero it for xrstor */
		for (int i = 0; i < 8; i++)
			bpftime_x86_store_imm(w, X86_RSP, 512 + 8 * i, 0);
		bpftime_x86_bytes(w, xsave_rsp, sizeof xsave_rsp);
	} else {
		bpftime_x86_bytes(w, xrstor_rsp, sizeof xrstor_rsp);
	}
}

/*
 * emit_stub writes the entry stub. For an entry probe (rsp points at the return address) the red zone and flags
 * are dead; inside a function the stub first steps over the red zone and restores the flags at the end. An entry
 * stub whose dispatch asks for an override jumps to `ret_at` (a `ret` before the stub) with the registers restored
 * from pt_regs, so the function returns regs->rax to its caller without running.
 */
static void emit_stub(struct bpftime_x86_writer *w, struct bpftime_site *s, uintptr_t ret_at)
{
	int entry = (s->flags & BPFTIME_PROBE_ENTRY) != 0;
	int32_t below = entry ? 0 : RED_ZONE;
	unsigned xsave = entry ? 0 : xsave_size();
	int32_t vec = entry ? 8 * 16 : xsave ? (int32_t)xsave : 16 * 16;
	if (below)
		bpftime_x86_lea(w, X86_RSP, X86_RSP, -below);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, -PT_REGS_SIZE);
	for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++)
		bpftime_x86_store(w, X86_RSP, gprs[i].off, gprs[i].reg);
	bpftime_x86_pushfq(w);
	bpftime_x86_pop(w, X86_RAX);
	bpftime_x86_store(w, X86_RSP, OFF(eflags), X86_RAX);
	bpftime_x86_store_imm(w, X86_RSP, OFF(orig_rax), -1);
	bpftime_x86_mov_imm(w, X86_RAX, s->addr);
	bpftime_x86_store(w, X86_RSP, OFF(rip), X86_RAX);
	bpftime_x86_store_imm(w, X86_RSP, OFF(cs), 0x33);
	bpftime_x86_lea(w, X86_RAX, X86_RSP, PT_REGS_SIZE + below);
	bpftime_x86_store(w, X86_RSP, OFF(rsp), X86_RAX);
	bpftime_x86_store_imm(w, X86_RSP, OFF(ss), 0x2b);
	bpftime_x86_mov(w, X86_RBX, X86_RSP);
	bpftime_x86_and_imm8(w, X86_RSP, xsave ? -64 : -16);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, -vec);
	emit_vector(w, entry, xsave, 1);
	bpftime_x86_mov_imm(w, X86_RDI, (uintptr_t)s);
	bpftime_x86_mov(w, X86_RSI, X86_RBX);
	bpftime_x86_call(w, (uintptr_t)bpftime_hook_enter, X86_RAX);
	if (entry) {
		emit_vector(w, entry, xsave, 0);
		bpftime_x86_mov(w, X86_RSP, X86_RBX);
		bpftime_x86_test32(w, X86_RAX, X86_RAX); /* movs and lea below keep the flags for the jnz */
		load_gprs(w);
		bpftime_x86_lea(w, X86_RSP, X86_RSP, PT_REGS_SIZE);
		bpftime_x86_jcc_rel32(w, 0x5 /* ne */, ret_at);
		return;
	}
	emit_vector(w, entry, xsave, 0);
	bpftime_x86_mov(w, X86_RSP, X86_RBX);
	bpftime_x86_load(w, X86_RAX, X86_RSP, OFF(eflags));
	bpftime_x86_push(w, X86_RAX);
	bpftime_x86_popfq(w);
	load_gprs(w);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, PT_REGS_SIZE + below);
}

/* mapping_end: the end of the mapping holding addr (bounds disassembly when the function's size is unknown). */
static uintptr_t mapping_end(uintptr_t addr)
{
	struct bpftime_map_entry *m;
	size_t n;
	uintptr_t end = addr;
	if (bpftime_maps_read(&m, &n, NULL) != 0)
		return end;
	const struct bpftime_map_entry *e = bpftime_maps_find(m, n, addr);
	if (e)
		end = e->end;
	free(m);
	return end;
}

int bpftime_arch_prepare(struct bpftime_site *s, uintptr_t func, uint64_t func_size, struct bpftime_hook_error *err)
{
	struct bpftime_arch_site *a = &s->arch;
	uintptr_t scan_end = mapping_end(s->addr);
	if (!func_size && scan_end - s->addr > 4096)
		scan_end = s->addr + 4096; /* size unknown: check branches in the next 4 KiB only */
	int rc = bpftime_x86_relocate_plan(s->addr, BPFTIME_X86_PATCH_LEN, func, func_size, scan_end, &a->r, err);
	if (rc)
		return rc;
	memcpy(a->orig, (const void *)s->addr, a->r.len);
	uint8_t *tramp = bpftime_code_alloc(s->addr, REACH, TRAMPOLINE_MAX, err);
	if (!tramp)
		return -ENOMEM;
	uint8_t buf[TRAMPOLINE_MAX];
	struct bpftime_x86_writer w;
	bpftime_x86_init(&w, buf, sizeof buf, (uintptr_t)tramp);
	bpftime_x86_ret(&w); /* the override exit */
	a->stub = bpftime_x86_here(&w);
	emit_stub(&w, s, (uintptr_t)tramp);
	a->reloc = bpftime_x86_here(&w);
	if ((rc = bpftime_x86_relocate_emit(&w, s->addr, &a->r, err)))
		return rc;
	if (w.failed)
		return bpftime_set_error(err, w.failed == 1 ? -E2BIG : -ERANGE, "trampoline for %p: %s",
					 (void *)s->addr, w.failed == 1 ? "too large" : "a branch is out of reach");
	return bpftime_code_write(tramp, buf, w.len, err);
}

int bpftime_arch_same_code(const struct bpftime_site *s)
{
	uint8_t now[sizeof s->arch.orig];
	struct iovec local = {now, s->arch.r.len}, remote = {(void *)s->addr, s->arch.r.len};
	/* process_vm_readv: the site's mapping may be gone (dlclose), and a plain read would fault */
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)s->arch.r.len &&
	       memcmp(now, s->arch.orig, s->arch.r.len) == 0;
}
