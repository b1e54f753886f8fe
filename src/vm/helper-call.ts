/**
 * The interpreter's side of a helper call: the `HelperCall` object implementations see (arguments read from the
 * register file), the call itself with its error wrapping, and `callx`, which reaches either a BPF function (a code
 * address from a pseudo-func lddw) or, as uBPF and the conformance suite expect, a helper by id held in a register.
 */
import { BpfError, ExecError } from '../errors.js';
import type { HelperCall, HelperDef } from '../helpers/registry.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { setNumber, setU64, toU64 } from './int64.js';
import { TEXT_BASE, type Prepared } from './prepare.js';

const TEXT_HI = Number(TEXT_BASE >> 32n);
const MAX_SAFE_HI = 0x200000;

/** helperError wraps anything a helper throws into an ExecError naming the helper, keeping code, address and cause. */
export function helperError(def: HelperDef, e: unknown): ExecError {
  const msg = e instanceof Error ? e.message : String(e);
  const code = e instanceof BpfError ? e.code : 'helper-failed';
  const err = new ExecError(code, `helper ${def.name}: ${msg}`, {}, { cause: e });
  if (e instanceof ExecError) {
    if (e.address !== undefined) err.address = e.address;
    if (e.region !== undefined) err.region = e.region;
  }
  return err;
}

/** HelperCallImpl is the reusable call object the interpreter hands to helper implementations. */
export class HelperCallImpl implements HelperCall {
  private R: Int32Array = new Int32Array(22);
  private exitRequested = false;
  private exitValue = 0n;

  constructor(readonly mem: GuestMemory) {}

  arg(n: number): bigint {
    return toU64(this.R, n * 2);
  }

  argNum(n: number): number {
    const hi = this.R[n * 2 + 1] >>> 0;
    if (hi >= MAX_SAFE_HI) throw new ExecError('bad-argument', `argument r${n} = 0x${this.arg(n).toString(16)} is too large`);
    return hi * 4294967296 + (this.R[n * 2] >>> 0);
  }

  argU32(n: number): number {
    return this.R[n * 2] >>> 0;
  }

  exit(r0: bigint): void {
    this.exitRequested = true;
    this.exitValue = r0;
  }

  /** invoke calls `def` with the registers in `R`, stores r0, and reports whether the helper asked to end the program. */
  invoke(def: HelperDef, R: Int32Array): boolean {
    this.R = R;
    this.exitRequested = false;
    let v: bigint | number | undefined;
    try {
      v = def.impl(this);
    } catch (e) {
      throw helperError(def, e);
    }
    if (this.exitRequested) v = this.exitValue;
    if (v === undefined) {
      R[0] = 0;
      R[1] = 0;
    } else if (typeof v === 'number') setNumber(R, 0, v);
    else setU64(R, 0, v);
    return this.exitRequested;
  }

  /**
   * callx resolves the target in register pair `d`: a function entry slot (>= 0) to call, -1 after calling a helper
   * by id, or -2 when that helper ended the program.
   */
  callx(p: Prepared, R: Int32Array, d: number): number {
    const lo = R[d] >>> 0;
    const hi = R[d + 1] >>> 0;
    if (hi === TEXT_HI && lo % 8 === 0 && p.functions.has(lo / 8)) return lo / 8;
    if (hi === 0) {
      const def = p.helperSet.get(lo);
      if (def) return this.invoke(def, R) ? -2 : -1;
    }
    const target = '0x' + toU64(R, d).toString(16);
    throw new ExecError(
      'bad-callx',
      `callx target ${target} is neither a function entry nor a helper of set ${p.helperSet.name}`,
    );
  }
}
