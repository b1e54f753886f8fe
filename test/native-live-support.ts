/**
 * Running the live-process commands in tests: C targets built with cc into the test's scratch directory, the CLI
 * run to completion (`trace`, `start`, `attach`, ...) or in the background (`load`, whose JSON lines are read as
 * they come), and unique session names so that tests never meet another test's segment.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NativeSession } from '../src/native/session.js';
import { CLI, ROOT } from './helpers.js';
import { scratch } from './toolchain.js';

const sessions: string[] = [];

/** uniqueSession returns a session name no other test or process uses (removed by removeSessions). */
export function uniqueSession(what: string): string {
  const name = `bpftime-vm-test-${what}-${process.pid}-${sessions.length + 1}`;
  sessions.push(name);
  return name;
}

/** removeSessions removes the segments of this file's sessions that are left (a test that failed midway). */
export function removeSessions(): void {
  for (const name of sessions.splice(0)) {
    try {
      const s = NativeSession.open(`/${name}`, { allowStale: true });
      s.end();
      s.close();
    } catch {
      // Ended and removed already.
    }
  }
}

/** buildTarget compiles a C target with cc -O2 -g (extra flags and libraries after). */
export function buildTarget(name: string, source: string, flags: string[] = []): string {
  const dir = scratch();
  const src = join(dir, `${name}.c`);
  const out = join(dir, name);
  execFileSync('sh', ['-c', 'cat > "$1"', 'sh', src], { input: source });
  execFileSync('cc', ['-O2', '-g', '-Wall', '-o', out, src, ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/** CliResult is a finished CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's JSON lines (--json commands print one object per line). */
  json: Record<string, any>[];
}

const parseLines = (text: string): Record<string, any>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);

/** runCli runs bin/bpftime-vm to completion (synchronously; `timeout` ms). */
export function runCli(args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT, timeout: opts.timeout ?? 60_000, env: opts.env ?? process.env, maxBuffer: 256 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json: parseLines(r.stdout) };
}

/** Background is a CLI command left running (bpftime-vm load). */
export interface Background {
  child: ChildProcess;
  /** Every JSON line so far. */
  lines: Record<string, any>[];
  /** waitFor resolves with the first line matching `pred` (ms timeout). */
  waitFor(pred: (l: Record<string, any>) => boolean, ms?: number): Promise<Record<string, any>>;
  /** stop sends SIGINT and resolves once the command exited. */
  stop(): Promise<CliResult>;
}

/** background starts bin/bpftime-vm with `args` and follows its JSON lines. */
export function background(args: string[]): Background {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const lines: Record<string, any>[] = [];
  const waiters: (() => void)[] = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const text = d.toString();
    stdout += text;
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    lines.push(...parseLines(parts.join('\n')));
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, json: parseLines(stdout) })));
  const waitFor = (pred: (l: Record<string, any>) => boolean, ms = 30_000) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; stdout: ${stdout}; stderr: ${stderr}`)), ms);
      const check = () => {
        const hit = lines.find(pred);
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`exited ${child.exitCode}; stdout: ${stdout}; stderr: ${stderr}`));
        } else waiters.push(check);
      };
      check();
    });
  return {
    child,
    lines,
    waitFor,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** targetOutput returns the JSON lines a traced command printed (with --json, its stdout goes to stderr). */
export function targetOutput(r: CliResult): Record<string, any>[] {
  return parseLines(r.stderr);
}

/** endOf returns the closing "end" line of a --json trace or load. */
export function endOf(r: CliResult): Record<string, any> {
  const end = r.json.find((l) => l.event === 'end');
  if (!end) throw new Error(`no end line (exit ${r.code}); stdout: ${r.stdout}; stderr: ${r.stderr}`);
  return end;
}

/** entries returns a map of an "end" line as an object key -> value. */
export function entries(end: Record<string, any>, map: string): Record<string, any> {
  return Object.fromEntries((end.maps[map] as { key: unknown; value: unknown }[]).map((e) => [String(e.key), e.value]));
}
