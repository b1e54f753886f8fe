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

/* The general-purpose registers in push order: pt_regs from rdi (highest of them) down to r15 (offset 0). */
static const enum bpftime_x86_reg pushed[] = {
	X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_RAX, X86_R8,  X86_R9,  X86_R10,
	X86_R11, X86_RBX, X86_RBP, X86_R12, X86_R13, X86_R14, X86_R15,
};
#define NPUSHED ((int)(sizeof pushed / sizeof pushed[0]))
_Static_assert(offsetof(struct bpftime_pt_regs, rdi) == 8 * (NPUSHED - 1), "push order follows pt_regs");
_Static_assert(offsetof(struct bpftime_pt_regs, rbp) == 8 * 4, "r15-r12 are the last four pushed");

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
 * emit_vector: an entry probe keeps xmm0-15 (not only the argument registers xmm0-7: with interprocedural register
 * allocation, gcc's default at -O2, a caller in the same unit may keep values in any register the callee does not
 * touch); a probe inside a function keeps the whole extended state with xsave (AVX uppers, zmm16-31, masks too),
 * which costs a few hundred ns on this machine class, too much for the common case. rbp points at the save area.
 */
static void emit_vector(struct bpftime_x86_writer *w, int entry, unsigned xsave, int save)
{
	static const uint8_t xsave_rbp[] = {0x48, 0x0f, 0xae, 0x65, 0x00};  /* xsave64 [rbp+0] */
	static const uint8_t xrstor_rbp[] = {0x48, 0x0f, 0xae, 0x6d, 0x00}; /* xrstor64 [rbp+0] */
	if (entry || !xsave) {
		int n = 16;
		for (int i = 0; i < n; i++)
			save ? bpftime_x86_xmm_store(w, X86_RBP, 16 * i, i) : bpftime_x86_xmm_load(w, i, X86_RBP, 16 * i);
		return;
	}
	/* eax = edx = -1: every enabled component (rax and rdx are already in pt_regs) */
	bpftime_x86_mov_imm(w, X86_RAX, 0xffffffff);
	bpftime_x86_mov_imm(w, X86_RDX, 0xffffffff);
	if (save) {
		/* xsave leaves the header bits of components outside XCR0 as they were: zero it for xrstor */
		for (int i = 0; i < 8; i++)
			bpftime_x86_store_imm(w, X86_RBP, 512 + 8 * i, 0);
		bpftime_x86_bytes(w, xsave_rbp, sizeof xsave_rbp);
	} else {
		bpftime_x86_bytes(w, xrstor_rbp, sizeof xrstor_rbp);
	}
}

/*
 * emit_entry_stub: the stub of a probe at a function's first instruction, where rsp points at the return address
 * (so rsp+8 is 16-byte aligned, and 168 bytes of pt_regs keep it so), the flags and the red zone are dead
 * (eflags reads 0x202). Everything is pushed and popped, rsp only moves by lea: the CPU's stack engine never has to
 * resynchronise (moves through rsp after changing it by hand cost about twice as much here). `lit` holds the site
 * address (pushed as rip); an override from the dispatch jumps to `ret_at` (a `ret` before the stub) with the
 * registers restored, so the function returns regs->rax to its caller without running.
 */
static void emit_entry_stub(struct bpftime_x86_writer *w, struct bpftime_site *s, uintptr_t lit, uintptr_t ret_at,
			    size_t *to_return_probe)
{
	const int nvec = s->flags & BPFTIME_PROBE_NO_VECTOR ? 0 : 16;
	const int32_t vec = 16 * nvec;
	bpftime_x86_push_imm(w, 0x2b);			 /* ss */
	bpftime_x86_push(w, X86_RSP);			 /* rsp (the value before this push: fixed below) */
	bpftime_x86_push_imm(w, 0x202);			 /* eflags */
	bpftime_x86_push_imm(w, 0x33);			 /* cs */
	bpftime_x86_push_mem_rip(w, lit);		 /* rip */
	bpftime_x86_push_imm(w, -1);			 /* orig_rax */
	for (int i = 0; i < NPUSHED; i++)
		bpftime_x86_push(w, pushed[i]);
	bpftime_x86_add_mem_imm8(w, X86_RSP, OFF(rsp), 8); /* rsp at the site */
	bpftime_x86_mov(w, X86_RSI, X86_RSP);
	if (vec)
		bpftime_x86_lea(w, X86_RSP, X86_RSP, -vec);
	for (int i = 0; i < nvec; i++)
		bpftime_x86_xmm_store(w, X86_RSP, 16 * i, i);
	bpftime_x86_mov_imm(w, X86_RDI, (uintptr_t)s);
	bpftime_x86_call(w, (uintptr_t)bpftime_hook_enter, X86_RAX);
	bpftime_x86_cmp_imm8(w, X86_RAX, BPFTIME_ENTER_OVERRIDE); /* movups, lea and pops keep the flags */
	for (int i = 0; i < nvec; i++)
		bpftime_x86_xmm_load(w, i, X86_RSP, 16 * i);
	/* r15-r12 are callee-saved: the callbacks left them as they were, no need to load them back */
	bpftime_x86_lea(w, X86_RSP, X86_RSP, vec + OFF(rbp));
	for (int i = NPUSHED - 5; i >= 0; i--)
		bpftime_x86_pop(w, pushed[i]);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, PT_REGS_SIZE - 8 * NPUSHED);
	bpftime_x86_jcc_rel32(w, 0x4 /* e: override */, ret_at);
	*to_return_probe = bpftime_x86_jcc_label(w, 0x7 /* a: return probe */);
}

/*
 * emit_return_call: for a call with return probes (the dispatch answered BPFTIME_ENTER_RETURN_PROBE after saving the
 * return address on the shadow stack): drop the return address and call the relocated instructions instead, so
 * the function runs with the same stack and returns to the landing pad that follows, predicted by the CPU's return
 * stack (replacing the return address in place costs a mispredicted return, ~20 ns here). The landing pad jumps to
 * the return stub, which ends with a `ret` to the original address, predicted as well.
 */
static void emit_return_call(struct bpftime_x86_writer *w, struct bpftime_site *s)
{
	bpftime_x86_lea(w, X86_RSP, X86_RSP, 8);
	bpftime_x86_call(w, s->arch.reloc, X86_RAX);
	s->landing = bpftime_x86_here(w);
	bpftime_x86_jmp(w, (uintptr_t)(s->flags & BPFTIME_PROBE_NO_VECTOR ? bpftime_arch_ret_stub_novec
									  : bpftime_arch_ret_stub));
}

/*
 * emit_inner_stub: the stub of a probe inside a function: nothing is known about rsp, the flags are live, the red
 * zone may hold data and vector registers may hold anything. It steps over the red zone, saves the flags and the
 * whole extended state (xsave, 64-byte aligned through rbx/rbp frames) and restores them all.
 */
static void emit_inner_stub(struct bpftime_x86_writer *w, struct bpftime_site *s, uintptr_t lit)
{
	unsigned xsave = xsave_size();
	int32_t vec = xsave ? (int32_t)xsave : 16 * 16;
	bpftime_x86_lea(w, X86_RSP, X86_RSP, -RED_ZONE - 16); /* ss, rsp */
	bpftime_x86_pushfq(w);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, -8); /* cs */
	bpftime_x86_push_mem_rip(w, lit);	  /* rip */
	bpftime_x86_push_imm(w, -1);		  /* orig_rax */
	for (int i = 0; i < NPUSHED; i++)
		bpftime_x86_push(w, pushed[i]);
	bpftime_x86_mov(w, X86_RBX, X86_RSP);
	bpftime_x86_store_imm(w, X86_RBX, OFF(cs), 0x33);
	bpftime_x86_lea(w, X86_RAX, X86_RBX, PT_REGS_SIZE + RED_ZONE);
	bpftime_x86_store(w, X86_RBX, OFF(rsp), X86_RAX);
	bpftime_x86_store_imm(w, X86_RBX, OFF(ss), 0x2b);
	bpftime_x86_and_imm8(w, X86_RSP, xsave ? -64 : -16);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, -vec);
	bpftime_x86_mov(w, X86_RBP, X86_RSP);
	emit_vector(w, 0, xsave, 1);
	bpftime_x86_mov_imm(w, X86_RDI, (uintptr_t)s);
	bpftime_x86_mov(w, X86_RSI, X86_RBX);
	bpftime_x86_call(w, (uintptr_t)bpftime_hook_enter, X86_RAX);
	emit_vector(w, 0, xsave, 0);
	bpftime_x86_mov(w, X86_RSP, X86_RBX);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, OFF(rbp));
	for (int i = NPUSHED - 5; i >= 0; i--)
		bpftime_x86_pop(w, pushed[i]);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, OFF(eflags) - 8 * NPUSHED);
	bpftime_x86_popfq(w);
	bpftime_x86_lea(w, X86_RSP, X86_RSP, PT_REGS_SIZE - OFF(eflags) - 8 + RED_ZONE);
}

/* mapping_of: the bounds of the mapping holding addr (they bound disassembly around a site). */
static void mapping_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	struct bpftime_map_entry *m;
	size_t n;
	*lo = addr, *hi = addr;
	if (bpftime_maps_read(&m, &n, NULL) != 0)
		return;
	const struct bpftime_map_entry *e = bpftime_maps_find(m, n, addr);
	if (e)
		*lo = e->start, *hi = e->end;
	free(m);
}

int bpftime_arch_prepare(struct bpftime_site *s, uintptr_t func, uint64_t func_size, struct bpftime_hook_error *err)
{
	struct bpftime_arch_site *a = &s->arch;
	uintptr_t map_lo, map_hi;
	mapping_of(s->addr, &map_lo, &map_hi);
	int rc = bpftime_x86_relocate_plan(s->addr, BPFTIME_X86_PATCH_LEN, func, func_size, map_lo, map_hi, &a->r,
					   err);
	if (rc)
		return rc;
	memcpy(a->orig, (const void *)s->addr, a->r.len);
	uint8_t *tramp = bpftime_code_alloc(s->addr, REACH, TRAMPOLINE_MAX, err);
	if (!tramp)
		return -ENOMEM;
	uint8_t buf[TRAMPOLINE_MAX];
	struct bpftime_x86_writer w;
	bpftime_x86_init(&w, buf, sizeof buf, (uintptr_t)tramp);
	bpftime_x86_u64(&w, s->addr); /* the literal pushed as pt_regs rip */
	uintptr_t ret_at = bpftime_x86_here(&w);
	bpftime_x86_ret(&w); /* the override exit */
	a->stub = bpftime_x86_here(&w);
	size_t to_return_probe = 0;
	if (s->flags & BPFTIME_PROBE_ENTRY)
		emit_entry_stub(&w, s, (uintptr_t)tramp, ret_at, &to_return_probe);
	else
		emit_inner_stub(&w, s, (uintptr_t)tramp);
	a->reloc = bpftime_x86_here(&w);
	if ((rc = bpftime_x86_relocate_emit(&w, s->addr, &a->r, err)))
		return rc;
	if (s->flags & BPFTIME_PROBE_ENTRY) {
		bpftime_x86_bind(&w, to_return_probe);
		emit_return_call(&w, s);
	}
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
