/**
 * A parsed BTF: plain, validated type data (`types[id]`, `types[0]` is void) plus the queries every consumer needs.
 * The walks follow libbpf (`skip_mods_and_typedefs`, `btf__resolve_size`, `btf__align_of`) and stop after
 * MAX_RESOLVE_DEPTH steps, so a malicious blob with reference cycles yields a LoadError instead of a hang.
 */
import { btfError } from './errors.js';
import { declare } from './names.js';
import type { StringTable } from './strings.js';
import { BtfKind, isComposite, isModifier, kindName, type BtfMember, type BtfType } from './types.js';

/** MAX_RESOLVE_DEPTH bounds reference chains, as libbpf's and the kernel's MAX_RESOLVE_DEPTH do. */
export const MAX_RESOLVE_DEPTH = 32;
/** POINTER_SIZE is the size of a pointer in the programs BTF describes (eBPF and every 64-bit host we run on). */
export const POINTER_SIZE = 8;
const UINT32_MAX = 0xffffffff;
const BITS_PER_BYTE = 8;
/** Marks a struct whose alignment is being computed, to detect structs that contain themselves. */
const ALIGN_IN_PROGRESS = -1;

/** Btf is a parsed `.BTF` blob. Its fields are plain data; the name index is built on first use. */
export class Btf {
  /** Types by id; `types[0]` is void. */
  readonly types: BtfType[];
  /** Byte order of the blob the types came from. */
  readonly littleEndian: boolean;
  readonly #strings: StringTable;
  #byName: Map<string, number[]> | undefined;
  readonly #align = new Map<number, number>();

  constructor(types: BtfType[], strings: StringTable, littleEndian: boolean) {
    this.types = types;
    this.#strings = strings;
    this.littleEndian = littleEndian;
  }

  /** type returns the type with id `id`; an id beyond the last type is a LoadError. */
  type(id: number): BtfType {
    const t = Number.isInteger(id) && id >= 0 ? this.types[id] : undefined;
    if (t === undefined) throw btfError(`type ${id} does not exist, the last type is ${this.types.length - 1}`);
    return t;
  }

  /** stringAt returns the string at an offset of the string section, or undefined beyond it (for `.BTF.ext`). */
  stringAt(offset: number): string | undefined {
    return this.#strings.at(offset);
  }

  /** findByName returns the ids of the types named `name`, optionally only those of one kind, in id order. */
  findByName(name: string, kind?: number): number[] {
    if (this.#byName === undefined) {
      const index = new Map<string, number[]>();
      for (let id = 1; id < this.types.length; id++) {
        const n = this.types[id].name;
        if (n === '') continue;
        const ids = index.get(n);
        if (ids === undefined) index.set(n, [id]);
        else ids.push(id);
      }
      this.#byName = index;
    }
    const ids = this.#byName.get(name) ?? [];
    return kind === undefined ? ids.slice() : ids.filter((id) => this.types[id].kind === kind);
  }

  /** resolve follows typedefs, const, volatile, restrict and type tags from `id` and returns the id reached. */
  resolve(id: number): number {
    let cur = id;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(cur);
      if (!isModifier(t)) return cur;
      cur = t.type;
    }
    throw this.chainError(id, 'modifier chain', (t) => (isModifier(t) ? t.type : undefined));
  }

  /** sizeOf returns the size in bytes of a type, as libbpf's btf__resolve_size; unsized kinds are a LoadError. */
  sizeOf(id: number): number {
    let cur = id;
    let nelems = 1;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(cur);
      let size: number;
      switch (t.kind) {
        case BtfKind.INT:
        case BtfKind.STRUCT:
        case BtfKind.UNION:
        case BtfKind.ENUM:
        case BtfKind.ENUM64:
        case BtfKind.DATASEC:
        case BtfKind.FLOAT:
          size = t.size;
          break;
        case BtfKind.PTR:
          size = POINTER_SIZE;
          break;
        case BtfKind.ARRAY:
          if (nelems !== 0 && t.nelems > UINT32_MAX / nelems) throw btfError(`type ${id}: size overflows 32 bits`);
          nelems *= t.nelems;
          cur = t.type;
          continue;
        case BtfKind.TYPEDEF:
        case BtfKind.VOLATILE:
        case BtfKind.CONST:
        case BtfKind.RESTRICT:
        case BtfKind.TYPE_TAG:
        case BtfKind.VAR:
        case BtfKind.DECL_TAG:
          cur = t.type;
          continue;
        default:
          throw btfError(
            `type ${id}: ${cur === id ? 'a' : `reaches type ${cur}, a`} ${kindName(t.kind)}, which has no size`,
          );
      }
      if (nelems !== 0 && size > UINT32_MAX / nelems) throw btfError(`type ${id}: size overflows 32 bits`);
      return nelems * size;
    }
    const sized = (t: BtfType): number | undefined =>
      isModifier(t) || t.kind === BtfKind.ARRAY || t.kind === BtfKind.VAR || t.kind === BtfKind.DECL_TAG ? t.type : undefined;
    throw this.chainError(id, 'type chain', sized);
  }

  /** alignOf returns the alignment of a type in bytes, as libbpf's btf__align_of (1 for packed structs). */
  alignOf(id: number): number {
    return this.alignAt(id, 0);
  }

  private alignAt(id: number, depth: number): number {
    const known = this.#align.get(id);
    if (known === ALIGN_IN_PROGRESS || depth > MAX_RESOLVE_DEPTH) {
      throw btfError(`type ${id}: alignment depends on itself or nests deeper than ${MAX_RESOLVE_DEPTH} levels`);
    }
    if (known !== undefined) return known;
    const t = this.type(id);
    let align: number;
    switch (t.kind) {
      case BtfKind.INT:
      case BtfKind.ENUM:
      case BtfKind.ENUM64:
      case BtfKind.FLOAT:
        align = Math.min(POINTER_SIZE, t.size);
        break;
      case BtfKind.PTR:
        align = POINTER_SIZE;
        break;
      case BtfKind.TYPEDEF:
      case BtfKind.VOLATILE:
      case BtfKind.CONST:
      case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
      case BtfKind.ARRAY:
        this.#align.set(id, ALIGN_IN_PROGRESS);
        try {
          align = this.alignAt(t.type, depth + 1);
        } finally {
          this.#align.delete(id);
        }
        break;
      case BtfKind.STRUCT:
      case BtfKind.UNION:
        this.#align.set(id, ALIGN_IN_PROGRESS);
        try {
          align = this.compositeAlign(t.size, t.members, depth);
        } finally {
          this.#align.delete(id);
        }
        break;
      default:
        throw btfError(`type ${id}: a ${kindName(t.kind)} has no alignment`);
    }
    this.#align.set(id, align);
    return align;
  }

  private compositeAlign(size: number, members: BtfMember[], depth: number): number {
    let max = 1;
    let packed = false;
    for (const m of members) {
      const a = this.alignAt(m.type, depth + 1);
      max = Math.max(max, a);
      // A member placed off its natural alignment means the struct is packed.
      if (m.bitfieldSize === 0 && m.bitOffset % (BITS_PER_BYTE * a) !== 0) packed = true;
    }
    return packed || size % max !== 0 ? 1 : max;
  }

  /**
   * typeName prints a type the way C spells it: `struct task_struct`, `unsigned int`, `char[16]`, `int *`, `void`,
   * `int (*)(int)`. Functions and variables include their name (`int main(void)`, `int counter`).
   */
  typeName(id: number): string {
    return declare(this, id, '');
  }

  /** members returns the members of the struct or union `id` resolves to; any other kind is a LoadError. */
  members(id: number): BtfMember[] {
    const rid = this.resolve(id);
    const t = this.types[rid];
    if (!isComposite(t)) throw btfError(`type ${id}: a ${kindName(t.kind)} has no members`);
    return t.members;
  }

  /** chainError explains a chain longer than MAX_RESOLVE_DEPTH: a cycle when an id repeats, else too deep. */
  private chainError(id: number, what: string, next: (t: BtfType) => number | undefined): Error {
    const seen = new Set<number>();
    let cur: number | undefined = id;
    while (cur !== undefined && !seen.has(cur) && cur < this.types.length) {
      seen.add(cur);
      cur = next(this.types[cur]);
    }
    if (cur !== undefined && seen.has(cur)) return btfError(`type ${id}: ${what} loops back to type ${cur}`);
    return btfError(`type ${id}: ${what} is deeper than ${MAX_RESOLVE_DEPTH} levels`);
  }
}
