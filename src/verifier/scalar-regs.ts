/**
 * Registers that hold a scalar on every path, found statically before the exploration (a forward data flow over the
 * CFG). Static precision (cfg.ts `preciseIn`) needs it: the operands of a 64-bit add or subtract matter whenever its
 * destination is live, because pointer arithmetic is checked against the scalar's bounds even when the result is
 * dropped; when both operands are known scalars, no pointer is involved and they matter only as much as the result
 * does. That is what lets a sum of branchy values (log2's `r0 += r4`) stay imprecise, as the kernel's precision
 * tracking leaves it, so the states of a branchy loop body prune each other.
 */
import type { Form, Insn } from '../isa/index.js';

const bit = (r: number): number => 1 << r;
const CALLER_SAVED = 0x3f;

/**
 * transfer returns the scalar registers after an instruction, given those before. It errs towards "maybe a pointer":
 * loads (a context field may be a packet pointer, an 8-byte stack slot a spilled pointer), helper and function
 * results, map and function addresses, and arithmetic of anything that may be a pointer.
 */
function transfer(f: Form, ins: Insn, s: number): number {
  const d = bit(ins.dst);
  switch (f.kind) {
    case 'alu': {
      const src = f.useReg ? s & bit(ins.src) : d;
      if (f.op === 'mov') return src ? s | d : s & ~d;
      // 32-bit arithmetic on a pointer is refused or gives a scalar; so do the other operations on 64 bits.
      if (!f.is64 || (f.op !== 'add' && f.op !== 'sub')) return s | d;
      return s & d && src ? s : s & ~d;
    }
    case 'movsx':
    case 'end':
      return s | d;
    case 'lddw':
      return f.pseudo === 0 ? s | d : s & ~d;
    case 'ldx':
    case 'load_acq':
      return s & ~d;
    case 'atomic':
      return f.op === 'cmpxchg' ? s & ~1 : f.fetch ? s & ~bit(ins.src) : s;
    case 'call':
    case 'callx':
      return s & ~CALLER_SAVED;
    case 'ldabs':
    case 'ldind':
      return (s & ~CALLER_SAVED) | 1;
    default:
      return s;
  }
}

/**
 * scalarRegs returns, per instruction, the registers (bit r) that hold a scalar on entry on every path from the
 * function's entry (nothing is assumed of the entry's registers). `succ` lists each instruction's successors.
 */
export function scalarRegs(forms: readonly (Form | null)[], insns: readonly Insn[], entries: readonly number[], succ: readonly number[][]): Uint16Array {
  const n = insns.length;
  const at = new Uint16Array(n).fill(0x7ff);
  const seen = new Uint8Array(n);
  const work: number[] = [];
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k];
    at[e] = 0;
    seen[e] = 1;
    work.push(e);
  }
  while (work.length) {
    const pc = work.pop()!;
    const f = forms[pc];
    if (!f) continue;
    const out = transfer(f, insns[pc], at[pc]);
    const next = succ[pc];
    for (let k = 0; k < next.length; k++) {
      const x = next[k];
      const v = seen[x] ? at[x] & out : out;
      if (seen[x] && v === at[x]) continue;
      seen[x] = 1;
      at[x] = v;
      work.push(x);
    }
  }
  return at;
}
