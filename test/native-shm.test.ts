// The session segment through the addon: lifecycle and its errors (live, stale, version, owner, sizes), and other
// processes sharing it (C peers with threads, a second node process): exact counts, no lost ring or perf record,
// the log ring and the tables seen across processes.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NotSupportedError } from '../src/errors.js';
import { createMap, MapError, MapTable } from '../src/helpers/maps/index.js';
import { MapFlag, MapType } from '../src/loader/spec.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { ADDON_FILE, loadShmAddon, SegmentError } from '../src/native/addon.js';
import { findNativeHooks } from '../src/native/build.js';
import { NativeSession } from '../src/native/session.js';
import { spec } from './maps-support.js';
import { newSession, peer, PEER, sessionName, track, u32le, u64le } from './native-shm-support.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

function thrown<E extends Error>(f: () => unknown): E {
  try {
    f();
  } catch (e) {
    return e as E;
  }
  throw new Error('expected an error');
}

describe('native addon loading', () => {
  it('names what is missing when the addon is not built', () => {
    const e = thrown<NotSupportedError>(() => loadShmAddon({ BPFTIME_SHM_ADDON: '/nonexistent/bpftime_shm.node' }));
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e.code).toBe('native-addon');
    if (process.platform === 'linux') {
      expect(e.message).toMatch(/^the shared-memory addon is not built: \/nonexistent\/bpftime_shm.node is missing: (run|.* not found: install gcc and make .*, then run) `make -C .*native-hooks`$/);
    }
    expect(findNativeHooks()).toMatch(/native-hooks$/);
    expect(ADDON_FILE).toBe('build/bpftime_shm.node');
  });
});

describe.skipIf(!HAS_NATIVE)(`native shm session${NATIVE_SKIP}`, () => {
  it('creates a session and reports its header', () => {
    const s = newSession('info');
    const info = s.info();
    expect(info).toMatchObject({ layoutVersion: 1, size: 8 << 20, creatorPid: process.pid, state: 'ready', stale: 0 });
    expect(info.ownerUid).toBe(process.geteuid?.());
    expect(info.ncpus).toBeGreaterThanOrEqual(1);
    expect(info.guestBase).toBe(0x4000_0000);
    expect(info.heapFree).toBeGreaterThan(0);
    expect(s.name).toMatch(/^\/bpftime-vt-/);
  });

  it('refuses a second session of a live one, refuses a stale one on open and replaces it on create', async () => {
    const s = newSession('live');
    const e = thrown<SegmentError>(() => NativeSession.create(s.name));
    expect(e).toBeInstanceOf(SegmentError);
    expect(e.errno).toBe(17);
    expect(e.message).toMatch(/^create segment: segment \/bpftime-vt-.* belongs to a running session \(created by pid \d+\)$/);

    const name = sessionName('stale');
    expect(await peer(['crash', name])).toEqual({ ok: 1 });
    const stale = thrown<SegmentError>(() => NativeSession.open(name));
    expect(stale.code).toBe('segment-estale');
    expect(stale.message).toMatch(/is left from a session that ended \(creator pid \d+ is gone\)/);
    const inspect = NativeSession.open(name, { allowStale: true });
    expect(inspect.info().stale).toBe(1);
    inspect.close();
    const fresh = track(NativeSession.create(name, { size: 4 << 20 }));
    expect(fresh.info()).toMatchObject({ creatorPid: process.pid, stale: 0 });
  });

  it('refuses a segment of another layout version, and a name with no session', async () => {
    const s = newSession('version');
    expect(await peer(['version', s.name, 99])).toEqual({ ok: 1 });
    const e = thrown<SegmentError>(() => NativeSession.open(s.name));
    expect(e.errno).toBe(71);
    expect(e.message).toMatch(/has layout version 99 .* this build reads version 1/);
    const none = thrown<SegmentError>(() => NativeSession.open(sessionName('none')));
    expect(none.message).toMatch(/no segment .*: no session of that name is running/);
    expect((await peer(['open', sessionName('none')])).errno).toBe(2);
  });

  it.skipIf(!isRoot)(`lets only the owner open a segment (mode 0600)${isRoot ? '' : ' (skipped: not root)'}`, async () => {
    const s = newSession('owner', { size: 4 << 20, ownerUid: 65534 });
    expect(s.info().ownerUid).toBe(65534);
    expect(await peer(['open', s.name], 65534)).toEqual({ ok: 1 });
    const other = await peer(['open', s.name], 65533);
    expect(other.errno).toBe(13);
    expect(other.error).toMatch(/belongs to uid 65534 \(mode 0600\); this process runs as uid 65533/);
  });

  it('says when sizes are wrong: the segment, a map that does not fit, a map the kernel would refuse', () => {
    const e = thrown<SegmentError>(() => NativeSession.create(sessionName('size'), { size: 1000 }));
    expect(e.errno).toBe(22);
    expect(e.message).toMatch(/segment size 1000 is invalid: a multiple of 4096 bytes from \d+ \(the tables\) to 2147483648/);
    const s = newSession('fit', { size: 4 << 20 });
    const big = thrown<MapError>(() => s.createMap(spec({ name: 'big', type: MapType.hash, maxEntries: 1 << 20 })));
    expect(big).toBeInstanceOf(MapError);
    expect(big.errno).toBe(28);
    expect(big.message).toMatch(/^map "big": its storage needs \d+ bytes: .* bytes of heap free; create the session with a larger segment$/);
    // The kernel's checks, with the TypeScript maps' messages.
    const bad = spec({ name: 'bad', type: MapType.hash, valueSize: 0 });
    const ts = thrown<MapError>(() => createMap(bad, { mem: new GuestMemory(), ncpus: 1, currentCpu: () => 0 }, new MapTable()));
    const native = thrown<MapError>(() => s.createMap(bad));
    expect([native.errno, native.message]).toEqual([ts.errno, ts.message]);
    expect(thrown(() => s.createMap(spec({ name: 'lpm', type: MapType.lpm_trie })))).toBeInstanceOf(NotSupportedError);
    // Global data: contents written, read-only for programs as libbpf makes .rodata.
    const rodata = s.createMap(spec({ name: '.rodata', type: MapType.array, maxEntries: 1, flags: MapFlag.rdonlyProg, contents: [{ key: u32le(0), value: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }] }));
    expect([...(rodata.lookup(u32le(0)) as Uint8Array)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rodata.info.flags & MapFlag.rdonlyProg).toBe(MapFlag.rdonlyProg);
  });

  it('counts exactly with lookup + __sync_fetch_and_add from 3 processes x 8 threads', async () => {
    const s = newSession('count');
    const hash = s.createMap(spec({ name: 'counts', type: MapType.hash, maxEntries: 64 }));
    const pcpu = s.createMap(spec({ name: 'pcounts', type: MapType.percpu_hash, maxEntries: 64 }));
    hash.update(u32le(7), new Uint8Array(8));
    pcpu.update(u32le(7), new Uint8Array(8));
    const n = 20000;
    const results = await Promise.all([
      ...[0, 1, 2].map(() => peer(['count', s.name, hash.id, 7, n, 8])),
      ...[0, 1, 2].map(() => peer(['count', s.name, pcpu.id, 7, n, 8])),
    ]);
    expect(results).toEqual(Array(6).fill({ ok: 1 }));
    expect(u64le(hash.lookup(u32le(7)) as Uint8Array)).toBe(BigInt(3 * 8 * n));
    const perCpu = pcpu.lookup(u32le(7)) as Uint8Array;
    let sum = 0n;
    for (let cpu = 0; cpu < s.info().ncpus; cpu++) sum += u64le(perCpu, cpu * 8);
    expect(sum).toBe(BigInt(3 * 8 * n));
  });

  it('loses and corrupts no ring buffer record written by 2 processes x 4 threads while it is read', async () => {
    const s = newSession('ring');
    const rb = s.createMap(spec({ name: 'events', type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 16384 }));
    const n = 5000;
    let done = false;
    const writers = Promise.all([peer(['output', s.name, rb.id, n, 4, 0]), peer(['output', s.name, rb.id, n, 4, 4])]).finally(() => (done = true));
    const next = new Array<number>(8).fill(0);
    let bad = 0;
    for (;;) {
      const finished = done;
      for (const r of rb.consume()) {
        const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
        const thread = dv.getUint32(0, true);
        const seq = dv.getUint32(4, true);
        if (r.length !== 16 || thread >= 8 || seq !== next[thread] || dv.getBigUint64(8, true) !== BigInt.asUintN(64, ~BigInt(seq))) bad++;
        else next[thread]++;
      }
      if (finished && rb.query(0) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(await writers).toEqual([{ ok: 1 }, { ok: 1 }]);
    expect(bad).toBe(0);
    expect(next).toEqual(new Array(8).fill(n));
  });

  it('goes on after a producer process is killed while writing the ring buffer', async () => {
    const s = newSession('killed');
    const rb = s.createMap(spec({ name: 'events', type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 4096 }));
    const seen = new Array<number>(8).fill(0);
    const take = (): void => {
      for (const r of rb.consume()) {
        const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
        const thread = dv.getUint32(0, true);
        expect(dv.getUint32(4, true)).toBe(seen[thread]);
        seen[thread]++;
      }
    };
    // The victim's 4 threads write while we read, and die wherever SIGKILL finds them: between reserve and
    // submit (their record is reclaimed), inside the ring's lock (taken over), or waiting for room.
    const victim = spawn(PEER, ['output', s.name, String(rb.id), '1000000', '4', '0'], { stdio: 'ignore' });
    for (const end = Date.now() + 300; Date.now() < end; ) {
      take();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    let done = false;
    const writer = peer(['output', s.name, rb.id, 2000, 4, 4]).finally(() => (done = true));
    while (!done) {
      take();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    take();
    expect(await writer).toEqual({ ok: 1 });
    expect(seen.slice(4)).toEqual([2000, 2000, 2000, 2000]);
    expect(rb.query(0)).toBe(0);
    expect(s.map(rb.id)?.info).toMatchObject({ reclaimed: expect.any(Number), wakeups: expect.any(Number) });
  });

  it('reads perf samples per CPU in order and counts the ones a full buffer loses', async () => {
    const s = newSession('perf');
    const pe = s.createMap(spec({ name: 'perf', type: MapType.perf_event_array, keySize: 0, valueSize: 0, maxEntries: 0 }), { perfPages: 1 });
    expect(pe.info.maxEntries).toBe(s.info().ncpus);
    expect(await peer(['perf', s.name, pe.id, 10])).toEqual({ ok: 0, nospc: 0 }); // no reader yet: ENOENT
    pe.openReader();
    expect(await peer(['perf', s.name, pe.id, 100])).toEqual({ ok: 100, nospc: 0 });
    const samples = pe.readPerf();
    expect(samples.map((x) => x.data.length)).toEqual(new Array(100).fill(4));
    for (let cpu = 0; cpu < s.info().ncpus; cpu++) {
      const seqs = samples.filter((x) => x.cpu === cpu).map((x) => new DataView(x.data.buffer, x.data.byteOffset).getUint32(0, true));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
    const full = await peer(['perf', s.name, pe.id, 1000]);
    expect((full.ok as number) + (full.nospc as number)).toBe(1000);
    expect(full.nospc).toBeGreaterThan(0);
    expect(pe.perfLost()).toBe(full.nospc);
    expect(s.map(pe.id)?.info.lost).toBe(full.nospc);
    expect(pe.readPerf().length).toBe(full.ok);
  });

  it('shares the log ring and the tables with other processes, and reaps agents that are gone', async () => {
    const s = newSession('tables');
    expect(await peer(['log', s.name, 3])).toEqual({ ok: 1 });
    expect(s.readLog().map((r) => [r.kind, r.text, r.progId, r.pid === process.pid])).toEqual([
      ['trace', 'line 0', 1, false],
      ['trace', 'line 1', 1, false],
      ['trace', 'line 2', 1, false],
    ]);
    const prog = s.addProgram({ name: 'count_malloc', type: 2, hash: 'ab12', soPath: '/tmp/x.so', mapRefs: [{ pc: 3, mapId: 1, kind: 'map', offset: 0 }] });
    const att = s.addAttachment({ kind: 'uprobe', progId: prog, target: '/usr/lib/x86_64-linux-gnu/libc.so.6', symbol: 'malloc' });
    s.countHit(att);
    s.countHit(att);
    s.countHit(att, true);
    expect(s.attachment(att)).toMatchObject({ kind: 'uprobe', progId: prog, symbol: 'malloc', hits: 2, missed: 1, syscallNr: -1 });
    expect(s.faultProgram(prog, 'memory', 12, 'read of 8 bytes at 0x10')).toBe(true);
    expect(s.program(prog)).toMatchObject({ enabled: 0, fault: 'memory', faultPc: 12, faultPid: process.pid, mapRefs: [{ pc: 3, mapId: 1, kind: 'map', offset: 0 }] });
    expect(s.readLog()[0].text).toBe('program "count_malloc" disabled: pc 12: read of 8 bytes at 0x10');
    const agent = spawn(PEER, ['agent', s.name], { stdio: ['pipe', 'pipe', 'inherit'] });
    const id = await new Promise<number>((resolve) => agent.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).id)));
    expect(s.agents()).toEqual([expect.objectContaining({ id, pid: agent.pid, state: 'running', mode: 'preload', message: 'ready', comm: 'peer' })]);
    s.requestDetach(id);
    expect(s.agents()[0].request).toBe('detach');
    expect(s.reapAgents()).toBe(0);
    agent.stdin.end();
    await new Promise((resolve) => agent.once('exit', resolve));
    expect(s.reapAgents()).toBe(1);
    expect(s.agents()).toEqual([]);
    expect(() => s.addAttachment({ kind: 'uprobe', progId: 42 })).toThrow(/add attachment: attachment of program 42: no such program/);
  });

  it('shares map values with a second node process', async () => {
    const s = newSession('node');
    const m = s.createMap(spec({ name: 'shared', type: MapType.array, maxEntries: 4 }));
    const addon = loadShmAddon();
    expect(addon).toBeDefined();
    const script = `const a = require(process.argv[1]); const h = a.open(process.argv[2]);
      const k = new Uint8Array(4); k[0] = 2; const v = new Uint8Array(8); v[0] = 99;
      process.stdout.write(String(a.mapUpdate(h, Number(process.argv[3]), k, v, 0))); a.close(h);`;
    const { stdout } = await run(process.execPath, ['-e', script, `${findNativeHooks()}/${ADDON_FILE}`, s.name, String(m.id)]);
    expect(stdout).toBe('0');
    expect(u64le(m.lookup(u32le(2)) as Uint8Array)).toBe(99n);
    s.close();
    expect(() => s.info()).toThrow(/is closed/);
  });
});
