// Many threads through one probe (issue 9's acceptance): 8 threads of a live target make 1M probed calls in all; the
// uprobe counts them per thread in a hash map and sends a record per call through a ring buffer the control plane
// drains while they run; the uretprobe checks every return value. No count, record or return may be lost or wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraced, waitExit } from '../src/native/agent.js';
import { loadNative } from '../src/native/load.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { ROOT } from './helpers.js';
import { buildTarget, removeSessions, uniqueSession } from './native-live-support.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP, scratch } from './toolchain.js';

const FIXTURES = join(ROOT, 'test/fixtures/live');
const THREADS = 8;
const PER_THREAD = 125_000;

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`8 threads, 1M probed calls${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  let target = '';
  let probes = '';
  beforeAll(() => {
    target = buildTarget('live-target', readFileSync(join(FIXTURES, 'target.c'), 'utf8'), ['-lpthread']);
    probes = compileC('probes-stress', readFileSync(join(FIXTURES, 'probes.bpf.c'), 'utf8'), ['-DRING_SIZE=(1<<26)']);
  });
  afterAll(() => removeSessions());

  it('loses and corrupts no ring buffer record, map count or return value', async () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(probes)));
    const session = `/${uniqueSession('stress')}`;
    const load = await loadNative(spec, session, { size: 80 << 20, cacheDir: join(scratch(), 'native-cache') });
    try {
      const ring = load.maps.find((m) => m.map.name === 'ring')!.map;
      const next = new Array<number>(THREADS).fill(0);
      let bad = 0;
      const drain = () => {
        for (const r of ring.consume()) {
          const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
          const t = Number(v.getBigUint64(0, true));
          const i = Number(v.getBigUint64(8, true));
          const check = v.getBigUint64(16, true);
          // Records of one thread arrive in its call order, each exactly once and intact.
          if (r.length !== 24 || t >= THREADS || i !== next[t] || check !== BigInt(t) * 1000003n + BigInt(i) * 3n + 1n) bad++;
          else next[t]++;
        }
      };
      const child = startTraced(target, ['threads', String(THREADS), String(PER_THREAD)], session, 'auto', ['ignore', 'pipe', 'inherit']);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exit = waitExit(child);
      let done = false;
      void exit.then(() => (done = true));
      while (!done) {
        drain();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await exit).toBe(0);
      drain();
      const did = JSON.parse(out);
      const expectedSum = Array.from({ length: THREADS }, (_, t) => PER_THREAD * t * 1000003 + (3 * PER_THREAD * (PER_THREAD - 1)) / 2 + PER_THREAD).reduce((a, b) => a + b, 0);
      expect(did).toEqual({ calls: THREADS * PER_THREAD, sum: expectedSum });
      expect(bad).toBe(0);
      expect(next).toEqual(new Array(THREADS).fill(PER_THREAD));
      const u64 = (b: Uint8Array) => Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
      const calls = load.maps.find((m) => m.map.name === 'calls')!.map;
      expect(calls.entries().map(([k, v]) => [u64(k), u64(v)]).sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: THREADS }, (_, t) => [t, PER_THREAD]));
      const stats = load.maps.find((m) => m.map.name === 'stats')!.map;
      expect(stats.entries().map(([, v]) => u64(v))).toEqual([THREADS * PER_THREAD, 0, 0, 0]);
      expect(load.session.attachments().map((a) => [a.hits, a.missed])).toEqual([
        [THREADS * PER_THREAD, 0],
        [THREADS * PER_THREAD, 0],
      ]);
    } finally {
      load.session.end();
      load.session.close();
    }
  });
});
