/**
 * Decoding of an object file's `.BTF.ext` section: per ELF section, the function boundaries (func_info), the source
 * lines (line_info) and the CO-RE relocations (core_relo) of its instructions. The layout is libbpf's
 * `libbpf_internal.h` (`btf_ext_header`, `btf_ext_info_sec`, `bpf_func_info`, `bpf_line_info`, `bpf_core_relo`).
 * Each info block starts with its record size; records may be longer than the structs known here (newer
 * compilers append fields), so records are stepped by that size and only the known prefix is read.
 * Instruction offsets in object files are byte offsets into the ELF section; they become slot indexes here.
 */
import type { ErrorLocation } from '../../errors.js';
import type { Btf } from './btf.js';
import { extError } from './errors.js';
import { BtfKind, kindName } from './types.js';

const BTF_EXT_MAGIC = 0xeb9f;
const BTF_EXT_VERSION = 1;
/** Header size up to line_info_len; core_relo_off/len follow in headers of at least CORE_HEADER_SIZE bytes. */
const MIN_HEADER_SIZE = 24;
const CORE_HEADER_SIZE = 32;
const HDR_VERSION = 2;
const HDR_LEN = 4;
const HDR_FUNC_INFO = 8;
const HDR_LINE_INFO = 16;
const HDR_CORE_RELO = 24;
// Records are u32 words: bpf_func_info (insn_off, type_id), bpf_line_info (insn_off, file_name_off, line_off,
// line_col), bpf_core_relo (insn_off, type_id, access_str_off, kind).
const WORD = 4;
const RECORD_SIZE_FIELD = 4;
const SEC_HEADER_SIZE = 8;
const FUNC_INFO_SIZE = 8;
const LINE_INFO_SIZE = 16;
const CORE_RELO_SIZE = 16;
const ALIGN = 4;
const INSN_SIZE = 8;
const LINE_SHIFT = 10;
const COLUMN_MASK = 0x3ff;

/** CoreReloKind numbers the CO-RE relocation kinds as uapi `enum bpf_core_relo_kind`. */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** CORE_RELO_KIND_NAMES are libbpf's short names of the kinds (`byte_off`, `field_exists`...), indexed by kind. */
export const CORE_RELO_KIND_NAMES: readonly string[] = [
  'byte_off',
  'byte_sz',
  'field_exists',
  'signed',
  'lshift_u64',
  'rshift_u64',
  'local_type_id',
  'target_type_id',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
];

/** BtfFuncInfo says that a function starts at instruction `insn` (a slot index into its ELF section). */
export interface BtfFuncInfo {
  insn: number;
  typeId: number;
  name: string;
}

/** BtfLineInfo maps instruction `insn` of its ELF section to a source line. */
export interface BtfLineInfo {
  insn: number;
  file: string;
  /** The source text of the line, as the compiler recorded it. */
  text: string;
  line: number;
  column: number;
}

/** CoreReloRecord is one CO-RE relocation of instruction `insn` of its ELF section. */
export interface CoreReloRecord {
  insn: number;
  /** Local (object file) BTF type id the access starts from. */
  typeId: number;
  /** Access string: `0:1:2` (field path) or `0` (type and enum relocations, where it is the enumerator index). */
  access: string;
  /** CoreReloKind value. */
  kind: number;
}

/** BtfExt is a decoded `.BTF.ext`, keyed by ELF section name (`.text`, `uprobe/foo`...). */
export interface BtfExt {
  funcInfo: Map<string, BtfFuncInfo[]>;
  lineInfo: Map<string, BtfLineInfo[]>;
  coreRelos: Map<string, CoreReloRecord[]>;
}

type View = { view: DataView; le: boolean };

/** parseBtfExt decodes a `.BTF.ext` section whose strings and types live in `btf`. It throws only LoadError. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < MIN_HEADER_SIZE) {
    throw extError(`header needs ${MIN_HEADER_SIZE} bytes, the section has ${bytes.length}`);
  }
  const magic = view.getUint16(0, true);
  const le = magic === BTF_EXT_MAGIC;
  if (!le && view.getUint16(0, false) !== BTF_EXT_MAGIC) throw extError(`bad magic 0x${magic.toString(16)}, want 0xeb9f`);
  if (le !== btf.littleEndian) throw extError('byte order differs from the .BTF section');
  const version = view.getUint8(HDR_VERSION);
  if (version !== BTF_EXT_VERSION) throw extError(`unsupported version ${version}`);
  const hdrLen = view.getUint32(HDR_LEN, le);
  if (hdrLen < MIN_HEADER_SIZE || hdrLen > bytes.length) {
    throw extError(`header length ${hdrLen} is outside ${MIN_HEADER_SIZE}..${bytes.length}`);
  }
  const v = { view, le };
  const block = (at: number, what: string): Block => infoBlock(v, hdrLen, at, what);
  const out: BtfExt = { funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map() };
  readRecords(v, btf, block(HDR_FUNC_INFO, 'func_info'), FUNC_INFO_SIZE, out.funcInfo, (p, insn, where, loc) => {
    const typeId = view.getUint32(p + WORD, le);
    const t = btf.types[typeId] as (typeof btf.types)[number] | undefined;
    if (t === undefined || t.kind !== BtfKind.FUNC) {
      const what = t === undefined ? `beyond the last type ${btf.types.length - 1}` : `a ${kindName(t.kind)}, not a FUNC`;
      throw extError(`${where}: type ${typeId} is ${what}`, loc);
    }
    return { insn, typeId, name: t.name };
  });
  readRecords(v, btf, block(HDR_LINE_INFO, 'line_info'), LINE_INFO_SIZE, out.lineInfo, (p, insn, where, loc) => {
    const lineCol = view.getUint32(p + 3 * WORD, le);
    return {
      insn,
      file: string(btf, view.getUint32(p + WORD, le), `${where}: file name`, loc),
      text: string(btf, view.getUint32(p + 2 * WORD, le), `${where}: line text`, loc),
      line: lineCol >>> LINE_SHIFT,
      column: lineCol & COLUMN_MASK,
    };
  });
  if (hdrLen >= CORE_HEADER_SIZE) {
    readRecords(v, btf, block(HDR_CORE_RELO, 'core_relo'), CORE_RELO_SIZE, out.coreRelos, (p, insn, where, loc) => {
      const typeId = view.getUint32(p + WORD, le);
      if (typeId >= btf.types.length) {
        throw extError(`${where}: type ${typeId} is beyond the last type ${btf.types.length - 1}`, loc);
      }
      const kind = view.getUint32(p + 3 * WORD, le);
      const access = string(btf, view.getUint32(p + 2 * WORD, le), `${where}: access string`, loc);
      return { insn, typeId, access, kind };
    });
  }
  return out;
}

interface Block {
  what: string;
  start: number;
  end: number;
}

/** infoBlock reads the (offset, length) of one info kind from the header and bounds-checks it. */
function infoBlock(v: View, hdrLen: number, at: number, what: string): Block {
  const off = v.view.getUint32(at, v.le);
  const len = v.view.getUint32(at + WORD, v.le);
  const available = v.view.byteLength - hdrLen;
  if (off > available || len > available - off) {
    throw extError(`${what} [${off}, ${off + len}) is beyond the ${available} bytes after the header`);
  }
  if (len > 0 && off % ALIGN !== 0) throw extError(`${what} offset ${off} is not 4-byte aligned`);
  return { what, start: hdrLen + off, end: hdrLen + off + len };
}

function string(btf: Btf, off: number, what: string, loc: ErrorLocation = {}): string {
  const s = btf.stringAt(off);
  if (s === undefined) throw extError(`${what} offset ${off} is beyond the BTF string section`, loc);
  return s;
}

/**
 * readRecords walks one info block: a record size, then per ELF section a `btf_ext_info_sec` header (section name,
 * record count) followed by that many records, each decoded by `decode` from its first byte.
 */
function readRecords<T>(
  v: View,
  btf: Btf,
  b: Block,
  minSize: number,
  out: Map<string, T[]>,
  decode: (at: number, insn: number, where: string, loc: ErrorLocation) => T,
): void {
  if (b.end === b.start) return;
  if (b.end - b.start < RECORD_SIZE_FIELD) {
    throw extError(`${b.what}: block of ${b.end - b.start} bytes has no record size`);
  }
  const recSize = v.view.getUint32(b.start, v.le);
  if (recSize < minSize || recSize % ALIGN !== 0) {
    throw extError(`${b.what}: record size ${recSize} is below ${minSize} or not a multiple of 4`);
  }
  let p = b.start + RECORD_SIZE_FIELD;
  while (p < b.end) {
    const at = p - b.start;
    if (b.end - p < SEC_HEADER_SIZE) throw extError(`${b.what}: section header at offset ${at} is truncated`);
    const nameOff = v.view.getUint32(p, v.le);
    const count = v.view.getUint32(p + WORD, v.le);
    const section = string(btf, nameOff, `${b.what}: section header at offset ${at}: section name`);
    p += SEC_HEADER_SIZE;
    if (count > (b.end - p) / recSize) {
      throw extError(`${b.what}: section ${section}: ${count} records of ${recSize} bytes overrun the block`, { section });
    }
    const list = out.get(section) ?? [];
    for (let i = 0; i < count; i++, p += recSize) {
      const where = `${b.what}: section ${section}: record ${i}`;
      const insnOff = v.view.getUint32(p, v.le);
      if (insnOff % INSN_SIZE !== 0) {
        throw extError(`${where}: instruction offset ${insnOff} is not a multiple of ${INSN_SIZE}`, { section });
      }
      const insn = insnOff / INSN_SIZE;
      list.push(decode(p, insn, where, { section, pc: insn }));
    }
    out.set(section, list);
  }
}
