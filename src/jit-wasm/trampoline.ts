/**
 * The entry trampoline: a small fixed Wasm module, instantiated beside each program, through which the JavaScript
 * host starts a run with one call that crosses no BigInt. Entering the program's `bpf_main` directly from JavaScript
 * costs six BigInt arguments, a BigInt result, and a write or read of a WebAssembly.Global from JavaScript for the
 * budget, packet and control globals (each such access is a call into the engine's API, 50-100 ns on this machine
 * class, bench/RESULTS.md "Per-call cost"). Instead the host calls `run` with r1..r5 as ten i32 words and the bounds
 * of the region r1 points into (which the program starts with as its cached read bounds, abi.ts `entry_lo`); the
 * trampoline sets the program's globals from its own (which `configure` sets, only when the budget, packet or stack
 * range changes), zeroes the part of the stack the host asks for (memory.fill), calls `bpf_main` (a Wasm-to-Wasm
 * call), returns the low word of r0 and leaves r0 and the instructions executed in the result block in guest memory.
 *
 * The result block lives in the never-mapped null page of guest memory (RESULT_BLOCK): no region holds it, so
 * programs fault on it as on any null-page address, and only the trampoline writes it. The module exported for other
 * hosts (`bpftime-vm compile`) is unchanged: the trampoline imports its exports.
 */
import { NULL_GUARD_END } from '../memory/guest-memory.js';
import { ENTRY_EXPORT, ENV_MODULE, MEMORY_IMPORT } from './abi.js';
import { ByteWriter } from './direct/bytes.js';
import { EMPTY, FUNC_TYPE, KIND, LIMITS_MIN_ONLY, MUT, OP, SECTION, VAL, WASM_HEADER } from './direct/opcodes.js';

/** RESULT_BLOCK is the guest address of the run's results: inside the null page, which no region maps. */
export const RESULT_BLOCK = NULL_GUARD_END / 2;

/** RB holds the byte offsets of the result block's fields (little-endian i64 each). */
export const RB = {
  /** r0 at exit. */
  r0: 0,
  /** Instructions executed (the budget given minus the budget left). */
  steps: 8,
} as const;

/** The module the trampoline imports the program's export and globals from. */
const PROGRAM_MODULE = 'program';
const MEMORY_FILL = [0xfc, 0x0b, 0x00];
const ALIGN_I64 = 3;
/** The globals the trampoline imports from the program, in order (global indexes 0-5). */
const IMPORTED = [['budget', VAL.i64], ['ctl', VAL.i32], ['pkt_start', VAL.i32], ['pkt_len', VAL.i32], ['entry_lo', VAL.i64], ['entry_hi', VAL.i64]] as const;
const P = { budget: 0, ctl: 1, pktStart: 2, pktLen: 3, entryLo: 4, entryHi: 5 } as const;
/** The trampoline's own globals, after the imported ones. */
const G = { budget: 6, pktStart: 7, pktLen: 8, zeroStart: 9, zeroLen: 10, fp: 11 } as const;
/** `run`'s parameters: r1..r5 as (lo, hi) words (0-9), then the bounds of r1's region (10, 11; end 0 for none). */
const RUN_PARAMS = 12;
/** `configure`'s parameters, in order, with the global each sets. */
const CONFIG: readonly (readonly [number, number])[] = [[VAL.i64, G.budget], [VAL.i32, G.pktStart], [VAL.i32, G.pktLen], [VAL.i32, G.zeroStart], [VAL.i32, G.zeroLen], [VAL.i64, G.fp]];

let compiled: WebAssembly.Module | undefined;

/** trampolineBytes assembles the trampoline module (see the file comment). */
export function trampolineBytes(): Uint8Array {
  const out = new ByteWriter(512);
  out.bytes(WASM_HEADER);
  const funcType = (w: ByteWriter, params: readonly number[], results: readonly number[]) => {
    w.u8(FUNC_TYPE);
    w.u32(params.length);
    for (const p of params) w.u8(p);
    w.u32(results.length);
    for (const r of results) w.u8(r);
  };
  out.section(SECTION.type, (w) => {
    w.u32(3);
    funcType(w, Array<number>(6).fill(VAL.i64), [VAL.i64]); // 0: bpf_main
    funcType(w, CONFIG.map(([t]) => t), []); // 1: configure
    funcType(w, Array<number>(RUN_PARAMS).fill(VAL.i32), [VAL.i32]); // 2: run
  });
  // Imports: the program's entry (function 0), its globals (IMPORTED), the memory.
  out.section(SECTION.import, (w) => {
    w.u32(2 + IMPORTED.length);
    w.name(PROGRAM_MODULE);
    w.name(ENTRY_EXPORT);
    w.u8(KIND.func);
    w.u32(0);
    for (const [name, type] of IMPORTED) {
      w.name(PROGRAM_MODULE);
      w.name(name);
      w.u8(KIND.global);
      w.u8(type);
      w.u8(MUT.var);
    }
    w.name(ENV_MODULE);
    w.name(MEMORY_IMPORT);
    w.u8(KIND.memory);
    w.u8(LIMITS_MIN_ONLY);
    w.u32(0);
  });
  out.section(SECTION.function, (w) => {
    w.u32(2);
    w.u32(1);
    w.u32(2);
  });
  out.section(SECTION.global, (w) => {
    w.u32(CONFIG.length);
    for (const [type] of CONFIG) {
      w.u8(type);
      w.u8(MUT.var);
      w.u8(type === VAL.i64 ? OP.i64_const : OP.i32_const);
      w.u8(0);
      w.u8(OP.end);
    }
  });
  out.section(SECTION.export, (w) => {
    w.u32(2);
    w.name('configure');
    w.u8(KIND.func);
    w.u32(1);
    w.name('run');
    w.u8(KIND.func);
    w.u32(2);
  });
  out.section(SECTION.code, (w) => {
    w.u32(2);
    w.sized(configureBody());
    w.sized(runBody());
  });
  return out.finish();
}

/** configureBody sets the trampoline's globals from the parameters. */
function configureBody(): ByteWriter {
  const b = new ByteWriter(64);
  b.u32(0);
  CONFIG.forEach(([, global], param) => {
    b.u8(OP.local_get);
    b.u32(param);
    b.u8(OP.global_set);
    b.u32(global);
  });
  b.u8(OP.end);
  return b;
}

/**
 * runBody: set the program's globals (entry_lo/entry_hi to the bounds of r1's region, or entry_lo to -1 when the
 * end given is 0), zero the stack range, call bpf_main, store the results, return r0's low word.
 */
function runBody(): ByteWriter {
  const b = new ByteWriter(128);
  const op = (code: number, imm?: number) => {
    b.u8(code);
    if (imm !== undefined) b.u32(imm);
  };
  const i32c = (v: number) => {
    b.u8(OP.i32_const);
    b.s32(v);
  };
  const BUDGET = RUN_PARAMS;
  const R0 = RUN_PARAMS + 1;
  const LO = 10;
  const HI = 11;
  b.u32(1);
  b.u32(2);
  b.u8(VAL.i64);
  op(OP.global_get, G.budget);
  op(OP.local_tee, BUDGET);
  op(OP.global_set, P.budget);
  i32c(0);
  op(OP.global_set, P.ctl);
  op(OP.global_get, G.pktStart);
  op(OP.global_set, P.pktStart);
  op(OP.global_get, G.pktLen);
  op(OP.global_set, P.pktLen);
  op(OP.local_get, LO);
  op(OP.i64_extend_i32_u);
  b.u8(OP.i64_const);
  b.s32(-1);
  op(OP.local_get, HI);
  op(OP.select);
  op(OP.global_set, P.entryLo);
  op(OP.local_get, HI);
  op(OP.i64_extend_i32_u);
  op(OP.global_set, P.entryHi);
  // memory.fill only when there is something to zero: V8 (11.x) takes a slow path for a zero-length fill (~200 ns).
  op(OP.global_get, G.zeroLen);
  op(OP.if);
  b.u8(EMPTY);
  op(OP.global_get, G.zeroStart);
  i32c(0);
  op(OP.global_get, G.zeroLen);
  b.bytes(MEMORY_FILL);
  op(OP.end);
  i32c(0);
  for (let k = 0; k < 5; k++) {
    op(OP.local_get, 2 * k);
    op(OP.i64_extend_i32_u);
    op(OP.local_get, 2 * k + 1);
    op(OP.i64_extend_i32_u);
    b.u8(OP.i64_const);
    b.s32(32);
    op(OP.i64_shl);
    op(OP.i64_or);
  }
  op(OP.global_get, G.fp);
  op(OP.call, 0);
  op(OP.local_tee, R0);
  op(OP.i64_store, ALIGN_I64);
  b.u32(RESULT_BLOCK + RB.r0);
  i32c(0);
  op(OP.local_get, BUDGET);
  op(OP.global_get, P.budget);
  op(OP.i64_sub);
  op(OP.i64_store, ALIGN_I64);
  b.u32(RESULT_BLOCK + RB.steps);
  op(OP.local_get, R0);
  op(OP.i32_wrap_i64);
  op(OP.end);
  return b;
}

/** Trampoline is a program's entry: `configure` (budget as i64 BigInt, packet, stack range to zero, fp) and `run`. */
export interface Trampoline {
  configure(budget: bigint, pktStart: number, pktLen: number, zeroStart: number, zeroLen: number, fp: bigint): void;
  /**
   * run takes r1..r5 as (low, high) words and the start and end of the region r1 points into (end 0 for none) and
   * returns the low word of r0 (RESULT_BLOCK holds r0 and the steps).
   */
  run(...words: number[]): number;
}

/** instantiateTrampoline instantiates the (once compiled) trampoline for a program's exports and guest memory. */
export function instantiateTrampoline(exports: Record<string, unknown>, memory: WebAssembly.Memory): Trampoline {
  compiled ??= new WebAssembly.Module(trampolineBytes() as Uint8Array<ArrayBuffer>);
  const program: Record<string, WebAssembly.ImportValue> = {};
  for (const name of [ENTRY_EXPORT, ...IMPORTED.map(([n]) => n)]) program[name] = exports[name] as WebAssembly.ImportValue;
  const instance = new WebAssembly.Instance(compiled, { [PROGRAM_MODULE]: program, [ENV_MODULE]: { [MEMORY_IMPORT]: memory } });
  return instance.exports as unknown as Trampoline;
}
