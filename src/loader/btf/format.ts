/**
 * Values as BTF describes them, shaped like bpftool's BTF-based JSON map dump (`btf_dumper.c`): structs and unions
 * become objects keyed by member name, arrays arrays, NUL-terminated printable char arrays strings, enums their
 * enumerator's name. Where bpftool's JSON is lossy or awkward for JavaScript we differ on purpose:
 * - integers are numbers when exact (|v| < 2^53), else decimal strings, so 64-bit values survive JSON;
 * - bitfields are decoded to numbers (bpftool prints them as hex strings);
 * - pointers are `0x...` strings (bpftool's JSON prints them as decimal numbers);
 * - anonymous struct/union members are merged into their parent (bpftool emits them under the key "", which a
 *   JavaScript object can hold only once);
 * - floats are numbers (bpftool does not print them); NaN and infinities are the strings `NaN`, `Infinity`.
 */
import { POINTER_SIZE, type Btf } from './btf.js';
import { btfError } from './errors.js';
import { BtfKind, IntEncoding, isAnyEnum, isComposite, kindName, type BtfType } from './types.js';

export { formatTypeC } from './format-c.js';

/** FormattedValue is what formatValue returns: JSON-able data. */
export type FormattedValue = null | boolean | number | string | FormattedValue[] | { [key: string]: FormattedValue };

/** Deepest nesting formatted; only reference cycles in a malformed blob reach it. */
const MAX_DEPTH = 64;
/** Most values (leaves and containers) one call produces, so a huge array of empty structs cannot hang the caller. */
const MAX_NODES = 1 << 20;
const BITS_PER_BYTE = 8;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const PRINTABLE_FIRST = 0x20;
const PRINTABLE_LAST = 0x7e;
const FLOAT16_SIZE = 2;
const FLOAT32_SIZE = 4;
const FLOAT64_SIZE = 8;
const INT128_BITS = 128;

/** jsonInt turns an integer into a number when it is exactly representable, else into its decimal string. */
export function jsonInt(v: bigint): number | string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
}

/** formatValue decodes the bytes at `offset` as a value of type `typeId`. It throws only LoadError. */
export function formatValue(btf: Btf, typeId: number, bytes: Uint8Array, offset = 0): FormattedValue {
  return new Formatter(btf, bytes).value(typeId, offset, 0, 0);
}

class Formatter {
  private nodes = 0;
  private readonly view: DataView;
  private readonly le: boolean;

  constructor(
    private readonly btf: Btf,
    private readonly bytes: Uint8Array,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = btf.littleEndian;
  }

  /** value formats type `id` at byte `at` plus `bit` bits (0..7, for members that do not start on a byte). */
  value(id: number, at: number, bit: number, depth: number): FormattedValue {
    if (depth > MAX_DEPTH) throw btfError(`type ${id}: value nests deeper than ${MAX_DEPTH} levels`);
    if (++this.nodes > MAX_NODES) throw btfError(`type ${id}: value has more than ${MAX_NODES} parts`);
    const rid = this.btf.resolve(id);
    const t = this.btf.types[rid];
    switch (t.kind) {
      case BtfKind.INT:
        return this.int(rid, t, at, bit);
      case BtfKind.PTR:
        return '0x' + this.uint(rid, at, POINTER_SIZE).toString(16);
      case BtfKind.ARRAY:
        return this.array(rid, t.type, t.nelems, at, depth);
      case BtfKind.STRUCT:
      case BtfKind.UNION: {
        const out: { [key: string]: FormattedValue } = {};
        this.composite(rid, at, depth, out);
        return out;
      }
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
        return this.enumValue(t, this.uint(rid, at, t.size));
      case BtfKind.FLOAT:
        return this.float(rid, t.size, at);
      case BtfKind.VAR:
        return { [t.name]: this.value(t.type, at, bit, depth + 1) };
      case BtfKind.DATASEC:
        return { [t.name]: t.vars.map((v) => this.value(v.type, at + v.offset, 0, depth + 1)) };
      default:
        throw btfError(`type ${id}: cannot format a value of kind ${kindName(t.kind)}`);
    }
  }

  /** check makes sure bytes [at, at + size) are inside the buffer. */
  private check(id: number, at: number, size: number): void {
    if (at < 0 || at + size > this.bytes.length) {
      throw btfError(`type ${id}: value needs bytes [${at}, ${at + size}), the buffer has ${this.bytes.length}`);
    }
  }

  /** uint reads `size` bytes at `at` as an unsigned integer in the BTF's byte order. */
  private uint(id: number, at: number, size: number): bigint {
    this.check(id, at, size);
    let v = 0n;
    for (let i = 0; i < size; i++) {
      const b = BigInt(this.bytes[this.le ? at + size - 1 - i : at + i]);
      v = (v << 8n) | b;
    }
    return v;
  }

  /** bits reads an `n`-bit field starting `bitPos` bits after byte `at` (bit numbering of the byte order). */
  private bits(id: number, at: number, bitPos: number, n: number): bigint {
    const first = at + Math.floor(bitPos / BITS_PER_BYTE);
    const skip = bitPos % BITS_PER_BYTE;
    const nbytes = Math.ceil((skip + n) / BITS_PER_BYTE);
    const raw = this.uint(id, first, nbytes);
    const shift = this.le ? skip : nbytes * BITS_PER_BYTE - skip - n;
    return (raw >> BigInt(shift)) & ((1n << BigInt(n)) - 1n);
  }

  private int(id: number, t: Extract<BtfType, { kind: typeof BtfKind.INT }>, at: number, bit: number): FormattedValue {
    const whole = bit === 0 && t.offset === 0 && t.bits % BITS_PER_BYTE === 0;
    if (t.bits === INT128_BITS && whole) return '0x' + this.uint(id, at, t.size).toString(16);
    const raw = whole ? this.uint(id, at, t.bits / BITS_PER_BYTE) : this.bits(id, at, bit + t.offset, t.bits);
    if (t.encoding === IntEncoding.BOOL) return raw !== 0n;
    if (t.encoding === IntEncoding.CHAR && t.bits === BITS_PER_BYTE) return String.fromCharCode(Number(raw));
    return jsonInt(t.signed && t.bits > 0 ? BigInt.asIntN(t.bits, raw) : raw);
  }

  private array(id: number, elem: number, nelems: number, at: number, depth: number): FormattedValue {
    if (isCharType(this.btf, elem)) {
      const s = this.cString(id, at, nelems);
      if (s !== undefined) return s;
    }
    if (nelems === 0) return [];
    const size = this.btf.sizeOf(elem);
    this.check(id, at, nelems * size);
    const out: FormattedValue[] = [];
    for (let i = 0; i < nelems; i++) out.push(this.value(elem, at + i * size, 0, depth + 1));
    return out;
  }

  /** cString returns the text of a char array that holds printable characters up to a NUL, as bpftool's is_str_array. */
  private cString(id: number, at: number, n: number): string | undefined {
    this.check(id, at, n);
    let s = '';
    for (let i = 0; i < n; i++) {
      const b = this.bytes[at + i];
      if (b === 0) return s;
      if (b < PRINTABLE_FIRST || b > PRINTABLE_LAST) return undefined;
      s += String.fromCharCode(b);
    }
    return undefined;
  }

  /** composite adds the members of struct/union `id` at byte `at` to `out`, merging anonymous members in. */
  private composite(id: number, at: number, depth: number, out: { [key: string]: FormattedValue }): void {
    const t = this.btf.types[id];
    if (!isComposite(t)) return;
    for (const m of t.members) {
      const mid = this.btf.resolve(m.type);
      const mt = this.btf.types[mid];
      const byte = at + Math.floor(m.bitOffset / BITS_PER_BYTE);
      if (m.name === '' && isComposite(mt)) {
        if (depth + 1 > MAX_DEPTH) throw btfError(`type ${id}: value nests deeper than ${MAX_DEPTH} levels`);
        this.composite(mid, byte, depth + 1, out);
        continue;
      }
      let v: FormattedValue;
      if (m.bitfieldSize > 0) {
        const raw = this.bits(id, at, m.bitOffset, m.bitfieldSize);
        const signed = (mt.kind === BtfKind.INT || isAnyEnum(mt)) && mt.signed;
        const n = signed ? BigInt.asIntN(m.bitfieldSize, raw) : raw;
        v = isAnyEnum(mt) ? this.enumValue(mt, n) : jsonInt(n);
      } else {
        v = this.value(m.type, byte, m.bitOffset % BITS_PER_BYTE, depth + 1);
      }
      if (m.name === '__proto__') Object.defineProperty(out, m.name, { value: v, enumerable: true, writable: true });
      else out[m.name] = v;
    }
  }

  /** enumValue names the enumerator whose value equals `raw` (compared in the enum's width), else gives the number. */
  private enumValue(t: BtfType, raw: bigint): FormattedValue {
    if (!isAnyEnum(t)) return jsonInt(raw);
    const bits = t.size * BITS_PER_BYTE;
    const u = BigInt.asUintN(bits, raw);
    for (const e of t.values) {
      if (BigInt.asUintN(bits, BigInt(e.value)) === u) return e.name;
    }
    return jsonInt(t.signed ? BigInt.asIntN(bits, raw) : u);
  }

  private float(id: number, size: number, at: number): FormattedValue {
    this.check(id, at, size);
    let f: number;
    if (size === FLOAT32_SIZE) f = this.view.getFloat32(at, this.le);
    else if (size === FLOAT64_SIZE) f = this.view.getFloat64(at, this.le);
    else if (size === FLOAT16_SIZE) f = half(this.view.getUint16(at, this.le));
    else return '0x' + this.uint(id, at, size).toString(16);
    return Number.isFinite(f) ? f : String(f);
  }
}

const HALF_EXP_SHIFT = 10;
const HALF_EXP_MASK = 0x1f;
const HALF_FRAC_MASK = 0x3ff;
const HALF_SIGN = 0x8000;
const HALF_BIAS = 15;
const HALF_FRAC_SCALE = 1024;

/** half decodes an IEEE 754 binary16 value. */
function half(h: number): number {
  const sign = h & HALF_SIGN ? -1 : 1;
  const exp = (h >> HALF_EXP_SHIFT) & HALF_EXP_MASK;
  const frac = h & HALF_FRAC_MASK;
  if (exp === 0) return sign * 2 ** (1 - HALF_BIAS) * (frac / HALF_FRAC_SCALE);
  if (exp === HALF_EXP_MASK) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - HALF_BIAS) * (1 + frac / HALF_FRAC_SCALE);
}

function isQualifier(t: BtfType): t is Extract<BtfType, { type: number }> {
  const k = t.kind;
  return k === BtfKind.CONST || k === BtfKind.VOLATILE || k === BtfKind.RESTRICT || k === BtfKind.TYPE_TAG;
}

/** isCharType tells whether an array element is a char for string printing: qualifiers skipped, typedefs not. */
function isCharType(btf: Btf, id: number): boolean {
  let t = btf.type(id);
  for (let i = 0; i < MAX_DEPTH && isQualifier(t); i++) t = btf.type(t.type);
  return t.kind === BtfKind.INT && t.size === 1 && (t.encoding === IntEncoding.CHAR || t.name === 'char');
}
