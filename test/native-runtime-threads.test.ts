// Many threads running one program at once on the native runtime (ThreadSanitizer build of the test runner): each
// thread has its own instance, stack and context, atomics are atomic across threads, and the shared maps, a global
// and the ring buffer lose nothing: every count is exact and every thread's records are all there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { buildContext } from '../src/runtime/context.js';
import { ROOT } from './helpers.js';
import { compileObjectProgram, mapsArg, runNative, RUNNER_TSAN } from './native-support.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const THREADS = 8;
const RUNS = 4000;

const fixture = (): string => compileC('native', readFileSync(join(ROOT, 'test/fixtures/native/native.bpf.c'), 'utf8'));

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`native runtime, ${THREADS} threads${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  it(`${THREADS} threads x ${RUNS} runs of plain increments under bpf_spin_lock: exact`, async () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(fixture())));
    const compiled = await compileObjectProgram(spec, 'locked_count');
    const ctx = Buffer.from(buildContext(spec.programs.find((p) => p.name === 'locked_count')!, {}).ctx(0)).toString('hex');
    const out = await runNative(compiled.path, ['--ctx', ctx, '--threads', String(THREADS), '--runs', String(RUNS), '--maps', mapsArg(spec), '--bench'], RUNNER_TSAN);
    const total = THREADS * RUNS;
    expect(out.totals).toEqual({ ok: total, failed: 0 });
    const value = Buffer.from(out.maps!.find((m) => m.name === 'guarded')!.entries![0][1], 'hex');
    expect([value.readUInt32LE(0), value.readBigUInt64LE(8), value.readBigUInt64LE(16)]).toEqual([0, BigInt(total), BigInt(total / 2)]);
  }, 180_000);

  it(`${THREADS} threads x ${RUNS} runs: hash, array, global and ring buffer counts are exact`, async () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(fixture())));
    const compiled = await compileObjectProgram(spec, 'count');
    const ctx = Buffer.from(buildContext(spec.programs.find((p) => p.name === 'count')!, { args: [13n] }).ctx(0)).toString('hex');
    const out = await runNative(compiled.path, ['--ctx', ctx, '--threads', String(THREADS), '--runs', String(RUNS), '--maps', mapsArg(spec), '--bench'], RUNNER_TSAN);
    const total = THREADS * RUNS;
    expect(out.totals).toEqual({ ok: total, failed: 0 });
    expect(out.status).toMatchObject({ state: 'enabled', runs: total, missed: 0 });
    const map = (name: string) => out.maps!.find((m) => m.name === name)!;
    const u64 = (v: string): bigint => Buffer.from(v, 'hex').readBigUInt64LE(0);
    expect(map('counts').entries!.map(([k, v]) => [k, u64(v)])).toEqual([['05000000', BigInt(total)]]);
    expect(u64(map('totals').entries![0][1])).toBe(BigInt(total));
    expect(u64(map('.bss').entries![0][1])).toBe(BigInt(total));
    const records = map('ring').records!.map(u64);
    expect(records).toHaveLength(total);
    const perThread = new Map<bigint, number>();
    for (const r of records) perThread.set(r, (perThread.get(r) ?? 0) + 1);
    expect([...perThread.values()]).toEqual(Array(THREADS).fill(RUNS));
    expect(new Set([...perThread.keys()].map((r) => r >> 32n))).toEqual(new Set([BigInt(out.host!.pid)]));
  }, 180_000);
});
