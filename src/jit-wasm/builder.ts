/**
 * The expression-building API the `make*` builders write against: the subset of binaryen's `Module` they use. Two
 * things implement it: binaryen's `Module` itself (the `wasm-opt` tier, through the Relooper) and the direct emitter's
 * expression tree (`direct/tree.ts`, the `wasm-fast` tier, which writes the bytes itself). So both tiers share the
 * translation of every instruction, and differ only in how functions, control flow and the module are put together.
 */

/** Expr is a reference to a built expression (a binaryen expression reference, or a node of the direct tree). */
export type Expr = number;

type Un = (a: Expr) => Expr;
type Bin = (a: Expr, b: Expr) => Expr;
type Load = (offset: number, align: number, ptr: Expr) => Expr;
type Store = (offset: number, align: number, ptr: Expr, value: Expr) => Expr;

/** IntOps are the operators both integer widths provide. */
interface IntOps {
  add: Bin; sub: Bin; mul: Bin; div_s: Bin; div_u: Bin; rem_s: Bin; rem_u: Bin;
  and: Bin; or: Bin; xor: Bin; shl: Bin; shr_s: Bin; shr_u: Bin;
  eq: Bin; ne: Bin; lt_s: Bin; lt_u: Bin; gt_s: Bin; gt_u: Bin; le_s: Bin; le_u: Bin; ge_s: Bin; ge_u: Bin;
  eqz: Un; extend8_s: Un; extend16_s: Un;
}

/** I32Ops are the i32 operators the builders use. */
export interface I32Ops extends IntOps {
  const(v: number): Expr;
  rotl: Bin; rotr: Bin; wrap: Un;
  load: Load; load8_u: Load; load16_u: Load;
}

/** I64Ops are the i64 operators the builders use. */
export interface I64Ops extends IntOps {
  /** const takes a bigint, or a number that is a safe integer (either is read as signed). */
  const(v: bigint | number): Expr;
  extend_s: Un; extend_u: Un; extend32_s: Un;
  load: Load; load8_s: Load; load8_u: Load; load16_s: Load; load16_u: Load; load32_s: Load; load32_u: Load;
  store: Store; store8: Store; store16: Store; store32: Store;
}

/** ExprBuilder builds expressions; `type` arguments are values of `ValueTypes`. */
export interface ExprBuilder {
  readonly i32: I32Ops;
  readonly i64: I64Ops;
  readonly local: { get(index: number, type: number): Expr; set(index: number, value: Expr): Expr };
  readonly global: { get(name: string, type: number): Expr; set(name: string, value: Expr): Expr };
  block(label: string | null, children: readonly Expr[], type?: number): Expr;
  if(cond: Expr, then: Expr, otherwise?: Expr): Expr;
  call(name: string, operands: readonly Expr[], type: number): Expr;
  return(value?: Expr): Expr;
  nop(): Expr;
  unreachable(): Expr;
  /** drop discards a value. */
  drop(value: Expr): Expr;
}

/** ValueTypes names the types the builders pass (binaryen's type constants, or the direct emitter's). */
export interface ValueTypes {
  readonly i32: number;
  readonly i64: number;
  readonly none: number;
  readonly unreachable: number;
}
