/**
 * How abstract registers and states print, in errors and in the `-v` log: close to the kernel's log
 * (`r1=map_value(map=counts,off=4)`, `r2=scalar(umax=255,var_off=(0x0; 0xff))`, `r10=fp0`, `fp-8=spill r1`).
 */
import { format as fmtScalar, isConst } from './scalar.js';
import { INVALID, MISC, SPILL, ZERO, type Reg, type VState } from './state.js';

const KIND_NAMES: Record<string, string> = {
  map_value: 'map_value', map_key: 'map_key', map_ptr: 'map_ptr', ctx: 'ctx', packet: 'pkt', packet_end: 'pkt_end', packet_meta: 'pkt_meta',
  mem: 'mem', func: 'func', stack: 'fp',
};

/** fmtReg prints one register's abstract value. */
export function fmtReg(r: Reg, mapName?: (i: number) => string): string {
  if (r.kind === 'not_init') return 'uninit';
  if (r.kind === 'scalar') {
    const v = fmtScalar(r.v);
    const extra = r.len >= 0 ? `${v ? ',' : ''}input_len-${r.len}` : '';
    return isConst(r.v) && !extra ? v : `scalar(${v}${extra})`;
  }
  if (r.kind === 'stack') {
    const vo = isConst(r.v) ? '' : `,var_off=(${fmtScalar(r.v)})`;
    const total = r.off + (isConst(r.v) ? Number(BigInt.asIntN(64, r.v.t.value)) : 0);
    return `fp${total === 0 ? '0' : total}${r.frame ? `[frame ${r.frame}]` : ''}${vo}`;
  }
  const parts: string[] = [];
  if (r.map >= 0) parts.push(`map=${mapName ? mapName(r.map) : r.map}`);
  if (r.id) parts.push(`id=${r.id}`);
  if (r.off) parts.push(`off=${r.off}`);
  if (!isConst(r.v) || r.v.t.value !== 0n) parts.push(`var_off=(${fmtScalar(r.v)})`);
  if (r.kind === 'packet' || r.kind === 'packet_meta') parts.push(`r=${r.range}`);
  if (r.kind === 'mem') parts.push(`size=${r.size}`);
  if (r.ref) parts.push(`ref=${r.ref}`);
  if (r.kind === 'func') parts.push(`pc=${r.fn}`);
  if (r.rdonly) parts.push('rdonly');
  const name = r.kind === 'btf_ptr' ? `${r.btf!.flavour}_ptr_${r.btf!.name}` : KIND_NAMES[r.kind] ?? r.kind;
  return `${name}${r.nullable ? '_or_null' : ''}(${parts.join(',')})`;
}

/** fmtRegs prints the initialised registers of the running frame (all of them when `only` is absent). */
export function fmtRegs(st: VState, only?: readonly number[], mapName?: (i: number) => string): string {
  const f = st.frames[st.frames.length - 1];
  const regs = only ?? f.regs.map((_, i) => i);
  return regs
    .filter((i) => only !== undefined || f.regs[i].kind !== 'not_init')
    .map((i) => `r${i}=${fmtReg(f.regs[i], mapName)}`)
    .join(' ');
}

/** fmtStack prints the written slots of the running frame. */
export function fmtStack(st: VState, mapName?: (i: number) => string): string {
  const f = st.frames[st.frames.length - 1];
  const out: string[] = [];
  f.stack.forEach((slot, i) => {
    if (!slot) return;
    const off = -8 * (i + 1);
    if (slot.spill && slot.bytes.every((b) => b === SPILL)) out.push(`fp${off}=${fmtReg(slot.spill, mapName)}`);
    else if (slot.bytes.some((b) => b !== INVALID)) out.push(`fp${off}=${slot.bytes.map((b) => (b === MISC ? 'm' : b === ZERO ? '0' : b === SPILL ? 'r' : '?')).reverse().join('')}`);
  });
  return out.join(' ');
}

/** fmtState prints registers and stack on one line, with the frame depth when inside a call. */
export function fmtState(st: VState, mapName?: (i: number) => string): string {
  const depth = st.frames.length > 1 ? `frame${st.frames.length - 1}: ` : '';
  const stack = fmtStack(st, mapName);
  return depth + fmtRegs(st, undefined, mapName) + (stack ? ' ' + stack : '');
}
