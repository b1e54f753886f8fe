// bpftime-inject (native-hooks/src/inject, docs/native.md "inject"): loading an agent into a running process with
// ptrace. A two-thread target prints numbered ticks carrying a sum through its registers; after each injection it must
// go on with its output intact. Errors (no privilege, no process, dlopen failure with dlerror's message, a refusing
// agent) must be clear and leave the target running.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { HOOKS_MISSING, MMAP_MIN_ADDR, skipNote } from './native-hooks-support.js';

const NATIVE = join(ROOT, 'native-hooks');
const TDIR = join(NATIVE, 'build/tests/inject');
const INJECT = join(NATIVE, 'build/bpftime-inject');
const AGENT = join(TDIR, 'libinject_agent.so');
const PLAIN = join(TDIR, 'libinject_plain.so');
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
interface Target {
  child: ChildProcess;
  pid: number;
  done: Promise<{ stdout: string; stderr: string; code: number | null }>;
}

/** startTarget runs the target for `ticks` ticks of 10 ms and resolves once it printed "ready PID". */
function startTarget(ticks: number): Promise<Target> {
  const child = spawn(join(TDIR, 'target'), [String(ticks)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) =>
    child.on('close', (code) => resolve({ stdout, stderr, code })),
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const first = stdout === '';
      stdout += d.toString();
      const m = /^ready (\d+)\n/.exec(stdout);
      if (first && m) resolve({ child, pid: Number(m[1]), done });
    });
    child.on('error', reject);
  });
}

/** expectIntact checks the target's whole output: every tick in order with its sum, then "done ok". */
function expectIntact(out: { stdout: string; code: number | null }, ticks: number): void {
  const lines = out.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^ready \d+$/);
  expect(lines.slice(1, -1)).toEqual(Array.from({ length: ticks }, (_, i) => `tick ${i} ${((i + 1) * 0.5).toFixed(1)}`));
  expect(lines.at(-1)).toBe('done ok');
  expect(out.code).toBe(0);
}

function inject(args: string[], opts: { asNobody?: boolean } = {}) {
  const [cmd, argv] = opts.asNobody ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', INJECT, ...args]] : [INJECT, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(HOOKS_MISSING !== '')(`bpftime-inject${skipNote(HOOKS_MISSING)}`, () => {
  beforeAll(() => {
    execFileSync('make', ['-s', '-C', NATIVE, 'inject-tests'], { stdio: ['ignore', 'ignore', 'pipe'] });
  }, 300_000);

  it('loads the agent into a running two-thread process: constructor, bpftime_agent_main(ARG), output intact', async () => {
    const t = await startTarget(120);
    const r = inject([String(t.pid), AGENT, 'hello']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^loaded .*libinject_agent.so into process ${t.pid} \\(thread ${t.pid}, handle 0x[0-9a-f]+\\), bpftime_agent_main returned success\\n$`));
    const out = await t.done;
    expect(out.stderr).toBe(`inject agent: constructor in process ${t.pid}\ninject agent: main(hello)\n`);
    expectIntact(out, 120);
  });

  it('an injected agent installs the syscall hooks in the running process and sees its syscalls', async () => {
    const ticks = 150;
    const t = await startTarget(ticks);
    const r = inject(['--json', String(t.pid), AGENT, 'syscalls']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { pid: number; tid: number; handle: string; entry: string; libc: string };
    expect(j).toMatchObject({ pid: t.pid, tid: t.pid, entry: 'bpftime_agent_main' });
    expect(j.libc).toMatch(/libc\.so\.6$/);
    const out = await t.done;
    expectIntact(out, ticks);
    expect(out.stderr).toMatch(MMAP_MIN_ADDR === '0' ? /syscall hooks: zpoline, \d+ syscall instructions rewritten/ : /syscall hooks: zpoline unavailable/);
    const seen = Number(/saw (\d+) writes to stdout/.exec(out.stderr)?.[1]);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(ticks + 1);
  });

  it('errors are clear, with distinct exit statuses, and leave the target running intact', async () => {
    const ticks = 150;
    const t = await startTarget(ticks);
    const pid = String(t.pid);
    let r = inject([pid, AGENT, 'refuse']);
    expect([r.status, r.stderr]).toEqual([6, 'bpftime-inject: bpftime_agent_main refused (unloaded again): refusing as asked\n']);
    r = inject([pid, PLAIN, 'x']);
    expect(r.status).toBe(6);
    expect(r.stderr).toMatch(/has no bpftime_agent_main to give ARG to \(unloaded again\)/);
    r = inject([pid, '/etc/passwd']);
    expect([r.status, r.stderr]).toEqual([5, `bpftime-inject: dlopen in process ${pid} failed: /etc/passwd: invalid ELF header\n`]);
    r = inject(['--json', pid, '/etc/passwd']);
    expect(r.status).toBe(5);
    expect(JSON.parse(r.stderr)).toEqual({ error: `dlopen in process ${pid} failed: /etc/passwd: invalid ELF header`, code: 'EDLOPEN' });
    r = inject([pid, '/nonexistent/agent.so']);
    expect([r.status, r.stderr]).toEqual([2, 'bpftime-inject: /nonexistent/agent.so: No such file or directory\n']);
    r = inject([pid]);
    expect([r.status, r.stderr]).toEqual([2, 'bpftime-inject: usage: bpftime-inject [--json] PID AGENT.so [ARG]\n']);
    process.kill(t.pid, 'SIGSTOP');
    while (!/\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) await new Promise((res) => setTimeout(res, 5));
    r = inject([pid, PLAIN]);
    process.kill(t.pid, 'SIGCONT');
    expect([r.status, r.stderr]).toEqual([1, `bpftime-inject: process ${pid} is stopped (SIGSTOP): continue it first (kill -CONT ${pid})\n`]);
    r = inject([pid, PLAIN]);
    expect(r.status).toBe(0); // no ARG: the constructor alone is enough
    const out = await t.done;
    expect(out.stderr.match(/constructor/g)).toHaveLength(3);
    expectIntact(out, ticks);
  });

  it('a process that does not exist', () => {
    const r = inject(['--json', '2147483646', PLAIN]);
    expect(r.status).toBe(4);
    expect(JSON.parse(r.stderr)).toEqual({ error: 'no process 2147483646', code: 'ESRCH' });
  });

  it.skipIf(!isRoot || !hasSetpriv)(`without the privilege: says CAP_SYS_PTRACE / ptrace_scope${isRoot && hasSetpriv ? '' : ' (skipped: needs root and setpriv to run as another user)'}`, async () => {
    const t = await startTarget(40);
    const r = inject([String(t.pid), PLAIN], { asNobody: true });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^bpftime-inject: ptrace process ${t.pid}: operation not permitted: attaching needs CAP_SYS_PTRACE \\(run as root\\) or the same user; `));
    expect(r.stderr).toMatch(/ptrace_scope|no Yama LSM/);
    expectIntact(await t.done, 40);
  });
});
