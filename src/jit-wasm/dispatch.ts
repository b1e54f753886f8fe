/**
 * One entry for every program's run: a process-wide Wasm function `run(slot, ...)` that calls the trampoline `run` of
 * the program in table slot `slot` (call_indirect). JavaScript then starts every run through the same function, so
 * the call site stays monomorphic however many programs exist and V8 inlines its JavaScript-to-Wasm call; with a
 * call to each program's own trampoline, the site sees one target per program and, from a few programs on, pays
 * 5-10 ns more per call (bench/RESULTS.md "Per-call cost").
 *
 * The table holds a program's trampoline, which holds its instance and memory, but nothing that holds the program's
 * JavaScript side (JitProgram routes its imports through a link it sets only during its runs), so the JitProgram can
 * be collected; a FinalizationRegistry then frees its slot and with it the Wasm instances. Where FinalizationRegistry
 * is missing nothing is registered (`enroll` returns -1) and programs are entered directly.
 */
import { ByteWriter } from './direct/bytes.js';
import { FUNC_TYPE, FUNCREF, KIND, OP, SECTION, VAL, WASM_HEADER } from './direct/opcodes.js';

/** RUN_PARAMS is the number of i32 parameters of a trampoline's `run` (trampoline.ts). */
const RUN_PARAMS = 12;
const ENV = 'env';
const TABLE = 'table';

/** DispatchRun is the process-wide entry: the slot, then a trampoline `run`'s parameters. */
export type DispatchRun = (slot: number, ...words: number[]) => number;

/** dispatchBytes assembles the dispatch module: `run(slot, w0..w11) = table[slot](w0..w11)`. */
export function dispatchBytes(): Uint8Array {
  const out = new ByteWriter(128);
  out.bytes(WASM_HEADER);
  const funcType = (w: ByteWriter, params: number) => {
    w.u8(FUNC_TYPE);
    w.u32(params);
    for (let k = 0; k < params; k++) w.u8(VAL.i32);
    w.u32(1);
    w.u8(VAL.i32);
  };
  out.section(SECTION.type, (w) => {
    w.u32(2);
    funcType(w, RUN_PARAMS); // 0: a trampoline's run
    funcType(w, RUN_PARAMS + 1); // 1: dispatch
  });
  out.section(SECTION.import, (w) => {
    w.u32(1);
    w.name(ENV);
    w.name(TABLE);
    w.u8(KIND.table);
    w.u8(FUNCREF);
    w.u8(0);
    w.u32(0);
  });
  out.section(SECTION.function, (w) => {
    w.u32(1);
    w.u32(1);
  });
  out.section(SECTION.export, (w) => {
    w.u32(1);
    w.name('run');
    w.u8(KIND.func);
    w.u32(0);
  });
  out.section(SECTION.code, (w) => {
    const b = new ByteWriter(64);
    b.u32(0);
    for (let k = 1; k <= RUN_PARAMS; k++) {
      b.u8(OP.local_get);
      b.u32(k);
    }
    b.u8(OP.local_get);
    b.u32(0);
    b.u8(OP.call_indirect);
    b.u32(0);
    b.u32(0);
    b.u8(OP.end);
    w.u32(1);
    w.sized(b);
  });
  return out.finish();
}

interface Dispatcher {
  readonly run: DispatchRun;
  readonly table: WebAssembly.Table;
  readonly free: number[];
  readonly registry: FinalizationRegistry<number>;
  live: number;
}

let dispatcher: Dispatcher | undefined;

function create(): Dispatcher | undefined {
  if (typeof FinalizationRegistry !== 'function') return undefined;
  const table = new WebAssembly.Table({ element: 'anyfunc', initial: 16 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(dispatchBytes() as Uint8Array<ArrayBuffer>), { [ENV]: { [TABLE]: table } });
  const free: number[] = [];
  for (let k = table.length - 1; k >= 0; k--) free.push(k);
  const d: Dispatcher = {
    run: instance.exports.run as DispatchRun,
    table,
    free,
    live: 0,
    registry: new FinalizationRegistry((slot: number) => {
      table.set(slot, null);
      free.push(slot);
      d.live--;
    }),
  };
  return d;
}

/** dispatchRun is the process-wide entry (call `dispatchRun()(slot, ...)`), created on first use; undefined where programs are entered directly. */
export function dispatchRun(): DispatchRun | undefined {
  return (dispatcher ??= create())?.run;
}

/**
 * enroll puts a trampoline's `run` in a free slot for as long as `owner` lives and returns the slot, or -1 where
 * there is no dispatcher. `run` must not hold `owner` (else the slot is never freed).
 */
export function enroll(owner: object, run: (...words: number[]) => number): number {
  const d = (dispatcher ??= create());
  if (!d) return -1;
  if (d.free.length === 0) {
    const at = d.table.grow(d.table.length);
    for (let k = d.table.length - 1; k >= at; k--) d.free.push(k);
  }
  const slot = d.free.pop()!;
  d.table.set(slot, run);
  d.registry.register(owner, slot);
  d.live++;
  return slot;
}

/** enrolled is how many slots hold a program now (tests check that collected programs free theirs). */
export function enrolled(): number {
  return dispatcher?.live ?? 0;
}
