/**
 * Static region guesses. A pointer built from a lddw of a map value (`.bss`, `.data`, an array map's value) usually
 * stays inside that map's region, whose bounds are fixed while the program exists. Within a basic block the
 * translation follows which registers hold such a pointer (through mov and pointer arithmetic); an access through
 * one is first checked against the region's constant bounds, one subtraction and one unsigned compare, and only when
 * that fails asks the host (`bpf.refill`, memory-ops.ts), which checks the access in full. A wrong guess costs that
 * host call each time and is never unsafe.
 */
import type { Form, Insn } from '../isa/index.js';

/** StaticRegion is a guest-memory region whose bounds never change: [start, end). */
export interface StaticRegion {
  readonly start: number;
  readonly end: number;
  readonly writable: boolean;
}

/** RegionLookup finds the fixed region holding a guest address (none for resizable or unmapped memory). */
export type RegionLookup = (addr: bigint) => StaticRegion | undefined;

/** Guesses holds, per eBPF register r0..r10, the region its value is believed to point into. */
export type Guesses = (StaticRegion | undefined)[];

/** noGuesses is the state at the start of a block (of region guesses, or of any other fact a lddw gives). */
export const noGuesses = <T = StaticRegion>(): (T | undefined)[] => Array<T | undefined>(11).fill(undefined);

/** forgetGuesses resets `g` to the state at the start of a block (a loop: `fill` costs a builtin call per block). */
export function forgetGuesses<T>(g: (T | undefined)[]): void {
  for (let r = 0; r < g.length; r++) g[r] = undefined;
}

/**
 * trackGuesses updates `g` after the instruction `f`, `ins` at `pc`; `lddwRegion` gives the region of a lddw's value.
 * Moves copy a guess, 64-bit add and sub keep it (or take the other operand's, for index + base), and anything else
 * that writes a register forgets it. The same tracking serves other facts about lddw values (inline-map.ts: the map a
 * handle names), whose users check the guess at run time as the constant-bounds check does.
 */
export function trackGuesses<T>(g: (T | undefined)[], f: Form, ins: Insn, pc: number, lddwRegion: (pc: number) => T | undefined): void {
  switch (f.kind) {
    case 'lddw':
      g[ins.dst] = lddwRegion(pc);
      return;
    case 'alu':
      if (!f.is64) g[ins.dst] = undefined;
      else if (f.op === 'mov') g[ins.dst] = f.useReg ? g[ins.src] : undefined;
      else if (f.op === 'add') g[ins.dst] = g[ins.dst] ?? (f.useReg ? g[ins.src] : undefined);
      else if (f.op !== 'sub') g[ins.dst] = undefined;
      return;
    case 'movsx': case 'end': case 'ldx': case 'load_acq':
      g[ins.dst] = undefined;
      return;
    case 'atomic':
      if (f.op === 'cmpxchg') g[0] = undefined;
      else if (f.fetch || f.op === 'xchg') g[ins.src] = undefined;
      return;
    case 'call': case 'callx': case 'ldabs': case 'ldind':
      for (let r = 0; r <= 5; r++) g[r] = undefined;
      return;
    default:
      return;
  }
}
