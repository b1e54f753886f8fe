/**
 * The direct emitter's expression builder: an `ExprBuilder` (the API the shared `make*` builders write against) whose
 * expressions are nodes of a tree, written out as Wasm bytecode once the module's function and global indexes are
 * known. Wasm is a stack machine, so an operator is its operands followed by its opcode. Blocks without a label are
 * flattened into their parent (nothing branches to them); `if` takes its result type from its arms; `raw` nodes carry
 * the few control instructions the function layout writes itself (`block`, `loop`, `br`, `br_table`, `end`).
 */
import type { Expr, ExprBuilder, I32Ops, I64Ops, ValueTypes } from '../builder.js';
import { ByteWriter } from './bytes.js';
import { EMPTY, OP, VAL } from './opcodes.js';

/** UNREACHABLE_TYPE is the type of an expression that does not complete (a return, a trap). */
const UNREACHABLE_TYPE = -1;

/** TREE_TYPES are the type constants of the tree builder: the value type bytes, the empty block type for none. */
export const TREE_TYPES: ValueTypes = { i32: VAL.i32, i64: VAL.i64, none: EMPTY, unreachable: UNREACHABLE_TYPE };

/** Pseudo-operations above the one-byte opcode space. */
const SEQ = 0x100;
const RAW = 0x101;

/** Resolver maps internal function and global names to their indexes in the module. */
export interface Resolver {
  func(name: string): number;
  global(name: string): number;
}

const blockType = (ty: number): number => (ty === VAL.i32 || ty === VAL.i64 ? ty : EMPTY);

/** Tree is the builder and store of the expression nodes of one module. */
export class Tree implements ExprBuilder {
  private readonly op: number[] = [];
  private readonly ty: number[] = [];
  private readonly kids: (readonly Expr[] | null)[] = [];
  private readonly imm: (number | bigint | string | readonly number[] | null)[] = [];

  readonly i32: I32Ops;
  readonly i64: I64Ops;
  readonly local = {
    get: (index: number, type: number): Expr => this.node(OP.local_get, type, null, index),
    set: (index: number, value: Expr): Expr => this.node(OP.local_set, EMPTY, [value], index),
  };
  readonly global = {
    get: (name: string, type: number): Expr => this.node(OP.global_get, type, null, name),
    set: (name: string, value: Expr): Expr => this.node(OP.global_set, EMPTY, [value], name),
  };

  constructor() {
    const un = (op: number, ty: number) => (a: Expr): Expr => this.node(op, ty, [a], null);
    const bin = (op: number, ty: number) => (a: Expr, b: Expr): Expr => this.node(op, ty, [a, b], null);
    const load = (op: number, ty: number) => (_offset: number, _align: number, p: Expr): Expr => this.node(op, ty, [p], null);
    const store = (op: number) => (_offset: number, _align: number, p: Expr, v: Expr): Expr => this.node(op, EMPTY, [p, v], null);
    const I = VAL.i32;
    const L = VAL.i64;
    this.i32 = {
      const: (v) => this.node(OP.i32_const, I, null, v | 0),
      add: bin(OP.i32_add, I), sub: bin(OP.i32_sub, I), mul: bin(OP.i32_mul, I),
      div_s: bin(OP.i32_div_s, I), div_u: bin(OP.i32_div_u, I), rem_s: bin(OP.i32_rem_s, I), rem_u: bin(OP.i32_rem_u, I),
      and: bin(OP.i32_and, I), or: bin(OP.i32_or, I), xor: bin(OP.i32_xor, I),
      shl: bin(OP.i32_shl, I), shr_s: bin(OP.i32_shr_s, I), shr_u: bin(OP.i32_shr_u, I), rotl: bin(OP.i32_rotl, I), rotr: bin(OP.i32_rotr, I),
      eq: bin(OP.i32_eq, I), ne: bin(OP.i32_ne, I), lt_s: bin(OP.i32_lt_s, I), lt_u: bin(OP.i32_lt_u, I),
      gt_s: bin(OP.i32_gt_s, I), gt_u: bin(OP.i32_gt_u, I), le_s: bin(OP.i32_le_s, I), le_u: bin(OP.i32_le_u, I),
      ge_s: bin(OP.i32_ge_s, I), ge_u: bin(OP.i32_ge_u, I),
      eqz: un(OP.i32_eqz, I), wrap: un(OP.i32_wrap_i64, I), extend8_s: un(OP.i32_extend8_s, I), extend16_s: un(OP.i32_extend16_s, I),
      load: load(OP.i32_load, I), load8_u: load(OP.i32_load8_u, I), load16_u: load(OP.i32_load16_u, I),
    };
    this.i64 = {
      const: (v) => this.node(OP.i64_const, L, null, v),
      add: bin(OP.i64_add, L), sub: bin(OP.i64_sub, L), mul: bin(OP.i64_mul, L),
      div_s: bin(OP.i64_div_s, L), div_u: bin(OP.i64_div_u, L), rem_s: bin(OP.i64_rem_s, L), rem_u: bin(OP.i64_rem_u, L),
      and: bin(OP.i64_and, L), or: bin(OP.i64_or, L), xor: bin(OP.i64_xor, L),
      shl: bin(OP.i64_shl, L), shr_s: bin(OP.i64_shr_s, L), shr_u: bin(OP.i64_shr_u, L),
      eq: bin(OP.i64_eq, I), ne: bin(OP.i64_ne, I), lt_s: bin(OP.i64_lt_s, I), lt_u: bin(OP.i64_lt_u, I),
      gt_s: bin(OP.i64_gt_s, I), gt_u: bin(OP.i64_gt_u, I), le_s: bin(OP.i64_le_s, I), le_u: bin(OP.i64_le_u, I),
      ge_s: bin(OP.i64_ge_s, I), ge_u: bin(OP.i64_ge_u, I),
      eqz: un(OP.i64_eqz, I), extend_s: un(OP.i64_extend_i32_s, L), extend_u: un(OP.i64_extend_i32_u, L),
      extend8_s: un(OP.i64_extend8_s, L), extend16_s: un(OP.i64_extend16_s, L), extend32_s: un(OP.i64_extend32_s, L),
      load: load(OP.i64_load, L), load8_s: load(OP.i64_load8_s, L), load8_u: load(OP.i64_load8_u, L),
      load16_s: load(OP.i64_load16_s, L), load16_u: load(OP.i64_load16_u, L), load32_s: load(OP.i64_load32_s, L), load32_u: load(OP.i64_load32_u, L),
      store: store(OP.i64_store), store8: store(OP.i64_store8), store16: store(OP.i64_store16), store32: store(OP.i64_store32),
    };
  }

  private node(op: number, ty: number, kids: readonly Expr[] | null, imm: number | bigint | string | readonly number[] | null): Expr {
    this.op.push(op);
    this.ty.push(ty);
    this.kids.push(kids);
    this.imm.push(imm);
    return this.op.length - 1;
  }

  block(_label: string | null, children: readonly Expr[], type?: number): Expr {
    const ty = type ?? (children.length ? this.ty[children[children.length - 1]] : EMPTY);
    return this.node(SEQ, ty, children, null);
  }

  if(cond: Expr, then: Expr, otherwise?: Expr): Expr {
    if (otherwise === undefined) return this.node(OP.if, EMPTY, [cond, then], null);
    const t = this.ty[then];
    return this.node(OP.if, t === UNREACHABLE_TYPE ? this.ty[otherwise] : t, [cond, then, otherwise], null);
  }

  call(name: string, operands: readonly Expr[], type: number): Expr {
    return this.node(OP.call, type, operands, name);
  }

  return(value?: Expr): Expr {
    return this.node(OP.return, UNREACHABLE_TYPE, value === undefined ? null : [value], null);
  }

  nop(): Expr {
    return this.node(SEQ, EMPTY, null, null);
  }

  unreachable(): Expr {
    return this.node(OP.unreachable, UNREACHABLE_TYPE, null, null);
  }

  /** raw is a node written as the given bytes (structured control the function layout writes itself). */
  raw(bytes: readonly number[]): Expr {
    return this.node(RAW, EMPTY, null, bytes);
  }

  /** write appends the bytecode of expression `e` to `w`. */
  write(w: ByteWriter, e: Expr, r: Resolver): void {
    const op = this.op[e];
    const kids = this.kids[e];
    if (op === OP.if) {
      this.write(w, kids![0], r);
      w.u8(OP.if);
      w.u8(blockType(this.ty[e]));
      this.write(w, kids![1], r);
      if (kids!.length === 3) {
        w.u8(OP.else);
        this.write(w, kids![2], r);
      }
      w.u8(OP.end);
      return;
    }
    if (kids) for (let i = 0; i < kids.length; i++) this.write(w, kids[i], r);
    const imm = this.imm[e];
    switch (op) {
      case SEQ: return;
      case RAW: w.bytes(imm as number[]); return;
      case OP.i32_const: w.u8(op); w.s32(imm as number); return;
      case OP.i64_const: w.u8(op); if (typeof imm === 'bigint') w.s64(imm); else w.s32(imm as number); return;
      case OP.local_get: case OP.local_set: w.u8(op); w.u32(imm as number); return;
      case OP.global_get: case OP.global_set: w.u8(op); w.u32(r.global(imm as string)); return;
      case OP.call: w.u8(op); w.u32(r.func(imm as string)); return;
    }
    w.u8(op);
    // Loads and stores: alignment hint 2^0 (guest accesses may be misaligned) and offset 0.
    if (op >= OP.i32_load && op <= OP.i64_store32) {
      w.u8(0);
      w.u8(0);
    }
  }
}
