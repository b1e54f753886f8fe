/**
 * BTF types as decoded data. The numbering and field meanings follow the kernel's uapi `linux/btf.h` and
 * Documentation/bpf/btf.rst; every variable-length part (members, enumerators, parameters, section variables) is
 * decoded into arrays, and `kind_flag` is folded into the fields it changes (bitfield sizes, enum signedness, the kind
 * of a forward declaration), so no consumer ever needs the raw `info` word.
 */

/** BtfKind numbers the BTF kinds as the kernel does (`BTF_KIND_*`). */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** BtfKindNumber is any value of BtfKind. */
export type BtfKindNumber = (typeof BtfKind)[keyof typeof BtfKind];

/** BTF_KIND_MAX is the highest kind this decoder knows; a larger kind number cannot be skipped safely. */
export const BTF_KIND_MAX = BtfKind.ENUM64;

const KIND_NAMES: readonly string[] = Object.entries(BtfKind)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name);

/** kindName returns the name bpftool prints for a kind (`STRUCT`, `FUNC_PROTO`), or `kind N` for unknown numbers. */
export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

/** IntEncoding holds the bits of an INT's encoding (`BTF_INT_SIGNED`, `BTF_INT_CHAR`, `BTF_INT_BOOL`). */
export const IntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** FUNC_LINKAGES names the linkage of a FUNC (`BTF_FUNC_STATIC`, `_GLOBAL`, `_EXTERN`), indexed by its vlen value. */
export const FUNC_LINKAGES = ['static', 'global', 'extern'] as const;
/** FuncLinkage is a FUNC's linkage. */
export type FuncLinkage = (typeof FUNC_LINKAGES)[number];

/** VAR_LINKAGES names the linkage of a VAR (`BTF_VAR_STATIC`, `_GLOBAL_ALLOCATED`, `_GLOBAL_EXTERN`). */
export const VAR_LINKAGES = ['static', 'global', 'extern'] as const;
/** VarLinkage is a VAR's linkage. */
export type VarLinkage = (typeof VAR_LINKAGES)[number];

/** BtfVoid is type 0, which every BTF has implicitly. */
export interface BtfVoid {
  kind: typeof BtfKind.UNKN;
  name: '';
}

/** BtfInt is an integer (`int`, `unsigned char`, `_Bool`...). `offset` and `bits` locate the value inside `size` bytes. */
export interface BtfInt {
  kind: typeof BtfKind.INT;
  name: string;
  size: number;
  /** Raw encoding bits (IntEncoding); `signed` repeats the SIGNED bit for convenience. */
  encoding: number;
  signed: boolean;
  bits: number;
  offset: number;
}

/** BtfPtr is a pointer to `type`. */
export interface BtfPtr {
  kind: typeof BtfKind.PTR;
  name: string;
  type: number;
}

/** BtfArray is `nelems` elements of `type`, indexed by `indexType`. */
export interface BtfArray {
  kind: typeof BtfKind.ARRAY;
  name: string;
  type: number;
  indexType: number;
  nelems: number;
}

/** BtfMember is one member of a struct or union; `name` is '' for an anonymous (embedded) member. */
export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct in bits. */
  bitOffset: number;
  /**
   * Width of a bitfield in bits from the kind_flag encoding, 0 otherwise. Without kind_flag a bitfield can only be
   * told from its INT's `bits`/`offset` (the old encoding); libbpf's CO-RE ignores that case, and so do we.
   */
  bitfieldSize: number;
}

/** BtfComposite is a struct or union of `size` bytes. */
export interface BtfComposite {
  kind: typeof BtfKind.STRUCT | typeof BtfKind.UNION;
  name: string;
  size: number;
  members: BtfMember[];
}

/** BtfEnumValue is one enumerator of a 32-bit-valued ENUM. */
export interface BtfEnumValue {
  name: string;
  value: number;
}

/** BtfEnum is an enum whose enumerators fit 32 bits; `signed` comes from kind_flag. */
export interface BtfEnum {
  kind: typeof BtfKind.ENUM;
  name: string;
  size: number;
  signed: boolean;
  values: BtfEnumValue[];
}

/** BtfEnum64Value is one enumerator of an ENUM64. */
export interface BtfEnum64Value {
  name: string;
  value: bigint;
}

/** BtfEnum64 is an enum with 64-bit enumerators; `signed` comes from kind_flag. */
export interface BtfEnum64 {
  kind: typeof BtfKind.ENUM64;
  name: string;
  size: number;
  signed: boolean;
  values: BtfEnum64Value[];
}

/** BtfFwd is a forward declaration of a struct or a union (kind_flag). */
export interface BtfFwd {
  kind: typeof BtfKind.FWD;
  name: string;
  fwdKind: 'struct' | 'union';
}

/** BtfRef is a kind that only names another type: typedef, the qualifiers, and type tags. */
export interface BtfRef {
  kind:
    | typeof BtfKind.TYPEDEF
    | typeof BtfKind.VOLATILE
    | typeof BtfKind.CONST
    | typeof BtfKind.RESTRICT
    | typeof BtfKind.TYPE_TAG;
  name: string;
  type: number;
}

/** BtfFunc is a function; `type` is its FUNC_PROTO. */
export interface BtfFunc {
  kind: typeof BtfKind.FUNC;
  name: string;
  type: number;
  linkage: FuncLinkage;
}

/** BtfParam is one parameter of a FUNC_PROTO. */
export interface BtfParam {
  name: string;
  type: number;
}

/** BtfFuncProto is a function signature; a trailing `...` is `variadic`, not a parameter. */
export interface BtfFuncProto {
  kind: typeof BtfKind.FUNC_PROTO;
  name: string;
  returnType: number;
  params: BtfParam[];
  variadic: boolean;
}

/** BtfVar is a global or static variable of `type`. */
export interface BtfVar {
  kind: typeof BtfKind.VAR;
  name: string;
  type: number;
  linkage: VarLinkage;
}

/** BtfVarSecinfo places one VAR (or extern FUNC) inside a DATASEC. */
export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

/** BtfDatasec describes an ELF data section (`.data`, `.bss`, `.maps`...) and the variables in it. */
export interface BtfDatasec {
  kind: typeof BtfKind.DATASEC;
  name: string;
  size: number;
  vars: BtfVarSecinfo[];
}

/** BtfFloat is a floating-point type. */
export interface BtfFloat {
  kind: typeof BtfKind.FLOAT;
  name: string;
  size: number;
}

/** BtfDeclTag attaches the tag `name` to `type`, or to its member/parameter `componentIdx` (-1: the type itself). */
export interface BtfDeclTag {
  kind: typeof BtfKind.DECL_TAG;
  name: string;
  type: number;
  componentIdx: number;
}

/** BtfType is any decoded BTF type; `types[id]` of a Btf. */
export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfPtr
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfRef
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/** isComposite tells whether a type is a struct or a union. */
export function isComposite(t: BtfType): t is BtfComposite {
  return t.kind === BtfKind.STRUCT || t.kind === BtfKind.UNION;
}

/** isAnyEnum tells whether a type is an ENUM or an ENUM64. */
export function isAnyEnum(t: BtfType): t is BtfEnum | BtfEnum64 {
  return t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64;
}

/** isModifier tells whether a kind is skipped when resolving: typedef, const, volatile, restrict, type tag. */
export function isModifier(t: BtfType): t is BtfRef {
  return (
    t.kind === BtfKind.TYPEDEF ||
    t.kind === BtfKind.CONST ||
    t.kind === BtfKind.VOLATILE ||
    t.kind === BtfKind.RESTRICT ||
    t.kind === BtfKind.TYPE_TAG
  );
}
