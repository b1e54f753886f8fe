// The live-process examples (examples/*.bpf.c with their targets in examples/targets, built by make -C examples),
// traced with `bpftime-vm trace --json`, and run in a `load` session by `start` and through `attach PID`: each
// program's output is checked against what its target says it did.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { background, endOf, entries, removeSessions, runCli, targetOutput, uniqueSession, waitingTarget } from './native-live-support.js';
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

// The same examples in a session that `load` holds: a target run with `start`, then one that waits (-w) until
// `attach PID` injected the agent; the maps at the end hold both runs, and each target says what it did.
describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`live-process examples under load, start and attach PID${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  let dir = '';
  beforeAll(() => {
    dir = buildExamples();
  });
  afterAll(() => removeSessions());

  /** session loads `object`, runs the target with `start` and then through `attach`, and ends the session. */
  async function session(object: string, target: string, args: string[]) {
    const name = uniqueSession(object.replace(/\.bpf\.o$/, ''));
    const bg = background(['load', '--json', '--session', name, join(dir, object)]);
    try {
      await bg.waitFor((l) => l.event === 'loaded', 60_000);
      const exe = join(dir, 'targets', target);
      const started = runCli(['start', '--json', '--session', name, '--', exe, ...args]);
      expect(started.code, started.stderr).toBe(0);
      expect(started.json.at(-1)).toMatchObject({ event: 'exit', exit_code: 0, agent: true });
      const waiting = await waitingTarget(exe, args);
      const attach = runCli(['attach', '--json', '--session', name, String(waiting.pid)]);
      expect(attach.code, attach.stderr).toBe(0);
      expect(attach.json[0]).toMatchObject({ pid: waiting.pid, state: 'running', comm: target });
      const attached = await waiting.go();
      expect(attached.code).toBe(0);
      const res = await bg.stop();
      expect(res.code, res.stderr).toBe(0);
      return { did: [targetOutput(started), attached.lines], pids: [started.json.at(-1)!.pid as number, waiting.pid], res, end: endOf(res) };
    } finally {
      await bg.stop();
    }
  }

  it('malloc-sizes: the map counts the malloc calls of both targets per size class', async () => {
    const { did, end } = await session('malloc-sizes.bpf.o', 'mallocs', []);
    const calls = did.map((lines) => lines[0].calls as Record<string, number>);
    const sum = Object.fromEntries(Object.keys(calls[0]).map((k) => [k, calls[0][k] + calls[1][k]]));
    expect(entries(end, 'sizes')).toEqual(sum);
    expect(end.attachments[0]).toMatchObject({ program: 'count_malloc', hits: Object.values(sum).reduce((a, b) => a + b, 0), missed: 0 });
  });

  it('opensnoop-live: each target\'s openat calls, with file names, flags and results', async () => {
    const paths = ['/etc/hostname', '/nonexistent/file', dir];
    const { did, pids, res } = await session('opensnoop-live.bpf.o', 'opens', paths);
    for (const [i, pid] of pids.entries()) {
      const records = res.json.filter((l) => l.event === 'record' && l.value.pid === pid).map((l) => l.value);
      expect(records.map((v) => ({ path: v.fname, ret: v.ret, flags: v.flags }))).toEqual(did[i]);
      expect(records.every((v) => v.comm === 'opens' && v.tid === pid)).toBe(true);
    }
    expect(did[1].map((d) => d.ret < 0)).toEqual([false, true, false]);
  });

  it('funclatency: the histogram counts every work() call of both targets', async () => {
    const { did, end } = await session('funclatency.bpf.o', 'workload', ['10']);
    const hist = Object.values(entries(end, 'hist')).map(Number);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(20);
    // Each latency the program measured is at most the target's own and at least half of it (see above, per call).
    const target = did.flatMap((l) => l[0].ns as number[]).map((ns) => Math.floor(Math.log2(ns)));
    const atLeast = (k: number, buckets: number[]) => buckets.reduce((a, n, b) => a + (b >= k ? n : 0), 0);
    const targetHist = Array.from({ length: 64 }, (_, k) => target.filter((b) => b === k).length);
    for (let k = 0; k < 64; k++) {
      expect(atLeast(k, hist)).toBeLessThanOrEqual(atLeast(k, targetHist));
      expect(atLeast(k, hist)).toBeGreaterThanOrEqual(atLeast(k + 1, targetHist));
    }
    expect(end.attachments.map((a: any) => [a.kind, a.hits, a.missed])).toEqual([
      ['uprobe', 20, 0],
      ['uretprobe', 20, 0],
    ]);
  });

  it('malloc-fail: malloc(4242) returns NULL in both targets, and nothing else fails', async () => {
    const { did, end } = await session('malloc-fail.bpf.o', 'mallocs', ['inject']);
    expect(did.map((l) => l[0])).toEqual([
      { null: 100, ok: 100 },
      { null: 100, ok: 100 },
    ]);
    expect(entries(end, 'injected')).toEqual({ 0: 200 });
  });
});
