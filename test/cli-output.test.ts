// The CLI writes its output with synchronous writes on fds 1 and 2 (src/cli/stdio.ts): the same bytes whether stdout
// is a pipe or a file, complete for a slow reader (also when the pipe is non-blocking and a write meets EAGAIN), and
// a quiet exit 0 when the reader goes away (`| head`).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpftime-vm-cli-output-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A program whose listing is ~400 kB: far beyond a pipe's 64 kB buffer. */
const big = join(tmp, 'big.asm');
writeFileSync(big, Array.from({ length: 8_000 }, (_, i) => `mov %r${i % 10}, ${i}`).join('\n') + '\nexit\n');
const small = join(tmp, 'small.asm');
writeFileSync(small, 'mov %r0, 1\njeq %r1, 0, +1\nmov %r0, 2\nexit\n');

/** toFile runs the CLI with stdout redirected to a file and returns the file's bytes, the stderr and the exit code. */
function toFile(args: string[]): { code: number | null; stdout: Buffer; stderr: string } {
  const path = join(tmp, `out-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(path, 'w');
  try {
    const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', fd, 'pipe'], encoding: 'buffer' });
    return { code: r.status, stdout: readFileSync(path), stderr: r.stderr.toString() };
  } finally {
    closeSync(fd);
  }
}

/** slowReader runs `argv` with stdout a pipe that it reads only after `pauseMs`, then in small steps. */
function slowReader(argv: string[], pauseMs: number): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.pause();
    setTimeout(() => {
      child.stdout.on('data', (c: Buffer) => {
        chunks.push(c);
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), 2);
      });
      child.stdout.resume();
    }, pauseMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks), stderr }));
  });
}

/** perl (Debian's perl-base is Essential: always installed) sets O_NONBLOCK on the pipe it was given as stdout, then runs the CLI. */
const NONBLOCKING = ['perl', '-e', 'use Fcntl; my $f = fcntl(STDOUT, F_GETFL, 0); fcntl(STDOUT, F_SETFL, $f | O_NONBLOCK) or die; exec @ARGV'];

describe('CLI output', () => {
  it('writes the same bytes to a pipe and to a file', () => {
    for (const args of [['--help'], ['verify', small], ['verify', '-v', small], ['disasm', big], ['asm', '--format', 'bin', small], ['asm', small, '--json'], ['run', small]]) {
      const piped = spawnSync(process.execPath, [CLI, ...args], { encoding: 'buffer', maxBuffer: 1 << 26 });
      const filed = toFile(args);
      // The verifier's own timing is the one thing that differs between two runs.
      const stable = (b: Buffer) => b.toString('latin1').replace(/, [\d.]+ ms$/gm, '');
      expect(filed.code, args.join(' ')).toBe(piped.status);
      expect(filed.code, args.join(' ')).toBe(0);
      expect(stable(filed.stdout), args.join(' ')).toBe(stable(piped.stdout));
      expect(filed.stderr).toBe(piped.stderr.toString());
    }
    expect(toFile(['asm', '--format', 'bin', small]).stdout).toHaveLength(32);
  });

  it('writes errors to stderr, in text and JSON, with their exit codes, whatever stdout is', () => {
    const missing = join(tmp, 'missing.asm');
    for (const [args, code, stderr] of [
      [['verify', missing], 3, `bpftime-vm: error: cannot read ${missing}: no such file\n`],
      [['frob'], 2, undefined],
    ] as const) {
      const piped = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      expect(piped.status).toBe(code);
      expect(toFile([...args])).toMatchObject({ code, stderr: piped.stderr });
      if (stderr) expect(piped.stderr).toBe(stderr);
    }
    const json = spawnSync(process.execPath, [CLI, 'verify', '--json', missing], { encoding: 'utf8' });
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { kind: 'LoadError', code: 'io' } });
  });

  it('ends quietly with exit code 0 when the reader closes the pipe (| head)', () => {
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" disasm "$2" | head -n 2', process.execPath, CLI, big], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(3);
  });

  it('writes all of a large output to a slow reader', async () => {
    const expected = toFile(['disasm', big]).stdout;
    expect(expected.length).toBeGreaterThan(300_000);
    const r = await slowReader([process.execPath, CLI, 'disasm', big], 300);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.equals(expected)).toBe(true);
  });

  it('writes all of a large output to a slow reader through a non-blocking pipe (EAGAIN)', async () => {
    const expected = toFile(['disasm', big]).stdout;
    const r = await slowReader([...NONBLOCKING, process.execPath, CLI, 'disasm', big], 300);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.equals(expected)).toBe(true);
  });

  it('lets the stream drain before `verify` exits when a non-blocking pipe pushed back', async () => {
    // verify ends the process at once after its output (exitsAtOnce), unless part of it went to Node's stream (which
    // on Linux writes a stdio pipe synchronously, so there this checks that the output is complete, in order).
    const stable = (b: Buffer) => b.toString().replace(/, [\d.]+ ms$/gm, '');
    const expected = stable(toFile(['verify', '-v', big]).stdout);
    expect(expected.length).toBeGreaterThan(300_000);
    const r = await slowReader([...NONBLOCKING, process.execPath, CLI, 'verify', '-v', big], 300);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(stable(r.stdout)).toBe(expected);
  });
});
