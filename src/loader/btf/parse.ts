/**
 * Decoding of a `.BTF` blob (kernel `/sys/kernel/btf/*` or an object file's `.BTF` section) into a `Btf`. The layout
 * is the kernel's uapi `linux/btf.h`: a header, a type section of variable-length records, and a string section.
 * Both byte orders are accepted (the magic tells which). Every offset and length is checked against the buffer and
 * every referenced type id against the number of types, so the rest of the loader can index `types` without checks.
 */
import { Btf } from './btf.js';
import { btfError } from './errors.js';
import { StringTable } from './strings.js';
import {
  BTF_KIND_MAX,
  BtfKind,
  FUNC_LINKAGES,
  IntEncoding,
  VAR_LINKAGES,
  isComposite,
  kindName,
  type BtfMember,
  type BtfType,
} from './types.js';

export { Btf } from './btf.js';

/** BTF_MAGIC is the first two bytes of every BTF blob, read in the blob's own byte order. */
export const BTF_MAGIC = 0xeb9f;
const BTF_MAGIC_SWAPPED = 0x9feb;
const BTF_VERSION = 1;
/** Size of `struct btf_header` as of version 1, and the offsets of its fields. */
const HEADER_SIZE = 24;
const HDR_VERSION = 2;
const HDR_LEN = 4;
const HDR_TYPE_SECTION = 8;
const HDR_STR_SECTION = 16;
/** Size of `struct btf_type` (name_off, info, size/type); the kind-specific data follows it. */
const TYPE_SIZE = 12;
const TYPE_INFO = 4;
const TYPE_SIZE_OR_TYPE = 8;
const INT_DATA_SIZE = 4;
const ARRAY_SIZE = 12;
const MEMBER_SIZE = 12;
const ENUM_SIZE = 8;
const ENUM64_SIZE = 12;
const PARAM_SIZE = 8;
const VAR_SIZE = 4;
const SECINFO_SIZE = 12;
const DECL_TAG_SIZE = 4;
const SECTION_ALIGN = 4;
const WORD = 4;

const VLEN_MASK = 0xffff;
const KIND_SHIFT = 24;
const KIND_MASK = 0x1f;
const KFLAG_SHIFT = 31;
const INT_ENCODING_SHIFT = 24;
const INT_ENCODING_MASK = 0x0f;
const INT_OFFSET_SHIFT = 16;
const BYTE_MASK = 0xff;
const BITFIELD_SIZE_SHIFT = 24;
const BITFIELD_OFFSET_MASK = 0xffffff;
/** Widest integer BTF can describe (`__int128`). */
const MAX_INT_BITS = 128;
const INT_SIZES = [1, 2, 4, 8, 16];
const ENUM_SIZES = [1, 2, 4, 8];
const BITS_PER_BYTE = 8;

/** parseBtf decodes and validates a BTF blob. It throws only LoadError (code `btf`). */
export function parseBtf(bytes: Uint8Array): Btf {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < HEADER_SIZE) throw btfError(`header needs ${HEADER_SIZE} bytes, the blob has ${bytes.length}`);
  const magic = view.getUint16(0, true);
  if (magic !== BTF_MAGIC && magic !== BTF_MAGIC_SWAPPED) {
    throw btfError(`bad magic 0x${magic.toString(16)}, want 0x${BTF_MAGIC.toString(16)}`);
  }
  const le = magic === BTF_MAGIC;
  const version = view.getUint8(HDR_VERSION);
  if (version !== BTF_VERSION) throw btfError(`unsupported version ${version}`);
  const hdrLen = view.getUint32(HDR_LEN, le);
  if (hdrLen < HEADER_SIZE || hdrLen > bytes.length) {
    throw btfError(`header length ${hdrLen} is outside ${HEADER_SIZE}..${bytes.length}`);
  }
  const typeSec = section(view, le, HDR_TYPE_SECTION, hdrLen, 'type');
  const strSec = section(view, le, HDR_STR_SECTION, hdrLen, 'string');
  if ((typeSec.start - hdrLen) % SECTION_ALIGN !== 0) {
    throw btfError(`type section offset ${typeSec.start - hdrLen} is not 4-byte aligned`);
  }
  // libbpf requires the types first, then the strings, as every producer writes them.
  if (typeSec.end > strSec.start) {
    throw btfError(
      `type section [${typeSec.start - hdrLen}, ${typeSec.end - hdrLen}) runs into the string section at ` +
        `${strSec.start - hdrLen}`,
    );
  }
  const strBytes = bytes.subarray(strSec.start, strSec.end);
  if (strBytes.length === 0) throw btfError('string section is empty');
  if (strBytes[0] !== 0) throw btfError('string section does not start with an empty string');
  if (strBytes[strBytes.length - 1] !== 0) throw btfError('string section does not end with a NUL byte');
  const strings = new StringTable(strBytes.slice());
  const types = decodeTypes(view, le, typeSec.start, typeSec.end, strings);
  validateReferences(types);
  return new Btf(types, strings, le);
}

/** section reads an (offset, length) pair of the header, relative to the end of the header, and bounds-checks it. */
function section(view: DataView, le: boolean, at: number, hdrLen: number, what: string): { start: number; end: number } {
  const off = view.getUint32(at, le);
  const len = view.getUint32(at + WORD, le);
  const available = view.byteLength - hdrLen;
  if (off > available || len > available - off) {
    throw btfError(`${what} section [${off}, ${off + len}) is beyond the ${available} bytes after the header`);
  }
  return { start: hdrLen + off, end: hdrLen + off + len };
}

/** Decoder walks the type section once; methods keep the per-kind code short without closures per type. */
class Decoder {
  id = 1;
  /** Byte offset of the current type record, relative to the type section. */
  recordAt = 0;

  constructor(
    readonly view: DataView,
    readonly le: boolean,
    readonly start: number,
    readonly end: number,
    readonly strings: StringTable,
  ) {}

  u32(at: number): number {
    return this.view.getUint32(at, this.le);
  }

  i32(at: number): number {
    return this.view.getInt32(at, this.le);
  }

  name(off: number, what: string): string {
    const s = this.strings.at(off);
    if (s === undefined) {
      throw btfError(`type ${this.id}: ${what} offset ${off} is beyond the string section of ${this.strings.length} bytes`);
    }
    return s;
  }

  need(at: number, n: number, what: string): void {
    if (n > this.end - at) {
      throw btfError(
        `type ${this.id} at offset ${this.recordAt}: ${what} needs ${n} bytes, ` +
          `the type section has ${this.end - at} left`,
      );
    }
  }

  fail(message: string): never {
    throw btfError(`type ${this.id}: ${message}`);
  }
}

function decodeTypes(view: DataView, le: boolean, start: number, end: number, strings: StringTable): BtfType[] {
  const d = new Decoder(view, le, start, end, strings);
  const types: BtfType[] = [{ kind: BtfKind.UNKN, name: '' }];
  let p = start;
  while (p < end) {
    d.recordAt = p - start;
    d.need(p, TYPE_SIZE, 'the type header');
    const info = d.u32(p + TYPE_INFO);
    const kind = (info >>> KIND_SHIFT) & KIND_MASK;
    if (kind === BtfKind.UNKN || kind > BTF_KIND_MAX) d.fail(`unknown kind ${kind} at offset ${d.recordAt}`);
    const name = d.name(d.u32(p), 'name');
    const [t, size] = decodeType(d, p, kind, info & VLEN_MASK, info >>> KFLAG_SHIFT === 1, name);
    types.push(t);
    p += size;
    d.id++;
  }
  return types;
}

/**
 * decodeType decodes the record at `p` and returns it with its total size in bytes. The kind-specific records are
 * sequences of u32 words (btf_array: type, index_type, nelems; btf_member: name_off, type, offset; btf_enum:
 * name_off, val; btf_enum64: name_off, val_lo32, val_hi32; btf_param: name_off, type; btf_var_secinfo: type, offset,
 * size), read at multiples of WORD.
 */
function decodeType(d: Decoder, p: number, kind: number, vlen: number, kflag: boolean, name: string): [BtfType, number] {
  const sizeOrType = d.u32(p + TYPE_SIZE_OR_TYPE);
  const x = p + TYPE_SIZE;
  switch (kind) {
    case BtfKind.INT: {
      d.need(x, INT_DATA_SIZE, 'INT data');
      const data = d.u32(x);
      const encoding = (data >>> INT_ENCODING_SHIFT) & INT_ENCODING_MASK;
      const offset = (data >>> INT_OFFSET_SHIFT) & BYTE_MASK;
      const bits = data & BYTE_MASK;
      if (!INT_SIZES.includes(sizeOrType)) d.fail(`INT size ${sizeOrType} is not 1, 2, 4, 8 or 16`);
      if (offset + bits > Math.min(MAX_INT_BITS, sizeOrType * BITS_PER_BYTE)) {
        d.fail(`INT offset ${offset} + bits ${bits} exceed its ${sizeOrType} bytes`);
      }
      if (![0, IntEncoding.SIGNED, IntEncoding.CHAR, IntEncoding.BOOL].includes(encoding)) {
        d.fail(`INT encoding 0x${encoding.toString(16)} is not signed, char or bool`);
      }
      const signed = encoding === IntEncoding.SIGNED;
      return [{ kind, name, size: sizeOrType, encoding, signed, bits, offset }, TYPE_SIZE + INT_DATA_SIZE];
    }
    case BtfKind.PTR:
    case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE:
    case BtfKind.CONST:
    case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
      return [{ kind, name, type: sizeOrType }, TYPE_SIZE];
    case BtfKind.ARRAY:
      d.need(x, ARRAY_SIZE, 'ARRAY data');
      return [
        { kind, name, type: d.u32(x), indexType: d.u32(x + WORD), nelems: d.u32(x + 2 * WORD) },
        TYPE_SIZE + ARRAY_SIZE,
      ];
    case BtfKind.STRUCT:
    case BtfKind.UNION: {
      d.need(x, vlen * MEMBER_SIZE, `${vlen} members`);
      const members: BtfMember[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const m = x + i * MEMBER_SIZE;
        const off = d.u32(m + 2 * WORD);
        members[i] = {
          name: d.name(d.u32(m), `member ${i} name`),
          type: d.u32(m + WORD),
          bitOffset: kflag ? off & BITFIELD_OFFSET_MASK : off,
          bitfieldSize: kflag ? off >>> BITFIELD_SIZE_SHIFT : 0,
        };
      }
      return [{ kind, name, size: sizeOrType, members }, TYPE_SIZE + vlen * MEMBER_SIZE];
    }
    case BtfKind.ENUM: {
      d.need(x, vlen * ENUM_SIZE, `${vlen} enumerators`);
      if (!ENUM_SIZES.includes(sizeOrType)) d.fail(`ENUM size ${sizeOrType} is not 1, 2, 4 or 8`);
      const values = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const e = x + i * ENUM_SIZE;
        values[i] = { name: d.name(d.u32(e), `enumerator ${i} name`), value: kflag ? d.i32(e + WORD) : d.u32(e + WORD) };
      }
      return [{ kind, name, size: sizeOrType, signed: kflag, values }, TYPE_SIZE + vlen * ENUM_SIZE];
    }
    case BtfKind.ENUM64: {
      d.need(x, vlen * ENUM64_SIZE, `${vlen} enumerators`);
      if (!ENUM_SIZES.includes(sizeOrType)) d.fail(`ENUM64 size ${sizeOrType} is not 1, 2, 4 or 8`);
      const values = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const e = x + i * ENUM64_SIZE;
        const raw = (BigInt(d.u32(e + 2 * WORD)) << 32n) | BigInt(d.u32(e + WORD));
        values[i] = { name: d.name(d.u32(e), `enumerator ${i} name`), value: kflag ? BigInt.asIntN(64, raw) : raw };
      }
      return [{ kind, name, size: sizeOrType, signed: kflag, values }, TYPE_SIZE + vlen * ENUM64_SIZE];
    }
    case BtfKind.FWD:
      return [{ kind, name, fwdKind: kflag ? 'union' : 'struct' }, TYPE_SIZE];
    case BtfKind.FUNC: {
      const linkage = FUNC_LINKAGES[vlen];
      if (linkage === undefined) d.fail(`FUNC linkage ${vlen} is not static, global or extern`);
      return [{ kind, name, type: sizeOrType, linkage }, TYPE_SIZE];
    }
    case BtfKind.FUNC_PROTO: {
      d.need(x, vlen * PARAM_SIZE, `${vlen} parameters`);
      const params = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const q = x + i * PARAM_SIZE;
        params[i] = { name: d.name(d.u32(q), `parameter ${i} name`), type: d.u32(q + WORD) };
      }
      // A last parameter of type void with no name spells `...`.
      const variadic = vlen > 0 && params[vlen - 1].type === 0 && params[vlen - 1].name === '';
      if (variadic) params.pop();
      return [{ kind, name, returnType: sizeOrType, params, variadic }, TYPE_SIZE + vlen * PARAM_SIZE];
    }
    case BtfKind.VAR: {
      d.need(x, VAR_SIZE, 'VAR data');
      const raw = d.u32(x);
      const linkage = VAR_LINKAGES[raw];
      if (linkage === undefined) d.fail(`VAR linkage ${raw} is not static, global or extern`);
      return [{ kind, name, type: sizeOrType, linkage }, TYPE_SIZE + VAR_SIZE];
    }
    case BtfKind.DATASEC: {
      d.need(x, vlen * SECINFO_SIZE, `${vlen} section variables`);
      const vars = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const v = x + i * SECINFO_SIZE;
        vars[i] = { type: d.u32(v), offset: d.u32(v + WORD), size: d.u32(v + 2 * WORD) };
      }
      return [{ kind, name, size: sizeOrType, vars }, TYPE_SIZE + vlen * SECINFO_SIZE];
    }
    case BtfKind.FLOAT:
      return [{ kind, name, size: sizeOrType }, TYPE_SIZE];
    default: {
      // DECL_TAG, the last kind: the caller has rejected kinds beyond BTF_KIND_MAX.
      d.need(x, DECL_TAG_SIZE, 'DECL_TAG data');
      return [{ kind: BtfKind.DECL_TAG, name, type: sizeOrType, componentIdx: d.i32(x) }, TYPE_SIZE + DECL_TAG_SIZE];
    }
  }
}

/** validateReferences checks every referenced type id, FUNC prototypes and DECL_TAG component indexes. */
function validateReferences(types: BtfType[]): void {
  const count = types.length;
  const last = count - 1;
  const check = (id: number, what: string, ref: number): void => {
    if (ref >= count) throw btfError(`type ${id}: ${what}references type ${ref}, beyond the last type ${last}`);
  };
  for (let id = 1; id < count; id++) {
    const t = types[id];
    switch (t.kind) {
      case BtfKind.ARRAY:
        check(id, 'element ', t.type);
        check(id, 'index ', t.indexType);
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        for (let i = 0; i < t.members.length; i++) check(id, `member ${i} `, t.members[i].type);
        break;
      case BtfKind.FUNC_PROTO:
        check(id, 'return value ', t.returnType);
        for (let i = 0; i < t.params.length; i++) check(id, `parameter ${i} `, t.params[i].type);
        break;
      case BtfKind.DATASEC:
        for (let i = 0; i < t.vars.length; i++) check(id, `variable ${i} `, t.vars[i].type);
        break;
      case BtfKind.FUNC: {
        check(id, '', t.type);
        const proto = types[t.type];
        if (proto.kind !== BtfKind.FUNC_PROTO) {
          throw btfError(`type ${id}: function ${t.name} has type ${t.type}, a ${kindName(proto.kind)}, not a FUNC_PROTO`);
        }
        break;
      }
      case BtfKind.DECL_TAG:
        check(id, '', t.type);
        validateDeclTag(types, id, t.type, t.componentIdx);
        break;
      case BtfKind.PTR:
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.VAR:
        check(id, '', t.type);
        break;
      default:
        break;
    }
  }
}

function validateDeclTag(types: BtfType[], id: number, target: number, idx: number): void {
  if (idx === -1) return;
  const t = types[target];
  let components = -1;
  if (isComposite(t)) components = t.members.length;
  else if (t.kind === BtfKind.FUNC) {
    const proto = types[t.type] as BtfType | undefined;
    if (proto?.kind === BtfKind.FUNC_PROTO) components = proto.params.length;
  }
  if (idx < 0 || idx >= components) {
    throw btfError(
      `type ${id}: decl tag component ${idx} does not exist in type ${target} (${kindName(t.kind)}` +
        (components >= 0 ? ` with ${components} components)` : ')'),
    );
  }
}
