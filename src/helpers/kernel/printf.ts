/**
 * The format engine behind bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf, following the kernel's
 * bpf_bprintf_prepare rules: conversions d i u x X o c s p % with flags, width and precision; `l`/`ll`/`z` take 64
 * bits, no modifier 32 bits; `%s` reads a string from guest memory; `%p` prints an address, `%pI4`/`%pi4` and
 * `%pI6`/`%pi6` read an IP address from guest memory. A bad format is an error the helper turns into -EINVAL.
 */
import type { GuestMemory } from '../../memory/guest-memory.js';

/** MAX_STRING is the longest `%s` argument read, as the kernel's MAX_BPRINTF_STR_LEN. */
export const MAX_STRING = 512;

/** FormatError rejects a format string; helpers report it as -EINVAL. */
export class FormatError extends Error {}

interface Spec {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  bits: number;
  conv: string;
}

function pad(body: string, spec: Spec, numeric: boolean): string {
  const width = spec.width ?? 0;
  if (body.length >= width) return body;
  if (spec.flags.includes('-')) return body.padEnd(width);
  if (numeric && spec.flags.includes('0') && spec.precision === undefined) {
    const sign = /^[-+ ]/.test(body) ? body[0] : '';
    const prefix = /^[-+ ]?0x/i.test(body) ? body.slice(sign.length, sign.length + 2) : '';
    const digits = body.slice(sign.length + prefix.length);
    return sign + prefix + digits.padStart(width - sign.length - prefix.length, '0');
  }
  return body.padStart(width);
}

function integer(v: bigint, spec: Spec): string {
  const signed = spec.conv === 'd' || spec.conv === 'i';
  const x = signed ? BigInt.asIntN(spec.bits, v) : BigInt.asUintN(spec.bits, v);
  const neg = x < 0n;
  const mag = neg ? -x : x;
  let digits = spec.conv === 'x' ? mag.toString(16) : spec.conv === 'X' ? mag.toString(16).toUpperCase() : spec.conv === 'o' ? mag.toString(8) : mag.toString();
  if (spec.precision !== undefined) digits = spec.precision === 0 && mag === 0n ? '' : digits.padStart(spec.precision, '0');
  if (spec.flags.includes('#') && mag !== 0n) digits = (spec.conv === 'o' ? '0' : spec.conv === 'x' ? '0x' : spec.conv === 'X' ? '0X' : '') + digits;
  const sign = neg ? '-' : signed && spec.flags.includes('+') ? '+' : signed && spec.flags.includes(' ') ? ' ' : '';
  return pad(sign + digits, spec, true);
}

function readString(mem: GuestMemory, addr: bigint): string {
  if (addr === 0n) return '(null)';
  if (addr >= 2n ** 32n || !mem.ok(Number(addr), 1, false)) return '(fault)';
  try {
    return mem.cString(Number(addr), MAX_STRING);
  } catch {
    return '(fault)';
  }
}

function ipAddress(mem: GuestMemory, addr: bigint, v6: boolean, leadingZeros: boolean): string {
  const n = v6 ? 16 : 4;
  if (addr >= 2n ** 32n || !mem.ok(Number(addr), n, false)) return '(fault)';
  const b = mem.u8.subarray(Number(addr), Number(addr) + n);
  if (!v6) return [...b].map((x) => (leadingZeros ? String(x).padStart(3, '0') : String(x))).join('.');
  const groups = [];
  for (let k = 0; k < 16; k += 2) groups.push(((b[k] << 8) | b[k + 1]).toString(16).padStart(leadingZeros ? 4 : 1, '0'));
  return groups.join(':');
}

/** formatBpf formats `fmt` with 64-bit `args` read in order; it throws FormatError for what the kernel rejects. */
export function formatBpf(mem: GuestMemory, fmt: string, args: readonly bigint[]): string {
  let out = '';
  let next = 0;
  const take = (): bigint => {
    if (next >= args.length) throw new FormatError(`format needs more than ${args.length} arguments`);
    return args[next++];
  };
  const re = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?(hh|h|ll|l|z)?([diuxXocsp%])/y;
  for (let i = 0; i < fmt.length; ) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    re.lastIndex = pct;
    const m = re.exec(fmt);
    if (!m) throw new FormatError(`unsupported conversion at "${fmt.slice(pct, pct + 4)}"`);
    i = re.lastIndex;
    const length = m[4] ?? '';
    const spec: Spec = {
      flags: m[1],
      width: m[2] === undefined ? undefined : Number(m[2]),
      precision: m[3] === undefined ? undefined : Number(m[3]),
      bits: length === 'hh' ? 8 : length === 'h' ? 16 : length === '' ? 32 : 64,
      conv: m[5],
    };
    switch (spec.conv) {
      case '%':
        out += '%';
        break;
      case 'c':
        out += pad(String.fromCharCode(Number(take() & 0xffn)), spec, false);
        break;
      case 's': {
        const s = readString(mem, take());
        out += pad(spec.precision === undefined ? s : s.slice(0, spec.precision), spec, false);
        break;
      }
      case 'p': {
        const ext = /^(I4|i4|I6|i6|K|x|s|S|B)/.exec(fmt.slice(i));
        const v = take();
        if (ext && /[Ii][46]/.test(ext[1])) out += ipAddress(mem, v, ext[1][1] === '6', ext[1][0] === 'i');
        else out += pad('0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0'), spec, false);
        if (ext) i += ext[1].length;
        break;
      }
      default:
        out += integer(take(), spec);
    }
  }
  return out;
}
