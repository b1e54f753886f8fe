/**
 * Small pieces shared by the kernel helpers: errno values, the runtime environment a helper needs, maps by handle,
 * and the kernel's "probe" copy semantics (a bad source address zero-fills the destination and returns -EFAULT).
 */
import { ExecError } from '../../errors.js';
import type { HelperEnv } from '../env.js';
import type { BpfMap } from '../maps/types.js';
import type { HelperCall, HelperDef, HelperProto } from '../registry.js';

/** ERR holds the negated errno values helpers return. */
export const ERR = { EPERM: -1, ENOENT: -2, E2BIG: -7, EFAULT: -14, EINVAL: -22, ERANGE: -34, EOPNOTSUPP: -95 } as const;

/** helper builds a HelperDef with a name from the kernel table. */
export function helper(id: number, name: string, proto: HelperProto, doc: string, impl: HelperDef['impl']): HelperDef {
  return { id, name, proto, doc, impl };
}

/** envOf returns the runtime environment, or explains that the helper needs a loaded object. */
export function envOf(call: HelperCall): HelperEnv {
  if (!call.env) throw new ExecError('no-runtime', 'this helper needs the runtime of a loaded object (maps, host environment)');
  return call.env;
}

/** mapArg returns the map whose handle is argument `n`. */
export function mapArg(call: HelperCall, n = 1): BpfMap {
  // The halves avoid a BigInt (15% of a map-heavy loop) and a double (about 5 ns) per map helper call.
  const map = envOf(call).maps.byHalves(call.argU32(n), call.argHi(n));
  if (!map) throw new ExecError('bad-map', `argument r${n} = 0x${call.arg(n).toString(16)} is not a map`);
  return map;
}

/** readable reports whether `size` bytes at the 64-bit address `addr` are readable guest memory. */
export function readable(call: HelperCall, addr: bigint, size: number): boolean {
  return addr < 2n ** 32n && call.mem.ok(Number(addr), size, false);
}

/** probeCopy copies `size` bytes from an unchecked source into a checked destination, zero-filling on a bad source. */
export function probeCopy(call: HelperCall, dst: number, size: number, src: bigint): number {
  const out = call.mem.bytes(dst, size, true);
  if (!readable(call, src, size)) {
    out.fill(0);
    return ERR.EFAULT;
  }
  out.set(call.mem.u8.subarray(Number(src), Number(src) + size));
  return 0;
}

/** probeCopyString copies a NUL-terminated string of at most size-1 bytes; returns its length with the NUL. */
export function probeCopyString(call: HelperCall, dst: number, size: number, src: bigint): number {
  if (size === 0) return 0;
  const out = call.mem.bytes(dst, size, true);
  for (let k = 0; k < size - 1; k++) {
    if (!readable(call, src + BigInt(k), 1)) {
      out.fill(0);
      return ERR.EFAULT;
    }
    const b = call.mem.u8[Number(src) + k];
    out[k] = b;
    if (b === 0) return k + 1;
  }
  out[size - 1] = 0;
  return size;
}

/** cStringAt reads a NUL-terminated string of at most `max` bytes that a program passes as a constant string. */
export function cStringAt(call: HelperCall, addr: number, max: number): string {
  return call.mem.cString(addr, max);
}

/** acquire records a reference the program now holds (0, NULL, is none) and returns the address. */
export function acquire(env: HelperEnv, address: number, by: string): number {
  if (address !== 0) env.references?.push({ address, by });
  return address;
}

/** release drops the reference passed as argument 1, which must be one the program holds. */
export function release(c: HelperCall, what: string): void {
  const env = envOf(c);
  const address = c.argNum(1);
  const refs = env.references ?? [];
  const k = refs.findIndex((r) => r.address === address);
  if (k < 0) throw new ExecError('bad-release', `${what} of 0x${address.toString(16)}, which is not a reference the program holds`);
  refs.splice(k, 1);
}
