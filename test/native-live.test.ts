// The live-process commands end to end (docs/native.md, "agent"): `trace`, `load` + `start`, `attach`/`detach`,
// `status`, sessions (a second one, a name in use, a stale one). The target (test/fixtures/live/target.c) checks its
// own arithmetic, so a probe that corrupted a register or the stack would show in its results.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NativeSession } from '../src/native/session.js';
import { ROOT } from './helpers.js';
import { background, buildTarget, endOf, entries, removeSessions, runCli, targetOutput, uniqueSession, type Background } from './native-live-support.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const FIXTURES = join(ROOT, 'test/fixtures/live');
/** probed(t, i) returns t * 1000003 + i * 3 + 1: the sum over i < n for t = 0. */
const sumOf = (n: number) => 3 * ((n * (n - 1)) / 2) + n;

/** Forever is the target in "forever" mode: its JSON lines as they come, and a way to ask for its code bytes. */
interface Forever {
  child: ChildProcess;
  pid: number;
  ready: Record<string, any>;
  lines: Record<string, any>[];
  bytes(): Promise<string>;
  stop(): Promise<{ code: number | null; last: Record<string, any> }>;
}

async function forever(target: string): Promise<Forever> {
  const child = spawn(target, ['forever'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, any>[] = [];
  let buf = '';
  const waiters: (() => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p));
    waiters.splice(0).forEach((w) => w());
  });
  const next = (pred: (l: Record<string, any>) => boolean, from: number) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('target did not answer')), 20_000);
      const check = () => {
        const hit = lines.slice(from).find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else waiters.push(check);
      };
      check();
    });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const ready = await next((l) => 'ready' in l, 0);
  return {
    child,
    pid: child.pid!,
    ready,
    lines,
    bytes: async () => {
      const from = lines.length;
      child.kill('SIGUSR1');
      return (await next((l) => 'bytes' in l && !('ready' in l), from)).bytes as string;
    },
    stop: async () => {
      const from = lines.length;
      child.kill('SIGTERM');
      const last = await next((l) => 'sum' in l, from);
      return { code: await exited, last };
    },
  };
}

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`live processes${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  let target = '';
  let probes = '';
  const running: (Background | Forever)[] = [];
  beforeAll(() => {
    target = buildTarget('live-target', readFileSync(join(FIXTURES, 'target.c'), 'utf8'), ['-lpthread']);
    probes = compileC('probes', readFileSync(join(FIXTURES, 'probes.bpf.c'), 'utf8'));
  });
  afterAll(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    removeSessions();
  });
  const load = async (session: string): Promise<Background> => {
    const bg = background(['load', '--json', '--session', session, probes]);
    running.push(bg);
    await bg.waitFor((l) => l.event === 'loaded');
    return bg;
  };
  const status = (session: string) => {
    const r = runCli(['status', '--json', '--session', session]);
    expect(r.code, r.stderr).toBe(0);
    return r.json[0];
  };

  it('trace runs a command with a uprobe and a uretprobe on every call and exits with its code', () => {
    const r = runCli(['trace', '--json', probes, '--', target, 'calls', '2000']);
    expect(r.code, r.stderr).toBe(7);
    expect(targetOutput(r)[0]).toEqual({ calls: 2000, sum: sumOf(2000) });
    const end = endOf(r);
    expect(entries(end, 'calls')).toEqual({ 0: 2000 });
    expect(entries(end, 'stats')).toEqual({ 0: 2000, 1: 0, 2: 0, 3: 0 });
    const records = r.json.filter((l) => l.event === 'record').map((l) => l.value);
    expect(records.map((c) => c.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(records.every((c) => c.t === 0 && c.check === 3 * c.i + 1)).toBe(true);
    expect(end.attachments.map((a: any) => [a.program, a.kind, a.hits, a.missed])).toEqual([
      ['count', 'uprobe', 2000, 0],
      ['check_ret', 'uretprobe', 2000, 0],
    ]);
    expect(end.exit_code).toBe(7);
  });

  it('syscall tracepoints: syscalls:, raw_syscalls: and raw_tracepoint contexts each see every syscall, exactly', () => {
    const object = compileC('syscalls', readFileSync(join(FIXTURES, 'syscalls.bpf.c'), 'utf8'));
    const r = runCli(['trace', '--json', object, '--', target, 'getppid', '3000']);
    expect(r.code, r.stderr).toBe(0);
    const did = targetOutput(r)[0];
    const end = endOf(r);
    expect(entries(end, 'seen')).toEqual({ 0: 3000, 1: 3000, 2: 3000, 3: 3000, 4: 3000 });
    expect(entries(end, 'last')).toEqual({ 0: did.ppid, 1: did.ppid });
    expect(end.agents[0]).toMatchObject({ syscalls: 'zpoline', hooks: 5 });
  });

  it('a uprobe on a library the process dlopens later is installed within a second', () => {
    const lib = buildTarget('libdlt.so', '__attribute__((noinline)) long dl_fn(long x) { __asm__ volatile(""); return x + 1; }\n', ['-shared', '-fPIC']);
    const main = buildTarget(
      'dl-target',
      `#include <dlfcn.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(void) { usleep(200000); void *h = dlopen("${lib}", RTLD_NOW);\n` +
        `long (*f)(long) = (long (*)(long))dlsym(h, "dl_fn"); usleep(1600000); long s = 0; for (int i = 0; i < 100; i++) s += f(i);\n` +
        `printf("{\\"sum\\": %ld}\\n", s); return 0; }\n`,
      ['-ldl'],
    );
    const object = compileC('dlprobe', '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\nchar LICENSE[] SEC("license") = "GPL";\n' +
      'struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } n SEC(".maps");\n' +
      'SEC("uprobe/libdlt.so:dl_fn") int on_dl(void *ctx) { __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&n, &k); if (v) __sync_fetch_and_add(v, 1); return 0; }\n');
    const r = runCli(['trace', '--json', object, '--', main]);
    expect(r.code, r.stderr).toBe(0);
    expect(targetOutput(r)[0]).toEqual({ sum: 5050 });
    expect(entries(endOf(r), 'n')).toEqual({ 0: 100 });
  });

  it('load holds a session that start runs a command in; status shows it; Ctrl-C prints the maps and ends it', async () => {
    const session = uniqueSession('start');
    const bg = await load(session);
    const r = runCli(['start', '--json', '--session', session, '--', target, 'calls', '500']);
    expect(r.code, r.stderr).toBe(7);
    expect(r.json.at(-1)).toMatchObject({ event: 'exit', exit_code: 7, agent: true });
    const st = status(session);
    expect(st.state).toBe('ready');
    expect(st.agents).toContainEqual(expect.objectContaining({ comm: 'live-target', mode: 'preload', state: 'detached', message: 'process exited' }));
    expect(st.attachments.map((a: any) => a.hits)).toEqual([500, 500]);
    const res = await bg.stop();
    expect(res.code, res.stderr).toBe(0);
    expect(entries(endOf(res), 'calls')).toEqual({ 0: 500 });
    expect(res.json.filter((l) => l.event === 'record')).toHaveLength(500);
    expect(runCli(['status', '--session', session]).code).toBe(2);
  });

  it('attach injects the agent into a running process; detach restores its code; it attaches again', async () => {
    const session = uniqueSession('attach');
    const t = await forever(target);
    running.push(t);
    const bg = await load(session);
    const a = runCli(['attach', '--json', '--session', session, String(t.pid)]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.json[0]).toMatchObject({ pid: t.pid, comm: 'live-target', hooks: 2, state: 'running' });
    const live = NativeSession.open(`/${session}`);
    const hits = () => live.attachments().map((x) => x.hits);
    for (let i = 0; i < 200 && hits()[1] < 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await t.bytes()).toMatch(/^e9/);
    const d = runCli(['detach', '--json', '--session', session, String(t.pid)]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.json[0].detached).toEqual([{ pid: t.pid, comm: 'live-target' }]);
    expect(await t.bytes()).toBe(t.ready.bytes);
    const after = hits();
    await new Promise((r) => setTimeout(r, 300));
    expect(hits()).toEqual(after);
    const again = runCli(['attach', '--json', '--session', session, String(t.pid)]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json[0].hooks).toBe(2);
    live.close();
    const res = await bg.stop();
    expect(res.code, res.stderr).toBe(0);
    const stats = entries(endOf(res), 'stats');
    expect(stats[1]).toBe(0);
    // Ending the session detaches the agent: the original code is back, and the target computed every sum right.
    for (let i = 0; i < 100 && (await t.bytes()) !== t.ready.bytes; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await t.bytes()).toBe(t.ready.bytes);
    const { code, last } = await t.stop();
    expect(code).toBe(0);
    expect(last.sum).toBe(sumOf(last.calls));
  });

  it('attach says so when the process does not exist, or is not this session\'s to take', async () => {
    const session = uniqueSession('errors');
    const bg = await load(session);
    const none = runCli(['attach', '--json', '--session', session, '999999999']);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stderr).error.code).toBe('no-process');
    const other = uniqueSession('other');
    const r = runCli(['attach', '--session', other, String(process.pid)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no session /${other}: load programs into it first`);
    await bg.stop();
  });

  it('one name is one session: a second load of it is refused, another name is a second session', async () => {
    const s1 = uniqueSession('one');
    const s2 = uniqueSession('two');
    const bg1 = await load(s1);
    const again = runCli(['load', '--session', s1, probes], { timeout: 60_000 });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(new RegExp(`/${s1} belongs to a running session \\(created by pid ${bg1.child.pid}\\)`));
    const bg2 = await load(s2);
    const t = await forever(target);
    running.push(t);
    expect(runCli(['attach', '--session', s1, String(t.pid)]).code).toBe(0);
    const r = runCli(['attach', '--session', s2, String(t.pid)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`this process is already attached to session /${s1} (detach it first)`);
    expect(runCli(['start', '--session', s2, '--', target, 'calls', '10']).code).toBe(7);
    expect(status(s2).attachments.map((a: any) => a.hits)).toEqual([10, 10]);
    expect(status(s1).attachments[0].hits).toBeGreaterThan(0);
    await bg1.stop();
    await bg2.stop();
    await t.stop();
  });

  it('a stale session: its agents detach by themselves, start refuses it, status shows it, load replaces it', async () => {
    const session = uniqueSession('stale');
    const bg = await load(session);
    const t = await forever(target);
    running.push(t);
    expect(runCli(['attach', '--session', session, String(t.pid)]).code).toBe(0);
    expect(await t.bytes()).toMatch(/^e9/);
    bg.child.kill('SIGKILL');
    await bg.stop();
    for (let i = 0; i < 100 && (await t.bytes()) !== t.ready.bytes; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await t.bytes()).toBe(t.ready.bytes);
    const st = status(session);
    expect(st.state).toBe('stale');
    expect(st.agents[0]).toMatchObject({ pid: t.pid, state: 'detached', message: "the session's control plane is gone (stale session)" });
    const start = runCli(['start', '--session', session, '--', target, 'calls', '1']);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`session /${session} is stale`);
    const bg2 = await load(session);
    expect(status(session).state).toBe('ready');
    await bg2.stop();
    const { code, last } = await t.stop();
    expect(code).toBe(0);
    expect(last.sum).toBe(sumOf(last.calls));
  });
});
