/**
 * The direct emitter's expression builder: an `ExprBuilder` (the API the shared `make*` builders write against) that
 * writes Wasm bytecode as expressions are built, into the chains of segments of `segments.ts`: an operator links its
 * operands' code and appends its opcode, so nothing is copied however the builders order their calls. Blocks without
 * a label are their statements' code (nothing branches to them); `if` takes its result type from its arms; `ctl` and
 * `raw` write the control instructions the function layout writes itself (`block`, `loop`, `br`, `br_table`, `end`).
 * Function and global names resolve to indexes when the call or access is built, so the module's imports are planned
 * before translation.
 */
import { NotSupportedError } from '../../errors.js';
import type { Expr, ExprBuilder, I32Ops, I64Ops, ValueTypes } from '../builder.js';
import type { ByteWriter } from './bytes.js';
import { EMPTY, OP, VAL } from './opcodes.js';
import { Segments } from './segments.js';

/** UNREACHABLE_TYPE is the type of an expression that does not complete (a return, a trap). */
const UNREACHABLE_TYPE = -1;

/** TREE_TYPES are the type constants of the tree builder: the value type bytes, the empty block type for none. */
export const TREE_TYPES: ValueTypes = { i32: VAL.i32, i64: VAL.i64, none: EMPTY, unreachable: UNREACHABLE_TYPE };

/** Resolver maps internal function and global names to their indexes in the module. */
export interface Resolver {
  func(name: string): number;
  global(name: string): number;
}

/** KEEP_BYTES bounds the code buffer a disposed tree keeps for the next compilation. */
const KEEP_BYTES = 1 << 22;

const disposed = (name: string): never => {
  throw new NotSupportedError('jit-invalid-module', `internal error: direct emitter: ${name} resolved by a disposed tree`);
};
const NO_RESOLVER: Resolver = { func: disposed, global: disposed };

let spare: Tree | undefined;

const blockType = (ty: number): number => (ty === VAL.i32 || ty === VAL.i64 ? ty : EMPTY);

/** Tree is the builder and the code of the expressions of one module; `dispose` hands its storage back. */
export class Tree implements ExprBuilder {
  private readonly s = new Segments();
  private resolver: Resolver = NO_RESOLVER;
  /** The functions the code calls by name (imports included), since `acquire`. */
  readonly called = new Set<string>();

  readonly i32: I32Ops;
  readonly i64: I64Ops;
  readonly local = {
    get: (index: number, type: number): Expr => this.leafU(OP.local_get, index, type),
    set: (index: number, value: Expr): Expr => this.unU(OP.local_set, index, value, EMPTY),
  };
  readonly global = {
    get: (name: string, type: number): Expr => this.leafU(OP.global_get, this.resolver.global(name), type),
    set: (name: string, value: Expr): Expr => this.unU(OP.global_set, this.resolver.global(name), value, EMPTY),
  };

  /**
   * acquire returns an empty tree resolving names with `resolver`: the one the last compilation disposed of, if any.
   * Reusing it keeps its storage and its operator functions, so V8's code for the builders stays specialised to
   * them from one compilation to the next.
   */
  static acquire(resolver: Resolver): Tree {
    const t = spare ?? new Tree();
    spare = undefined;
    t.s.reset();
    t.called.clear();
    t.resolver = resolver;
    return t;
  }

  private constructor() {
    const s = this.s;
    const un = (op: number, ty: number) => (a: Expr): Expr => this.un(op, a, ty);
    const bin = (op: number, ty: number) => (a: Expr, b: Expr): Expr => {
      s.take(a);
      s.then(b);
      s.open().u8(op);
      return s.done(ty);
    };
    // Loads and stores: alignment hint 2^0 (guest accesses may be misaligned) and offset 0.
    const memOp = (op: number, ty: number): Expr => {
      const w = s.open();
      w.u8(op);
      w.u8(0);
      w.u8(0);
      return s.done(ty);
    };
    const load = (op: number, ty: number) => (_offset: number, _align: number, p: Expr): Expr => {
      s.take(p);
      return memOp(op, ty);
    };
    const store = (op: number) => (_offset: number, _align: number, p: Expr, v: Expr): Expr => {
      s.take(p);
      s.then(v);
      return memOp(op, EMPTY);
    };
    const I = VAL.i32;
    const L = VAL.i64;
    this.i32 = {
      const: (v) => {
        s.fresh();
        const w = s.w;
        w.u8(OP.i32_const);
        w.s32(v | 0);
        return s.done(I);
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
        s.fresh();
        const w = s.w;
        w.u8(OP.i64_const);
        if (typeof v === 'number' && (v | 0) === v) w.s32(v);
        else w.s64(BigInt.asIntN(64, BigInt(v)));
        return s.done(L);
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

  /** leaf is an operator without immediates or operands. */
  private leaf(op: number, ty: number): Expr {
    this.s.fresh();
    this.s.w.u8(op);
    return this.s.done(ty);
  }

  /** un is an operator without immediates and with one operand. */
  private un(op: number, a: Expr, ty: number): Expr {
    const s = this.s;
    s.take(a);
    s.open().u8(op);
    return s.done(ty);
  }

  /** leafU is an operator with an unsigned immediate and no operands. */
  private leafU(op: number, imm: number, ty: number): Expr {
    const s = this.s;
    s.fresh();
    const w = s.w;
    w.u8(op);
    w.u32(imm);
    return s.done(ty);
  }

  /** unU is an operator with an unsigned immediate and one operand. */
  private unU(op: number, imm: number, a: Expr, ty: number): Expr {
    const s = this.s;
    s.take(a);
    const w = s.open();
    w.u8(op);
    w.u32(imm);
    return s.done(ty);
  }

  /** seq starts the chain with `kids` (an empty chain without them). */
  private seq(kids: readonly Expr[]): void {
    const s = this.s;
    if (kids.length === 0) {
      s.fresh();
      return;
    }
    s.take(kids[0]);
    for (let i = 1; i < kids.length; i++) s.then(kids[i]);
  }

  block(_label: string | null, children: readonly Expr[], type?: number): Expr {
    const ty = type ?? (children.length ? this.s.type(children[children.length - 1]) : EMPTY);
    this.seq(children);
    return this.s.joined(ty);
  }

  if(cond: Expr, then: Expr, otherwise?: Expr): Expr {
    const s = this.s;
    const t = s.type(then);
    const ty = otherwise === undefined ? EMPTY : t === UNREACHABLE_TYPE ? s.type(otherwise) : t;
    // An arm that starts with `nop` is the cold mark of `coldIf` (emit.ts): record where this `if` begins.
    const cold = s.firstByte(then) === OP.nop;
    s.take(cond);
    let w = s.open();
    if (cold) s.markCold();
    w.u8(OP.if);
    w.u8(blockType(ty));
    s.mark();
    s.then(then);
    if (otherwise !== undefined) {
      s.open().u8(OP.else);
      s.mark();
      s.then(otherwise);
    }
    w = s.open();
    w.u8(OP.end);
    return s.done(ty);
  }

  call(name: string, operands: readonly Expr[], type: number): Expr {
    const index = this.resolver.func(name);
    this.called.add(name);
    this.seq(operands);
    const w = this.s.open();
    w.u8(OP.call);
    w.u32(index);
    return this.s.done(type);
  }

  return(value?: Expr): Expr {
    return value === undefined ? this.leaf(OP.return, UNREACHABLE_TYPE) : this.un(OP.return, value, UNREACHABLE_TYPE);
  }

  nop(): Expr {
    // A nop is written: as the first instruction of an if's arm it is the cold mark branch-hints.ts looks for.
    return this.leaf(OP.nop, EMPTY);
  }

  drop(value: Expr): Expr {
    return this.un(OP.drop, value, EMPTY);
  }

  unreachable(): Expr {
    return this.leaf(OP.unreachable, UNREACHABLE_TYPE);
  }

  /** ctl is a control instruction without operands (`end`), or with a label depth (`br`, `br_if`). */
  ctl(op: number, depth?: number): Expr {
    const s = this.s;
    s.fresh();
    const w = s.w;
    w.u8(op);
    if (depth !== undefined) w.u32(depth);
    return s.done(EMPTY);
  }

  /**
   * startWriting starts an expression whose code the caller writes itself into the returned writer, then ends with
   * `endWriting`: code of a fixed shape that is cheaper written in one piece than built operator by operator.
   */
  startWriting(): ByteWriter {
    this.s.fresh();
    return this.s.w;
  }

  /** endWriting ends the code written since `startWriting`, as an expression of type `type`. */
  endWriting(type: number = EMPTY): Expr {
    return this.s.done(type);
  }

  /** markCold records that the next byte written begins a cold `if` (for code written through `startWriting`). */
  readonly markCold = (): void => this.s.markCold();

  /** raw is an expression whose code is the given bytes (control the function layout writes itself). */
  raw(bytes: Uint8Array): Expr {
    this.s.fresh();
    this.s.w.bytes(bytes);
    return this.s.done(EMPTY);
  }

  /** size is the length of the code of `e`. */
  size(e: Expr): number {
    return this.s.size(e);
  }

  /** writeCode appends the code of `e` to `out`, and the positions in `out` of its cold `if`s to `cold`. */
  writeCode(e: Expr, out: ByteWriter, cold: number[]): void {
    this.s.writeTo(e, out, cold);
  }

  /** dispose hands the tree back for the next compilation (unless it grew very large); it is not used after. */
  dispose(): void {
    this.resolver = NO_RESOLVER;
    if (this.s.w.capacity <= KEEP_BYTES) spare = this;
  }
}
