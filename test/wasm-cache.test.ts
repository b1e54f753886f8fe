/**
 * The module cache of binaryen-built compiles (src/jit-wasm/cache.ts, src/runtime/wasm-cache.ts): when a tier is set to
 * run binaryen's passes (OPT_LEVELS; `npm run bench -- tiers` does), a repeated compile of the same program is served
 * from the cache without binaryen, and anything that would make a stored module wrong for
 * this compile (other code, other host answers, another compiler, a corrupt or foreign entry) is a miss that rebuilds
 * the entry, never a crash or a wrong result.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { assemble, encodeProgram, OP_LDDW, PSEUDO_MAP_IDX, validateProgram, type Insn } from '../src/isa/index.js';
import { compileCached, loadBinaryen, OPT_LEVELS, type ModuleCache, type ModuleStore } from '../src/jit-wasm/index.js';
import { cacheRoot, makeDirs } from '../src/runtime/cache-dir.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { cacheDisabled, moduleCache } from '../src/runtime/wasm-cache.js';
import { Interpreter } from '../src/vm/index.js';
import { PLUGIN } from './helpers.js';

/** memoryStore is a ModuleStore in a Map, with the entries visible to the test. */
function memoryStore(): ModuleStore & { entries: Map<string, { meta: string; bytes: Uint8Array }> } {
  const entries = new Map<string, { meta: string; bytes: Uint8Array }>();
  return { entries, read: (k) => entries.get(k), write: (k, meta, bytes) => void entries.set(k, { meta, bytes: bytes.slice() }) };
}

const SUM = 'mov %r0, %r1\nadd %r0, %r2\nstxdw [%r10-8], %r0\nldxdw %r0, [%r10-8]\nexit';
/** A lddw of a map (PSEUDO_MAP_IDX): the value the host resolves is compiled in, a question the cache records. */
const LDDW = 'lddw %r1, 0x0\nmov %r0, %r1\nexit';

/** slots assembles `text`, making its lddw (if any) a map reference. */
function slots(text: string): Insn[] {
  const insns = assemble(text);
  if (insns[0].opcode === OP_LDDW) insns[0].src = PSEUDO_MAP_IDX;
  return insns;
}

/** compileAndRun compiles `text` on wasm-opt through `cache` on a fresh machine and runs it with r1 = 3, r2 = 4. */
function compileAndRun(text: string, cache: ModuleCache, resolveLddw?: (pc: number) => bigint): { r0: bigint; cached: boolean | undefined } {
  const vm = new Interpreter({ resolveLddw });
  const insns = slots(text);
  const { jit, stats } = compileOn(vm, insns, { tier: 'opt', cache, resolveLddw });
  return { r0: runOn(vm, vm.load(insns), jit, { args: [3n, 4n] }).r0, cached: stats.cached };
}

describe('the module cache of a tier built by binaryen', () => {
  const saved = OPT_LEVELS.opt;
  beforeAll(async () => {
    await loadBinaryen();
    OPT_LEVELS.opt = { level: 1, shrink: 0 };
  });
  afterAll(() => {
    OPT_LEVELS.opt = saved;
  });

  it('serves a repeated compile from the cache with the same bytes and results', () => {
    const store = memoryStore();
    const cache = { store, compilerId: 'test' };
    expect(compileAndRun(SUM, cache)).toEqual({ r0: 7n, cached: false });
    expect(store.entries.size).toBe(1);
    expect(compileAndRun(SUM, cache)).toEqual({ r0: 7n, cached: true });
    const valid = validateProgram(assemble(SUM));
    const a = compileCached(valid, { tier: 'opt', helpers: ubpfTestHelpers() }, cache);
    const b = compileCached(valid, { tier: 'opt', helpers: ubpfTestHelpers() }, { store: memoryStore(), compilerId: 'test' });
    expect(a.cached).toBe(true);
    expect(b.cached).toBe(false);
    expect(a.compiled.bytes).toEqual(b.compiled.bytes);
    expect(a.compiled.insnCount).toBe(b.compiled.insnCount);
  });

  it('keys by code and compiler: other slots or another compiler id miss', () => {
    const store = memoryStore();
    compileAndRun(SUM, { store, compilerId: 'test' });
    expect(compileAndRun(SUM.replace('add', 'sub'), { store, compilerId: 'test' })).toEqual({ r0: 2n ** 64n - 1n, cached: false });
    expect(compileAndRun(SUM, { store, compilerId: 'other' }).cached).toBe(false);
    expect(store.entries.size).toBe(3);
  });

  it('reuses a module only while the host answers its questions the same (a lddw value compiled in)', () => {
    const store = memoryStore();
    const log: string[] = [];
    const cache: ModuleCache = { store, compilerId: 'test', log: (event, _key, why) => log.push(why ? `${event}: ${why}` : event) };
    expect(compileAndRun(LDDW, cache, () => 0x1000n)).toEqual({ r0: 0x1000n, cached: false });
    expect(compileAndRun(LDDW, cache, () => 0x1000n)).toEqual({ r0: 0x1000n, cached: true });
    expect(compileAndRun(LDDW, cache, () => 0x2000n)).toEqual({ r0: 0x2000n, cached: false });
    expect(log).toEqual(['miss', 'hit', 'stale: the host answers differently (map addresses, regions)']);
  });

  it('treats a corrupt, truncated or foreign entry as a miss and rewrites it', () => {
    const store = memoryStore();
    const cache = { store, compilerId: 'test' };
    compileAndRun(SUM, cache);
    compileAndRun(LDDW, cache, () => 5n);
    const [sumKey, lddwKey] = [...store.entries.keys()];
    const good = store.entries.get(sumKey)!;
    const damaged: [string, { meta: string; bytes: Uint8Array }][] = [
      ['garbage bytes', { meta: good.meta, bytes: new TextEncoder().encode('garbage') }],
      ['truncated bytes', { meta: good.meta, bytes: good.bytes.subarray(0, good.bytes.length - 3) }],
      ['garbage metadata', { meta: '{"format":', bytes: good.bytes }],
      ['metadata of no object', { meta: 'null', bytes: good.bytes }],
      ['another program\'s entry', store.entries.get(lddwKey)!],
    ];
    for (const [what, entry] of damaged) {
      store.entries.set(sumKey, entry);
      expect(compileAndRun(SUM, cache), what).toEqual({ r0: 7n, cached: false });
      expect(compileAndRun(SUM, cache), what).toEqual({ r0: 7n, cached: true });
    }
  });

  it('lives in $XDG_CACHE_HOME/bpftime-vm (else ~/.cache/bpftime-vm), shared with the native cache, and turns off with BPFTIME_VM_CACHE=0', () => {
    expect(cacheRoot('wasm', { XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe('/x/cache/bpftime-vm/wasm');
    expect(cacheRoot('wasm', { XDG_CACHE_HOME: '', HOME: '/home/u' })).toBe('/home/u/.cache/bpftime-vm/wasm');
    expect(cacheRoot(undefined, { HOME: '/home/u' })).toBe('/home/u/.cache/bpftime-vm');
    for (const v of ['0', 'off', 'false', 'no']) expect(cacheDisabled({ BPFTIME_VM_CACHE: v })).toBe(true);
    expect(cacheDisabled({})).toBe(false);
    expect(cacheDisabled({ BPFTIME_VM_CACHE: '1' })).toBe(false);
  });

  it('makes a cache directory and its missing parents, and gives up on one that cannot be made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpftime-vm-dirs-'));
    try {
      makeDirs(join(dir, 'a', 'b', 'c'), fs);
      expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
      makeDirs(join(dir, 'a', 'b', 'c'), fs);
      writeFileSync(join(dir, 'file'), '');
      expect(() => makeDirs(join(dir, 'file', 'x'), fs)).toThrow(/ENOTDIR/);
      if (process.platform === 'linux') expect(() => makeDirs(`/proc/bpftime-vm-test-${process.pid}/x`, fs)).toThrow(/ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps entries as files, written whole (no temporary files left)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpftime-vm-wasm-cache-'));
    try {
      const cache = moduleCache(join(dir, 'wasm'), 'test')!;
      expect(compileAndRun(SUM, cache).cached).toBe(false);
      expect(compileAndRun(SUM, moduleCache(join(dir, 'wasm'), 'test')!).cached).toBe(true);
      const files = readdirSync(join(dir, 'wasm')).sort();
      expect(files.map((f) => f.replace(/^[0-9a-f]{40}/, 'KEY'))).toEqual(['KEY.json', 'KEY.wasm']);
      // A cache directory that cannot be written costs the compile nothing but the entry.
      expect(compileAndRun(SUM, moduleCache('/dev/null/bpftime-vm-cannot-write', 'test')!)).toEqual({ r0: 7n, cached: false });
      // Under /proc mkdir answers ENOENT though the parent exists (Node's recursive mkdirSync loops forever there).
      if (process.platform === 'linux') expect(compileAndRun(SUM, moduleCache(`/proc/bpftime-vm-test-${process.pid}/wasm`, 'test')!)).toEqual({ r0: 7n, cached: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the conformance plugin on wasm-opt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpftime-vm-plugin-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hex = Array.from(encodeProgram(assemble('mov %r0, 42\nexit')), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const plugin = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [PLUGIN, '--backend', 'wasm-opt'], { input: hex, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: dir, BPFTIME_VM_DEBUG: 'cache', ...env } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('never loads binaryen and stores nothing: both tiers are built by the direct emitter', () => {
    for (const cache of ['0', '1', '1']) {
      const r = plugin({ BPFTIME_VM_CACHE: cache });
      expect(r).toMatchObject({ code: 0, stdout: '2a\n' });
      expect(r.stderr).not.toContain('loading binaryen');
    }
    expect(() => readdirSync(join(dir, 'bpftime-vm', 'wasm'))).toThrow();
  });
});
