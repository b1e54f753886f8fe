/**
 * Loads, stores, atomics and packet loads. Guest addresses are 64-bit: an access computes base + off as i64 and
 * compares it with the bounds of the region the last read (or write) hit, kept in locals per function; only on a
 * miss does it call `bpf.refill`, which validates the access against guest memory's page table (throwing the same
 * located fault the interpreter reports) and returns the new bounds packed as start << 32 | end. Only then is the
 * address wrapped to i32. Stack accesses through r10 with a constant offset inside the 512-byte frame need no check.
 * An access through a register believed to point into a fixed region (regions.ts) is first checked against that
 * region's constant bounds; the cached-bounds check runs only when that fails. An access a verifier proved in bounds
 * (facts.ts) has no check at all.
 * Atomics run as plain read-modify-write sequences where a program runs on one thread (the JavaScript host), and as
 * calls of the `bpf.atomic` import with `atomicImports` (the native runtime runs a program on many threads).
 */
import type { Form, Insn } from '../isa/index.js';
import { ATOMIC_OPS, REFILL_PROBE, TRAP_MISALIGNED } from './abi.js';
import { bswap16, bswap32 } from './alu.js';
import { coldIf, getReg, i32c, i64c, local, L_FP, L_I1, L_I2, L_RHI, L_RLO, L_T1, L_T2, L_WHI, L_WLO, seq, setReg, type Ctx } from './emit.js';
import { exitWith, trap } from './calls.js';
import type { Expr } from './builder.js';

const ALIGN = 1;

interface Access {
  check: Expr[];
  ptr: () => Expr;
  addr: () => Expr;
}

/**
 * address returns the statements that check an access of `size` bytes at reg(base) + off and the i32 pointer to use
 * after them.
 */
function address(c: Ctx, base: number, off: number, size: number, write: boolean): Access {
  const { m, b } = c;
  if (c.inBounds?.has(c.pc)) return proved(c, base, off);
  if (base === 10 && off >= -512 && off + size <= 0) {
    return {
      check: [],
      ptr: () => m.i32.add(m.i32.wrap(m.local.get(L_FP, b.i64)), i32c(c, off)),
      addr: () => m.i64.add(local(c, L_FP), i64c(c, off)),
    };
  }
  const lo = write ? L_WLO : L_RLO;
  const hi = write ? L_WHI : L_RHI;
  const refillCall = (): Expr => m.call('refill', [local(c, L_T1), i32c(c, size), i32c(c, write ? 1 : 0), i32c(c, c.pc)], b.i64);
  const cached = (): Expr => coldIf(c,
    m.i32.or(
      m.i64.lt_u(local(c, L_T1), local(c, lo)),
      m.i64.gt_u(local(c, L_T1), m.i64.sub(local(c, hi), i64c(c, size))),
    ),
    [
      m.local.set(L_T2, refillCall()),
      m.local.set(lo, m.i64.shr_u(local(c, L_T2), i64c(c, 32))),
      m.local.set(hi, m.i64.and(local(c, L_T2), i64c(c, 0xffffffff))),
    ]);
  const known = c.guess[base];
  const span = known && (!write || known.writable) ? known.end - known.start - size : -1;
  // An access through a guessed fixed region whose guess fails asks the host directly and leaves the cached bounds
  // alone: if the cache were filled there, its four locals would be live across every loop that accesses memory
  // through such pointers, and V8 spills values to keep them in registers (seen in the TurboFan code of the suite's
  // memcpy loop: a store and a reload per iteration). A failed guess is rare (the pointer left its map's region),
  // so it costs a host call each time it happens, never a wrong answer: the refill faults exactly as the check would.
  const check = span < 0
    ? cached()
    : coldIf(c, m.i64.gt_u(m.i64.sub(local(c, L_T1), i64c(c, known!.start)), i64c(c, span)), [m.drop(refillCall())]);
  return {
    check: [m.local.set(L_T1, m.i64.add(getReg(c, base), i64c(c, off))), check],
    ptr: () => m.i32.wrap(local(c, L_T1)),
    addr: () => local(c, L_T1),
  };
}

/**
 * proved is the access of a slot that `facts.inBounds` proves in bounds (facts.ts): no check, the address used as is.
 * In bounds means below 2^32, so wrapping base + off to i32 is exact; the engine still bounds-checks the Wasm memory.
 */
function proved(c: Ctx, base: number, off: number): Access {
  const { m } = c;
  c.uncheckedAccesses++;
  return {
    check: [],
    ptr: () => (off === 0 ? m.i32.wrap(getReg(c, base)) : m.i32.add(m.i32.wrap(getReg(c, base)), i32c(c, off))),
    addr: () => (off === 0 ? getReg(c, base) : m.i64.add(getReg(c, base), i64c(c, off))),
  };
}

/** makeLoad translates ldx (zero- or sign-extending) and load-acquire. */
export function makeLoad(c: Ctx, f: Extract<Form, { kind: 'ldx' | 'load_acq' }>, ins: Insn): Expr {
  const signed = f.kind === 'ldx' && f.signed;
  // A load proved in bounds reads what a probing load would: it needs neither the probe nor a check.
  const probe = c.probeMem && f.kind === 'ldx' && !(ins.src === 10 && ins.off >= -512 && ins.off + f.size <= 0) && !c.inBounds?.has(c.pc);
  if (probe) return makeProbeLoad(c, f.size, signed, ins);
  const { check, ptr } = address(c, ins.src, ins.off, f.size, false);
  return seq(c, [...check, setReg(c, ins.dst, loadValue(c, f.size, signed, ptr()))]);
}

function loadValue(c: Ctx, size: number, signed: boolean, p: Expr): Expr {
  const { m } = c;
  return size === 1 ? (signed ? m.i64.load8_s(0, ALIGN, p) : m.i64.load8_u(0, ALIGN, p))
    : size === 2 ? (signed ? m.i64.load16_s(0, ALIGN, p) : m.i64.load16_u(0, ALIGN, p))
    : size === 4 ? (signed ? m.i64.load32_s(0, ALIGN, p) : m.i64.load32_u(0, ALIGN, p))
    : m.i64.load(0, ALIGN, p);
}

/**
 * makeProbeLoad is the kernel's PROBE_MEM load: on a cache miss it asks `bpf.refill` in probe mode (write = 2), which
 * returns 0 instead of trapping when the address is bad; the load then reads 0.
 */
function makeProbeLoad(c: Ctx, size: number, signed: boolean, ins: Insn): Expr {
  const { m, b } = c;
  const inCache = (): Expr => m.i32.and(
    m.i64.ge_u(local(c, L_T1), local(c, L_RLO)),
    m.i64.le_u(local(c, L_T1), m.i64.sub(local(c, L_RHI), i64c(c, size))),
  );
  return seq(c, [
    m.local.set(L_T1, m.i64.add(getReg(c, ins.src), i64c(c, ins.off))),
    coldIf(c, m.i32.eqz(inCache()), [
      m.local.set(L_T2, m.call('refill', [local(c, L_T1), i32c(c, size), i32c(c, REFILL_PROBE), i32c(c, c.pc)], b.i64)),
      m.if(m.i64.ne(local(c, L_T2), i64c(c, 0)), seq(c, [
        m.local.set(L_RLO, m.i64.shr_u(local(c, L_T2), i64c(c, 32))),
        m.local.set(L_RHI, m.i64.and(local(c, L_T2), i64c(c, 0xffffffff))),
      ])),
    ]),
    m.if(inCache(), setReg(c, ins.dst, loadValue(c, size, signed, m.i32.wrap(local(c, L_T1)))), setReg(c, ins.dst, i64c(c, 0))),
  ]);
}

/** store writes the low `size` bytes of an i64 value. */
function store(c: Ctx, size: number, p: Expr, v: Expr): Expr {
  const { m } = c;
  if (size === 1) return m.i64.store8(0, ALIGN, p, v);
  if (size === 2) return m.i64.store16(0, ALIGN, p, v);
  if (size === 4) return m.i64.store32(0, ALIGN, p, v);
  return m.i64.store(0, ALIGN, p, v);
}

/** makeStore translates st (immediate), stx and store-release. */
export function makeStore(c: Ctx, f: Extract<Form, { kind: 'st' | 'stx' | 'store_rel' }>, ins: Insn): Expr {
  const { check, ptr } = address(c, ins.dst, ins.off, f.size, true);
  const v = f.kind === 'st' ? i64c(c, ins.imm) : getReg(c, ins.src);
  return seq(c, [...check, store(c, f.size, ptr(), v)]);
}

/** makeAtomic translates the atomic read-modify-write forms; the fetched value is zero-extended for 32-bit forms. */
export function makeAtomic(c: Ctx, f: Extract<Form, { kind: 'atomic' }>, ins: Insn): Expr {
  const { m } = c;
  const size = f.size;
  const { check, ptr, addr } = address(c, ins.dst, ins.off, size, true);
  const wide = size === 8;
  const old = (): Expr => local(c, L_T2);
  // A proved atomic is aligned too (the verifier checks atomics with strict alignment, facts.ts): no trap to keep.
  const misaligned = c.inBounds?.has(c.pc) ? m.nop() : coldIf(c, m.i32.and(m.i32.wrap(addr()), i32c(c, size - 1)), [trap(c, TRAP_MISALIGNED, addr())]);
  const src = (): Expr => getReg(c, ins.src);
  const expected = (): Expr => (wide ? getReg(c, 0) : m.i64.and(getReg(c, 0), i64c(c, 0xffffffff)));
  if (c.atomicImports) {
    const kind = i32c(c, ATOMIC_OPS[f.op] | (size << 8));
    const call = m.call('atomic', [kind, ptr(), src(), f.op === 'cmpxchg' ? expected() : i64c(c, 0)], c.b.i64);
    const result = f.op === 'cmpxchg' ? [setReg(c, 0, old())] : f.fetch ? [setReg(c, ins.src, old())] : [];
    return seq(c, [...check, misaligned, m.local.set(L_T2, call), ...result]);
  }
  const body: Expr[] = [...check, misaligned, m.local.set(L_T2, wide ? m.i64.load(0, ALIGN, ptr()) : m.i64.load32_u(0, ALIGN, ptr()))];
  if (f.op === 'cmpxchg') {
    body.push(m.if(m.i64.eq(old(), expected()), store(c, size, ptr(), src())), setReg(c, 0, old()));
    return seq(c, body);
  }
  const value =
    f.op === 'add' ? m.i64.add(old(), src())
    : f.op === 'or' ? m.i64.or(old(), src())
    : f.op === 'and' ? m.i64.and(old(), src())
    : f.op === 'xor' ? m.i64.xor(old(), src())
    : src();
  body.push(store(c, size, ptr(), value));
  if (f.fetch) body.push(setReg(c, ins.src, old()));
  return seq(c, body);
}

/**
 * makeLdPacket translates LD_ABS/LD_IND: r0 = the big-endian 1, 2 or 4 bytes at packet offset imm (+ src, 32-bit);
 * out of bounds ends the program with r0 = 0, as in the kernel.
 */
export function makeLdPacket(c: Ctx, f: Extract<Form, { kind: 'ldabs' | 'ldind' }>, ins: Insn): Expr {
  const { m, b } = c;
  const size = f.size === 8 ? 4 : f.size;
  const off = f.kind === 'ldabs' ? i32c(c, ins.imm) : m.i32.add(m.i32.wrap(getReg(c, ins.src)), i32c(c, ins.imm));
  const at = (): Expr => m.i64.extend_s(m.local.get(L_I1, b.i32));
  const out = m.i32.or(
    m.i64.lt_s(at(), i64c(c, 0)),
    m.i64.gt_s(m.i64.add(at(), i64c(c, size)), m.i64.extend_u(m.global.get('pkt_len', b.i32))),
  );
  const ptr = m.i32.add(m.global.get('pkt_start', b.i32), m.local.get(L_I1, b.i32));
  const loaded = (): Expr => m.local.get(L_I2, b.i32);
  const load = size === 1 ? m.i32.load8_u(0, ALIGN, ptr) : size === 2 ? m.i32.load16_u(0, ALIGN, ptr) : m.i32.load(0, ALIGN, ptr);
  const v = size === 1 ? loaded() : size === 2 ? bswap16(c, loaded) : bswap32(c, loaded);
  return seq(c, [
    m.local.set(L_I1, off),
    coldIf(c, out, [exitWith(c, i64c(c, 0))]),
    m.local.set(L_I2, load),
    setReg(c, 0, m.i64.extend_u(v)),
  ]);
}
