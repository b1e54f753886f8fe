// The live-process examples (examples/*.bpf.c with their targets in examples/targets, built by make -C examples),
// traced with `bpftime-vm trace --json`: each program's output is checked against what its target says it did.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { endOf, entries, runCli, targetOutput } from './native-live-support.js';
import { buildExamples, CLANG_SKIP, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`live-process examples${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  let dir = '';
  beforeAll(() => {
    dir = buildExamples();
  });
  const trace = (object: string, ...command: string[]) => runCli(['trace', '--json', join(dir, object), '--', ...command]);

  it('malloc-sizes counts every malloc call of the target per size class, exactly', () => {
    const r = trace('malloc-sizes.bpf.o', join(dir, 'targets/mallocs'));
    expect(r.code, r.stderr).toBe(0);
    const did = targetOutput(r)[0];
    const end = endOf(r);
    expect(entries(end, 'sizes')).toEqual(Object.fromEntries(Object.entries(did.calls).map(([k, v]) => [k, v])));
    expect(end.attachments[0]).toMatchObject({ program: 'count_malloc', kind: 'uprobe', missed: 0 });
    expect(end.attachments[0].hits).toBe(Object.values(did.calls as Record<string, number>).reduce((a, b) => a + b, 0));
  });

  it('opensnoop reports each openat of the target with its file name, flags and result', () => {
    const paths = ['/etc/hostname', '/nonexistent/file', dir, join(dir, 'opensnoop-live.bpf.o')];
    const r = trace('opensnoop-live.bpf.o', join(dir, 'targets/opens'), ...paths);
    expect(r.code, r.stderr).toBe(0);
    const did = targetOutput(r).map((l) => ({ fname: l.path, ret: l.ret, flags: l.flags }));
    const end = endOf(r);
    const records = r.json.filter((l) => l.event === 'record' && l.value.pid === end.pid);
    expect(records.map((l) => ({ fname: l.value.fname, ret: l.value.ret, flags: l.value.flags }))).toEqual(did);
    expect(records.every((l) => l.value.comm === 'opens' && l.value.tid === end.pid)).toBe(true);
    expect(did.map((d) => d.ret < 0)).toEqual([false, true, false, false]);
  });

  it('funclatency histograms the latencies of work() as the target measured them', () => {
    const r = trace('funclatency.bpf.o', join(dir, 'targets/workload'), '15');
    expect(r.code, r.stderr).toBe(0);
    const did = targetOutput(r)[0].ns as number[];
    const hist = Object.values(entries(endOf(r), 'hist')).map(Number);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(did.length);
    // The program times each call from inside the target's own measurement: a call may fall one bucket lower, never
    // higher. For every k: calls at >= 2^k ns by the program <= by the target, and >= the target's at >= 2^(k+1).
    const target = did.map((ns) => Math.floor(Math.log2(ns)));
    const atLeast = (k: number, buckets: number[]) => buckets.reduce((a, n, b) => a + (b >= k ? n : 0), 0);
    const targetHist = Array.from({ length: 64 }, (_, k) => target.filter((b) => b === k).length);
    for (let k = 0; k < 64; k++) {
      expect(atLeast(k, hist)).toBeLessThanOrEqual(atLeast(k, targetHist));
      expect(atLeast(k, hist)).toBeGreaterThanOrEqual(atLeast(k + 1, targetHist));
    }
  });

  it('malloc-fail makes malloc(4242) return NULL through bpf_override_return, and only it', () => {
    const r = trace('malloc-fail.bpf.o', join(dir, 'targets/mallocs'), 'inject');
    expect(r.code, r.stderr).toBe(0);
    expect(targetOutput(r)[0]).toEqual({ null: 100, ok: 100 });
    expect(entries(endOf(r), 'injected')).toEqual({ 0: 100 });
  });
});
