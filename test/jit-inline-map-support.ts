// A hash map driven one operation per run, on any backend, for the inline map tests (src/jit-wasm/inline-map.ts):
// the program reads the operation from its context and makes one map helper call, with the key and value on the
// stack (the inline path) or elsewhere (the fallbacks).
import { BpfError } from '../src/errors.js';
import type { HashMap } from '../src/helpers/maps/index.js';
import { assemble, OP_LDDW } from '../src/isa/index.js';
import type { LoadedCollection } from '../src/loader/collection.js';
import { parseSection } from '../src/loader/sections.js';
import { MapType, type MapSpec } from '../src/loader/spec.js';
import type { BackendName } from '../src/runtime/backends.js';
import { Collection } from '../src/runtime/collection.js';
import { spec } from './maps-support.js';

/** Op is what one run does; `key2` is the second key of `copy`, or the key address of `rawKey`. */
export type OpName = 'lookup' | 'update' | 'delete' | 'rawKey' | 'ctxKey' | 'copy' | 'otherMap';
export interface Op {
  op: OpName;
  key: number | bigint;
  value?: bigint;
  flags?: bigint;
  key2?: bigint;
  /** Bytes `copy` moves its source past the looked-up value (into the next slot's). */
  shift?: number;
}

const OPS: readonly OpName[] = ['lookup', 'update', 'delete', 'rawKey', 'ctxKey', 'copy', 'otherMap'];

/**
 * Context: op, key, value (16 bytes), flags, key2, shift. The key is copied to fp-8 and the value to fp-24; `ctxKey` passes
 * the key in the context (readable through the cached bounds of the context's region), `rawKey` passes key2 as the
 * key pointer, `copy` updates key2 from key's value in the map (`shift` bytes
 * further; read last, so the value region is the cached one), `otherMap` looks up through map 0's handle plus one
 * handle stride (map 1's handle, which the translation guessed to be map 0's).
 */
const PROGRAM = `
  mov %r6, %r1
  ldxdw %r7, [%r6+0]
  ldxdw %r2, [%r6+8]
  stxdw [%r10-8], %r2
  ldxdw %r2, [%r6+16]
  stxdw [%r10-24], %r2
  ldxdw %r2, [%r6+24]
  stxdw [%r10-16], %r2
  jeq %r7, 1, update
  jeq %r7, 2, delete
  jeq %r7, 3, raw
  jeq %r7, 4, ctxkey
  jeq %r7, 5, copy
  jeq %r7, 6, other
  lddw %r1, map_idx 0
  mov %r2, %r10
  add %r2, -8
  call 1
  exit
update:
  lddw %r1, map_idx 0
  mov %r2, %r10
  add %r2, -8
  mov %r3, %r10
  add %r3, -24
  ldxdw %r4, [%r6+32]
  call 2
  exit
delete:
  lddw %r1, map_idx 0
  mov %r2, %r10
  add %r2, -8
  call 3
  exit
raw:
  lddw %r1, map_idx 0
  ldxdw %r2, [%r6+40]
  call 1
  exit
ctxkey:
  lddw %r1, map_idx 0
  mov %r2, %r6
  add %r2, 8
  call 1
  exit
copy:
  lddw %r1, map_idx 0
  mov %r2, %r10
  add %r2, -8
  call 1
  jeq %r0, 0, out
  mov %r3, %r0
  ldxdw %r5, [%r6+48]
  add %r3, %r5
  ldxdw %r2, [%r6+40]
  stxdw [%r10-8], %r2
  ldxdw %r4, [%r6+32]
  ldxdw %r7, [%r0+0]
  lddw %r1, map_idx 0
  mov %r2, %r10
  add %r2, -8
  call 2
out:
  exit
other:
  lddw %r1, map_idx 0
  add %r1, 256
  mov %r2, %r10
  add %r2, -8
  call 1
  exit
`;

/** collectionSpec is one `syscall` program over map 0 (the one under test) and map 1 (another hash map). */
function collectionSpec(map: Partial<MapSpec>): LoadedCollection {
  const section = 'syscall';
  const { type, attachType, attach, sleepable } = parseSection(section);
  const insns = assemble(PROGRAM);
  const mapRefs = insns.flatMap((i, pc) => (i.opcode === OP_LDDW && i.src !== 0 ? [{ pc, map: 'm' }] : []));
  return {
    programs: [{ name: 'op', section, type, attachType, attach, sleepable, insns, subprograms: [], mapRefs, funcInfo: [], lineInfo: [], coreRelocations: [], license: 'GPL' }],
    maps: [spec({ type: MapType.hash, ...map, name: 'm' }), spec({ type: MapType.hash, name: 'other' })],
    license: 'GPL',
    kernelVersion: 0,
  };
}

/** Driver runs operations on one backend and reports each outcome as text. */
export class Driver {
  readonly c: Collection;
  readonly map: HashMap;

  constructor(backend: BackendName, map: Partial<MapSpec>) {
    // Unverified on purpose: the harness returns map value pointers in r0 and passes raw key pointers, to compare the
    // runtime checks of the backends on code no verifier vouched for.
    this.c = new Collection(collectionSpec(map), { backend, verify: 'off' });
    this.map = this.c.map('m') as HashMap;
    // Map 1 holds key 1 only, so the otherMap operation tells the maps apart.
    this.c.map('other').update(Uint8Array.of(1, 0, 0, 0), new Uint8Array(8));
  }

  run(o: Op): string {
    const ctx = new Uint8Array(56);
    const dv = new DataView(ctx.buffer);
    dv.setBigUint64(0, BigInt(OPS.indexOf(o.op)), true);
    dv.setBigUint64(8, BigInt(o.key), true);
    dv.setBigUint64(16, BigInt.asUintN(64, o.value ?? 0n), true);
    dv.setBigUint64(24, BigInt.asUintN(64, ~(o.value ?? 0n)), true);
    dv.setBigUint64(32, o.flags ?? 0n, true);
    dv.setBigUint64(40, o.key2 ?? 0n, true);
    dv.setBigUint64(48, BigInt(o.shift ?? 0), true);
    try {
      const r = this.c.program('op').run({ ctx });
      return `r0 = 0x${r.r0.toString(16)}, ${r.steps} steps`;
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      return `${e.code}: ${e.message}`;
    }
  }

  /** contents are the map's elements, as hex. */
  contents(): string[] {
    return this.map.entries().map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
  }
}
