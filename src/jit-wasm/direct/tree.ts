/**
 * The direct emitter's expression builder: an `ExprBuilder` (the API the shared `make*` builders write against) that
 * writes Wasm bytecode as expressions are built. Wasm is a stack machine, so an operator is its operands' code followed
 * by its opcode: an expression is a byte range of one buffer, and an operator built on the ranges just written (the
 * usual case, as builders build operands in order) only appends its opcode. Operands elsewhere in the buffer are
 * copied to its end first; what they leave behind is never emitted. Blocks without a label are their statements'
 * code (nothing branches to them); `if` takes its result type from its arms; `raw` writes the control instructions
 * the function layout writes itself (`block`, `loop`, `br`, `br_table`, `end`). Function and global names resolve to
 * indexes when the call or access is built, so the module's imports are planned before translation.
 */
import type { Expr, ExprBuilder, I32Ops, I64Ops, ValueTypes } from '../builder.js';
import { ByteWriter } from './bytes.js';
import { EMPTY, OP, VAL } from './opcodes.js';

/** UNREACHABLE_TYPE is the type of an expression that does not complete (a return, a trap). */
const UNREACHABLE_TYPE = -1;

/** TREE_TYPES are the type constants of the tree builder: the value type bytes, the empty block type for none. */
export const TREE_TYPES: ValueTypes = { i32: VAL.i32, i64: VAL.i64, none: EMPTY, unreachable: UNREACHABLE_TYPE };

/** Resolver maps internal function and global names to their indexes in the module. */
export interface Resolver {
  func(name: string): number;
  global(name: string): number;
}

const blockType = (ty: number): number => (ty === VAL.i32 || ty === VAL.i64 ? ty : EMPTY);

/** Tree is the builder and the code buffer of the expressions of one module. */
export class Tree implements ExprBuilder {
  private readonly w = new ByteWriter(1 << 16);
  private start: Int32Array<ArrayBuffer> = new Int32Array(1 << 12);
  private end: Int32Array<ArrayBuffer> = new Int32Array(1 << 12);
  private ty: Int32Array<ArrayBuffer> = new Int32Array(1 << 12);
  private count = 0;

  readonly i32: I32Ops;
  readonly i64: I64Ops;
  readonly local = {
    get: (index: number, type: number): Expr => {
      const from = this.len;
      this.u8(OP.local_get);
      this.u32(index);
      return this.close(from, type);
    },
    set: (index: number, value: Expr): Expr => {
      const from = this.gather1(value);
      this.u8(OP.local_set);
      this.u32(index);
      return this.close(from, EMPTY);
    },
  };
  readonly global = {
    get: (name: string, type: number): Expr => {
      const from = this.len;
      this.u8(OP.global_get);
      this.u32(this.resolver.global(name));
      return this.close(from, type);
    },
    set: (name: string, value: Expr): Expr => {
      const from = this.gather1(value);
      this.u8(OP.global_set);
      this.u32(this.resolver.global(name));
      return this.close(from, EMPTY);
    },
  };

  constructor(private readonly resolver: Resolver) {
    const un = (op: number, ty: number) => (a: Expr): Expr => {
      const from = this.gather1(a);
      this.u8(op);
      return this.close(from, ty);
    };
    const bin = (op: number, ty: number) => (a: Expr, b: Expr): Expr => {
      const from = this.gather2(a, b);
      this.u8(op);
      return this.close(from, ty);
    };
    // Loads and stores: alignment hint 2^0 (guest accesses may be misaligned) and offset 0.
    const load = (op: number, ty: number) => (_offset: number, _align: number, p: Expr): Expr => {
      const from = this.gather1(p);
      this.u8(op);
      this.u8(0);
      this.u8(0);
      return this.close(from, ty);
    };
    const store = (op: number) => (_offset: number, _align: number, p: Expr, v: Expr): Expr => {
      const from = this.gather2(p, v);
      this.u8(op);
      this.u8(0);
      this.u8(0);
      return this.close(from, EMPTY);
    };
    const I = VAL.i32;
    const L = VAL.i64;
    this.i32 = {
      const: (v) => {
        const from = this.len;
        this.u8(OP.i32_const);
        this.w.s32(v | 0);
        return this.close(from, I);
      },
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
      const: (v) => {
        const from = this.len;
        this.u8(OP.i64_const);
        if (typeof v === 'number') this.w.s32(v);
        else this.w.s64(v);
        return this.close(from, L);
      },
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

  private close(from: number, ty: number): Expr {
    const id = this.count++;
    if (id === this.start.length) {
      const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
        const n = new Int32Array(a.length * 2);
        n.set(a);
        return n;
      };
      this.start = grow(this.start);
      this.end = grow(this.end);
      this.ty = grow(this.ty);
    }
    this.start[id] = from;
    this.end[id] = this.len;
    this.ty[id] = ty;
    return id;
  }

  private get len(): number {
    return this.w.len;
  }

  private u8(b: number): void {
    this.w.u8(b);
  }

  private u32(v: number): void {
    this.w.u32(v);
  }

  /** copy appends the code of `e` at the end of the buffer. */
  private copy(e: Expr): void {
    this.w.copyWithin(this.start[e], this.end[e]);
  }

  private gather1(a: Expr): number {
    if (this.end[a] === this.len) return this.start[a];
    const from = this.len;
    this.copy(a);
    return from;
  }

  private gather2(a: Expr, b: Expr): number {
    if (this.end[b] === this.len && this.end[a] === this.start[b]) return this.start[a];
    const from = this.len;
    this.copy(a);
    this.copy(b);
    return from;
  }

  /** gather makes the code of `kids`, in order, end the buffer and returns where it starts. */
  private gather(kids: readonly Expr[]): number {
    let at = kids.length ? this.start[kids[0]] : this.len;
    const from = at;
    for (let i = 0; i < kids.length && at >= 0; i++) at = this.start[kids[i]] === at ? this.end[kids[i]] : -1;
    if (at === this.len) return from;
    const start = this.len;
    for (let i = 0; i < kids.length; i++) this.copy(kids[i]);
    return start;
  }

  block(_label: string | null, children: readonly Expr[], type?: number): Expr {
    const ty = type ?? (children.length ? this.ty[children[children.length - 1]] : EMPTY);
    return this.close(this.gather(children), ty);
  }

  if(cond: Expr, then: Expr, otherwise?: Expr): Expr {
    const t = this.ty[then];
    const ty = otherwise === undefined ? EMPTY : t === UNREACHABLE_TYPE ? this.ty[otherwise] : t;
    const from = this.gather1(cond);
    this.u8(OP.if);
    this.u8(blockType(ty));
    this.copy(then);
    if (otherwise !== undefined) {
      this.u8(OP.else);
      this.copy(otherwise);
    }
    this.u8(OP.end);
    return this.close(from, ty);
  }

  call(name: string, operands: readonly Expr[], type: number): Expr {
    const from = this.gather(operands);
    this.u8(OP.call);
    this.u32(this.resolver.func(name));
    return this.close(from, type);
  }

  return(value?: Expr): Expr {
    const from = value === undefined ? this.len : this.gather1(value);
    this.u8(OP.return);
    return this.close(from, UNREACHABLE_TYPE);
  }

  nop(): Expr {
    const from = this.len;
    this.u8(OP.nop);
    return this.close(from, EMPTY);
  }

  unreachable(): Expr {
    const from = this.len;
    this.u8(OP.unreachable);
    return this.close(from, UNREACHABLE_TYPE);
  }

  /** raw is an expression whose code is the given bytes (control the function layout writes itself). */
  raw(bytes: readonly number[]): Expr {
    const from = this.len;
    this.w.bytes(bytes);
    return this.close(from, EMPTY);
  }

  /** code returns a copy of the code of `e`. */
  code(e: Expr): Uint8Array {
    return this.w.slice(this.start[e], this.end[e]);
  }
}
