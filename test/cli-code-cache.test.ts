// The V8 code cache of `bpftime-vm verify` (src/cli/code-cache.ts): written by the first run, after its output, read
// by the next ones, rewritten when stale or damaged, and never needed: without it (disabled, read-only, missing) the
// command prints the same bytes with the same exit code.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bpftime-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A loop (functions of the verifier's widening and joins run) and a rejection (whose text output has no timing).
const ACCEPTED = join(dir, 'loop.asm');
writeFileSync(ACCEPTED, 'mov %r0, 0\nmov %r1, 10\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit\n');
const REJECTED = join(dir, 'rejected.asm');
writeFileSync(REJECTED, 'ldxdw %r0, [%r10-8]\nexit\n');

/** verify runs `bpftime-vm verify` with the cache under `cacheHome` (XDG_CACHE_HOME) and extra environment. */
function verify(args: string[], cacheHome: string, env: Record<string, string> = {}) {
  // The test setup turns bpftime-vm's caches off for every other test (BPFTIME_VM_CACHE=0).
  const { BPFTIME_VM_CACHE: _, BPFTIME_VM_CODE_CACHE: __, ...base } = process.env;
  const r = spawnSync(process.execPath, [CLI, 'verify', ...args], { encoding: 'utf8', env: { ...base, XDG_CACHE_HOME: cacheHome, ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** timeless masks the verification's duration, the only part of the output that differs between runs. */
const timeless = (text: string) => text.replace(/"ms":[0-9.e-]+/g, '"ms":0').replace(/[0-9.]+ ms$/gm, '0 ms');

/** cacheFiles lists the code cache's files (name, size, inode, mtime) under a cache home. */
function cacheFiles(cacheHome: string): { name: string; sig: string }[] {
  const cacheDir = join(cacheHome, 'bpftime-vm', 'code-cache');
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  return names.map((name) => {
    const s = statSync(join(cacheDir, name));
    return { name: join(cacheDir, name), sig: `${s.ino}:${s.size}:${s.mtimeMs}` };
  });
}

describe('verify: the V8 code cache', () => {
  const uncached = {
    accepted: verify([ACCEPTED], join(dir, 'unused'), { BPFTIME_VM_CODE_CACHE: '0' }),
    acceptedJson: verify(['--json', ACCEPTED], join(dir, 'unused'), { BPFTIME_VM_CODE_CACHE: '0' }),
    rejected: verify([REJECTED], join(dir, 'unused'), { BPFTIME_VM_CODE_CACHE: '0' }),
  };

  it('is off with BPFTIME_VM_CODE_CACHE=0 or BPFTIME_VM_CACHE=0', () => {
    expect(uncached.accepted.code).toBe(0);
    expect(uncached.rejected.code).toBe(1);
    expect(uncached.rejected.stdout).toMatch(/rejected/);
    expect(verify([REJECTED], join(dir, 'unused'), { BPFTIME_VM_CACHE: 'off' })).toEqual(uncached.rejected);
    expect(cacheFiles(join(dir, 'unused'))).toEqual([]);
  });

  it('is written by the first run and read, not rewritten, by the next ones, with the same output', () => {
    const home = join(dir, 'home');
    const first = verify(['--json', ACCEPTED], home);
    expect(first.code).toBe(0);
    expect(timeless(first.stdout)).toBe(timeless(uncached.acceptedJson.stdout));
    const files = cacheFiles(home);
    expect(files).toHaveLength(1);
    expect(files[0].name).toMatch(/\/verify-[0-9a-f]{8}\.bin$/);
    for (const [args, expected] of [[['--json', ACCEPTED], uncached.acceptedJson], [[ACCEPTED], uncached.accepted], [[REJECTED], uncached.rejected]] as const) {
      const again = verify([...args], home);
      expect(again.code).toBe(expected.code);
      expect(again.stderr).toBe(expected.stderr);
      expect(timeless(again.stdout)).toBe(timeless(expected.stdout));
    }
    // A rejection's text output carries no timing: the same bytes with and without the cache.
    expect(verify([REJECTED], home).stdout).toBe(uncached.rejected.stdout);
    expect(cacheFiles(home)).toEqual(files);
  });

  it('rewrites a cache that V8 rejects, that belongs to another build, or that is not a cache', () => {
    const home = join(dir, 'damaged');
    verify([ACCEPTED], home);
    const [{ name }] = cacheFiles(home);
    const good = readFileSync(name);
    const keyLine = good.subarray(0, good.indexOf(10) + 1);
    const damaged: [string, Buffer][] = [
      ['data V8 rejects', Buffer.concat([keyLine, Buffer.alloc(good.length - keyLine.length, 0x5a)])],
      ['another build', Buffer.concat([Buffer.from(keyLine.toString().replace(/,\d+,/, ',1,')), good.subarray(keyLine.length)])],
      ['not a cache', Buffer.from('garbage')],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, bytes] of damaged) {
      writeFileSync(name, bytes);
      const r = verify([ACCEPTED], home);
      expect(r, what).toMatchObject({ code: 0, stderr: '' });
      expect(timeless(r.stdout), what).toBe(timeless(uncached.accepted.stdout));
      const rewritten = readFileSync(name);
      expect(rewritten.subarray(0, keyLine.length).equals(keyLine), what).toBe(true);
      expect(rewritten.length, what).toBeGreaterThan(keyLine.length + 1000);
      // The rewritten cache is accepted: the next run leaves it alone.
      const sig = cacheFiles(home);
      verify([ACCEPTED], home);
      expect(cacheFiles(home), what).toEqual(sig);
    }
  });

  it('works without a cache when its directory cannot be made or written', () => {
    // Under a regular file (its directory cannot be made), and with a regular file in the cache directory's place
    // (permissions would not stop root, who runs CI).
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const blocked = join(dir, 'blocked');
    mkdirSync(join(blocked, 'bpftime-vm'), { recursive: true });
    writeFileSync(join(blocked, 'bpftime-vm', 'code-cache'), '');
    // Under /proc mkdir answers ENOENT although the parent exists (Node's recursive mkdirSync loops forever there).
    const proc = process.platform === 'linux' ? [`/proc/bpftime-vm-test-${process.pid}`] : [];
    for (const home of [join(file, 'cache'), blocked, ...proc]) {
      const r = verify([REJECTED], home);
      expect(r).toEqual(uncached.rejected);
      const j = verify(['--json', ACCEPTED], home);
      expect(j.code).toBe(0);
      expect(timeless(j.stdout)).toBe(timeless(uncached.acceptedJson.stdout));
    }
    expect(readdirSync(join(blocked, 'bpftime-vm'))).toEqual(['code-cache']);
  });

  it('keeps invalid input an error with its exit code (the error classes are the CLI\'s)', () => {
    const bad = join(dir, 'bad.asm');
    writeFileSync(bad, 'mov %r0, 0\nfrobnicate %r1\nexit\n');
    const home = join(dir, 'home');
    const r = verify([bad], home);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(verify([bad], home, { BPFTIME_VM_CODE_CACHE: '0' }).stderr);
    expect(r.stderr).toMatch(/^bpftime-vm: error: .*frobnicate/);
    expect(verify(['--json', bad], home).stderr).toMatch(/"kind":"AsmError"/);
    expect(verify([ACCEPTED, '--prog', 'x'], home).code).toBe(2);
  });

  it('verifies an ELF object through the ES modules, without the script or its cache', () => {
    const home = join(dir, 'object');
    const object = join(ROOT, 'examples', 'counter.bpf.o');
    const r = verify(['--json', object], home);
    expect(r.code).toBe(0);
    expect(timeless(r.stdout)).toBe(timeless(verify(['--json', object], home, { BPFTIME_VM_CODE_CACHE: '0' }).stdout));
    expect(JSON.parse(r.stdout).programs.map((p: { verdict: string }) => p.verdict)).toEqual(['accepted']);
    expect(cacheFiles(home)).toEqual([]);
  });

  it('names a build without its script as incomplete (exit 4), not as a missing input', () => {
    const copy = join(dir, 'incomplete');
    for (const d of ['bin', 'dist']) cpSync(join(ROOT, d), join(copy, d), { recursive: true, filter: (f) => !f.endsWith('.map') && !f.includes('/types') });
    rmSync(join(copy, 'dist', 'verify.cjs'));
    const r = spawnSync(process.execPath, [join(copy, 'bin', 'bpftime-vm'), 'verify', ACCEPTED], { encoding: 'utf8' });
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^bpftime-vm: error: .*verify\.cjs is missing: build the checkout again \(npm run build\) or reinstall bpftime-vm\n$/);
  });
});
