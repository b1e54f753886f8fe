/**
 * Memory and string helpers: the probe_read family (copies that tolerate bad source addresses), probe_write_user,
 * strncmp, strtol/strtoul, csum_diff, and the printf family (trace_printk, trace_vprintk, snprintf).
 */
import { csumFrom32to16, csumPartial, csumSub } from '../packet/checksum.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { cStringAt, envOf, ERR, helper, probeCopy, probeCopyString } from './common.js';
import { formatBpf, FormatError } from './printf.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
const TRACE_PRINTK_MAX_ARGS = 3;
const VPRINTK_MAX_ARGS = 12;

function probeRead(name: string, doc: string): HelperDef {
  return helper(id(name), N[id(name)], { ret: 'integer', args: ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'] }, doc,
    (c) => probeCopy(c, c.argNum(1), c.argNum(2), c.arg(3)));
}

function probeReadStr(name: string, doc: string): HelperDef {
  return helper(id(name), N[id(name)], { ret: 'integer', args: ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'] }, doc,
    (c) => probeCopyString(c, c.argNum(1), c.argNum(2), c.arg(3)));
}

/** printk formats and emits one trace line; returns its length or -EINVAL. */
function printk(c: HelperCall, fmt: string, args: bigint[]): number {
  try {
    const text = formatBpf(c.mem, fmt, args);
    envOf(c).host.printk(text.endsWith('\n') ? text.slice(0, -1) : text);
    return text.length;
  } catch (e) {
    if (e instanceof FormatError) return ERR.EINVAL;
    throw e;
  }
}

function u64Array(c: HelperCall, addr: number, len: number, max: number): bigint[] | undefined {
  if (len % 8 !== 0 || len / 8 > max) return undefined;
  const dv = c.mem.dv;
  c.mem.check(addr, len, false);
  return Array.from({ length: len / 8 }, (_, k) => dv.getBigUint64(addr + 8 * k, true));
}

function parseInteger(text: string, base: number, signed: boolean): { value: bigint; used: number } | number {
  const m = /^(\s*)([+-]?)(0[xX])?/.exec(text)!;
  let radix = base;
  let start = m[0].length;
  if (radix === 0) radix = m[3] ? 16 : text[start] === '0' ? 8 : 10;
  else if (m[3] && radix !== 16) start -= 2;
  const digits = /^[0-9a-zA-Z]*/.exec(text.slice(start))![0];
  let value = 0n;
  let used = 0;
  for (const ch of digits) {
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= radix) break;
    value = value * BigInt(radix) + BigInt(d);
    used++;
  }
  if (used === 0) return ERR.EINVAL;
  if (m[2] === '-') {
    if (!signed) return ERR.EINVAL;
    value = -value;
  }
  const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  if (value < min || value > max) return ERR.ERANGE;
  return { value, used: start + used };
}

function strto(name: string, signed: boolean): HelperDef {
  return helper(id(name), N[id(name)], { ret: 'integer', args: ['ptr_to_mem', 'const_size', 'anything', 'ptr_to_uninit_mem'] },
    `parses a ${signed ? 'signed' : 'unsigned'} integer from a buffer (base in flags: 0, 8, 10, 16) into *res; returns characters used`,
    (c) => {
      const len = c.argNum(2);
      const flags = c.argNum(3);
      if (len === 0 || ![0, 8, 10, 16].includes(flags & 0x1f) || flags >> 5) return ERR.EINVAL;
      const bytes = c.mem.bytes(c.argNum(1), len);
      const end = bytes.indexOf(0);
      const r = parseInteger(new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end)), flags & 0x1f, signed);
      if (typeof r === 'number') return r;
      const res = c.argNum(4);
      c.mem.check(res, 8, true);
      c.mem.dv.setBigUint64(res, BigInt.asUintN(64, r.value), true);
      return r.used;
    });
}

/** STRING_HELPERS are the memory, string and printf helpers. */
export const STRING_HELPERS: HelperDef[] = [
  probeRead('probe_read', 'copies size bytes from an unsafe address; zero-fills and returns -EFAULT when it is not readable'),
  probeRead('probe_read_user', 'probe_read for user addresses (guest memory in the TypeScript runtime)'),
  probeRead('probe_read_kernel', 'probe_read for kernel addresses (guest memory in the TypeScript runtime)'),
  probeReadStr('probe_read_str', 'copies a NUL-terminated string (at most size bytes with the NUL); returns its length with the NUL'),
  probeReadStr('probe_read_user_str', 'probe_read_str for user addresses'),
  probeReadStr('probe_read_kernel_str', 'probe_read_str for kernel addresses'),
  helper(id('probe_write_user'), 'probe_write_user', { ret: 'integer', args: ['anything', 'ptr_to_mem', 'const_size'] },
    'writes len bytes to a user address; -EFAULT when it is not writable guest memory',
    (c) => {
      const dst = c.arg(1);
      const len = c.argNum(3);
      const src = c.mem.bytes(c.argNum(2), len);
      if (dst >= 2n ** 32n || !c.mem.ok(Number(dst), len, true)) return ERR.EFAULT;
      c.mem.u8.set(src, Number(dst));
      return 0;
    }),
  helper(id('strncmp'), 'strncmp', { ret: 'integer', args: ['ptr_to_mem', 'const_size', 'ptr_to_cstring'] },
    'compares at most s1_sz bytes of s1 with the constant string s2',
    (c) => {
      const a = c.mem.bytes(c.argNum(1), c.argNum(2));
      const b = c.argNum(3);
      for (let k = 0; k < a.length; k++) {
        c.mem.check(b + k, 1, false);
        const d = a[k] - c.mem.u8[b + k];
        if (d !== 0 || a[k] === 0) return d;
      }
      return 0;
    }),
  strto('strtol', true),
  strto('strtoul', false),
  helper(id('csum_diff'), 'csum_diff', { ret: 'integer', args: ['ptr_to_mem_or_null', 'const_size_or_zero', 'ptr_to_mem_or_null', 'const_size_or_zero', 'anything'] },
    'one\'s complement sum of `to` minus that of `from`, plus seed, folded to 16 bits (as the kernel returns it since 6.13)',
    (c) => {
      const fromSize = c.argNum(2);
      const toSize = c.argNum(4);
      const seed = c.argU32(5);
      const from = () => c.mem.bytes(c.argNum(1), fromSize);
      const to = () => c.mem.bytes(c.argNum(3), toSize);
      let ret = seed;
      if (fromSize && toSize) ret = csumSub(csumPartial(to(), seed), csumPartial(from(), 0));
      else if (toSize) ret = csumPartial(to(), seed);
      else if (fromSize) ret = ~csumPartial(from(), ~seed >>> 0) >>> 0;
      return csumFrom32to16(ret);
    }),
  helper(id('trace_printk'), 'trace_printk', { ret: 'integer', args: ['ptr_to_mem', 'const_size'] },
    'formats up to three arguments and emits a trace line; returns its length or -EINVAL',
    (c) => printk(c, cStringAt(c, c.argNum(1), c.argNum(2)), [c.arg(3), c.arg(4), c.arg(5)].slice(0, TRACE_PRINTK_MAX_ARGS))),
  helper(id('trace_vprintk'), 'trace_vprintk', { ret: 'integer', args: ['ptr_to_mem', 'const_size', 'ptr_to_mem', 'const_size_or_zero'] },
    'trace_printk with up to twelve arguments passed as an array of u64',
    (c) => {
      const args = u64Array(c, c.argNum(3), c.argNum(4), VPRINTK_MAX_ARGS);
      return args ? printk(c, cStringAt(c, c.argNum(1), c.argNum(2)), args) : ERR.EINVAL;
    }),
  helper(id('snprintf'), 'snprintf', { ret: 'integer', args: ['ptr_to_uninit_mem', 'const_size_or_zero', 'ptr_to_cstring', 'ptr_to_mem', 'const_size_or_zero'] },
    'formats into str (NUL-terminated, truncated to str_size); returns the full length with the NUL, or -EINVAL',
    (c) => {
      const args = u64Array(c, c.argNum(4), c.argNum(5), VPRINTK_MAX_ARGS);
      if (!args) return ERR.EINVAL;
      let text: string;
      try {
        text = formatBpf(c.mem, cStringAt(c, c.argNum(3), 4096), args);
      } catch (e) {
        if (e instanceof FormatError) return ERR.EINVAL;
        throw e;
      }
      const bytes = new TextEncoder().encode(text);
      const size = c.argNum(2);
      if (size > 0) {
        const out = c.mem.bytes(c.argNum(1), size, true);
        const n = Math.min(bytes.length, size - 1);
        out.set(bytes.subarray(0, n));
        out[n] = 0;
      }
      return bytes.length + 1;
    }),
];
