// The toolchain stamp (src/native/stamp.ts, prerequisites.ts, build.ts's layerHash): a live-process command whose
// tools and sources did not change spawns nothing to find its native layer, and anything that could change the
// answer (a tool's file, PATH, a source file edited in place, a file added) computes it again; a damaged, foreign or
// concurrently written stamp never breaks a command. The tools here are shell scripts that log every run, so a spawn
// is observed, not assumed. Values are kept only for files changed more than RACY_MS ago, hence the waits.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layerHash } from '../src/native/build.js';
import { checkPrerequisites, headerPath, PACKAGE_DATABASES, resolveCommand, toolVersions } from '../src/native/prerequisites.js';
import { fileSig, RACY_MS, stamped, STAMP_FILE } from '../src/native/stamp.js';
import { ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpftime-vm-stamp-'));
const log = join(tmp, 'spawned.log');
const binA = join(tmp, 'a');
const binB = join(tmp, 'b');
const inc = join(tmp, 'include');
const root = join(tmp, 'hooks'); // a native-hooks/ tree
const settle = () => sleep(RACY_MS + 100);

/** tool writes an executable script that logs its run and prints `line` for --version (and a -M answer for cc). */
function tool(dir: string, name: string, line: string): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  const dep = `if [ "$1" = "-M" ]; then /bin/cat >/dev/null; echo "-: ${join(inc, 'extra', 'fake.h')}"; exit 0; fi`;
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> ${log}\n${dep}\necho "${line}"\n`);
  chmodSync(file, 0o755);
}

const runs = (): string[] => readFileSync(log, 'utf8').split('\n').filter(Boolean);
/** spawnedBy runs `f` and returns what it spawned. */
function spawnedBy<T>(f: () => T): { value: T; spawned: string[] } {
  const before = runs().length;
  const value = f();
  return { value, spawned: runs().slice(before) };
}

beforeAll(async () => {
  writeFileSync(log, '');
  tool(binA, 'make', 'GNU Make fake');
  tool(binA, 'cc', 'cc fake 1');
  tool(binA, 'wasm2c', 'wasm2c fake 1');
  tool(binB, 'cc', 'cc fake 2');
  mkdirSync(join(inc, 'capstone'), { recursive: true });
  mkdirSync(join(inc, 'extra'));
  writeFileSync(join(inc, 'capstone', 'capstone.h'), '/* capstone */\n');
  writeFileSync(join(inc, 'wasm-rt.h'), '/* wasm-rt */\n');
  writeFileSync(join(inc, 'extra', 'fake.h'), '/* found by asking the compiler */\n');
  writeFileSync(join(inc, 'node_api.h'), '/* node */\n');
  mkdirSync(join(root, 'src', 'agent'), { recursive: true });
  mkdirSync(join(root, 'build'));
  writeFileSync(join(root, 'Makefile'), 'all:\n');
  writeFileSync(join(root, 'src', 'agent', 'agent.c'), 'int x = 1;\n');
  writeFileSync(join(root, 'build', 'ignored.o'), 'object');
  await settle();
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the toolchain stamp of the tools', () => {
  const cache = join(tmp, 'cache-tools');
  const env = { PATH: binA, XDG_CACHE_HOME: cache };

  it('resolves commands along PATH as execvp does', () => {
    expect(resolveCommand('cc', { PATH: `${join(tmp, 'none')}:${binB}:${binA}` })).toBe(join(binB, 'cc'));
    expect(resolveCommand('make', { PATH: `${binB}:${binA}` })).toBe(join(binA, 'make'));
    expect(resolveCommand('nothing-here', env)).toBeUndefined();
    const notExecutable = join(tmp, 'not-executable');
    mkdirSync(notExecutable);
    writeFileSync(join(notExecutable, 'cc'), '', { mode: 0o644 });
    expect(resolveCommand('cc', { PATH: `${notExecutable}:${binA}` })).toBe(join(binA, 'cc'));
    expect(resolveCommand('./x/cc', env)).toBe(join(process.cwd(), 'x', 'cc'));
  });

  it('runs the tools once, then answers from the stamp while their files stat the same', () => {
    const first = spawnedBy(() => toolVersions(env));
    expect(first.value).toEqual({ make: 'GNU Make fake', cc: 'cc fake 1', wasm2c: 'wasm2c fake 1' });
    expect(first.spawned).toEqual(['make --version', 'cc --version', 'wasm2c --version']);
    const second = spawnedBy(() => toolVersions(env));
    expect(second).toEqual({ value: first.value, spawned: [] });
    const stamp = JSON.parse(readFileSync(join(cache, 'bpftime-vm', 'native', STAMP_FILE), 'utf8'));
    expect(stamp.entries[0].files.map((f: [string, string]) => f[0])).toEqual([join(binA, 'make'), join(binA, 'cc'), join(binA, 'wasm2c'), ...PACKAGE_DATABASES]);
    expect(stamp.entries[0].files[1][1]).toBe(fileSig(join(binA, 'cc')));
  });

  it('notices a PATH that finds another compiler, and keeps one entry per PATH', () => {
    const other = spawnedBy(() => toolVersions({ ...env, PATH: `${binB}:${binA}` }));
    expect(other.value.cc).toBe('cc fake 2');
    expect(other.spawned).toContain('cc --version');
    expect(spawnedBy(() => toolVersions({ ...env, PATH: `${binB}:${binA}` })).spawned).toEqual([]);
    expect(spawnedBy(() => toolVersions(env))).toEqual({ value: { make: 'GNU Make fake', cc: 'cc fake 1', wasm2c: 'wasm2c fake 1' }, spawned: [] });
    // An earlier PATH directory that gains a compiler.
    const later = join(tmp, 'later');
    mkdirSync(later);
    expect(spawnedBy(() => toolVersions({ ...env, PATH: `${later}:${binA}` })).value.cc).toBe('cc fake 1');
    expect(spawnedBy(() => toolVersions({ ...env, PATH: `${later}:${binA}` })).spawned).toEqual([]);
    tool(later, 'cc', 'cc fake 4');
    expect(spawnedBy(() => toolVersions({ ...env, PATH: `${later}:${binA}` }))).toEqual({ value: { make: 'GNU Make fake', cc: 'cc fake 4', wasm2c: 'wasm2c fake 1' }, spawned: ['make --version', 'cc --version', 'wasm2c --version'] });
  });

  it('asks again when a tool is upgraded in place, and keeps the answer only once the change is RACY_MS old', async () => {
    tool(binA, 'cc', 'cc fake 3'); // same inode: only size, mtime and ctime tell
    const upgraded = spawnedBy(() => toolVersions(env));
    expect(upgraded.value.cc).toBe('cc fake 3');
    expect(upgraded.spawned).toContain('cc --version');
    // The file changed less than RACY_MS before: a change in the same clock tick could go unseen, so nothing is kept.
    expect(spawnedBy(() => toolVersions(env)).spawned).toContain('cc --version');
    await settle();
    expect(spawnedBy(() => toolVersions(env)).spawned).toContain('cc --version');
    expect(spawnedBy(() => toolVersions(env))).toEqual({ value: { make: 'GNU Make fake', cc: 'cc fake 3', wasm2c: 'wasm2c fake 1' }, spawned: [] });
  });

  it('asks again when a touch changes only the mtime', async () => {
    const t = new Date(Date.now() - 86_400_000);
    utimesSync(join(binA, 'wasm2c'), t, t);
    expect(spawnedBy(() => toolVersions(env)).spawned).toContain('wasm2c --version');
  });

  it('keeps nothing while a tool is missing', () => {
    const noWasm2c = { ...env, BPFTIME_WASM2C: 'no-such-wasm2c' };
    expect(spawnedBy(() => toolVersions(noWasm2c)).value).toEqual({ make: 'GNU Make fake', cc: 'cc fake 3', wasm2c: undefined });
    expect(spawnedBy(() => toolVersions(noWasm2c)).spawned).toEqual(['make --version', 'cc --version']);
  });

  it('ignores a damaged or foreign stamp, and rewrites it', async () => {
    await settle();
    const file = join(cache, 'bpftime-vm', 'native', STAMP_FILE);
    toolVersions(env);
    const good = readFileSync(file, 'utf8');
    const entry = JSON.parse(good).entries[0];
    const damaged = [
      good.slice(0, good.length / 2),
      '',
      'null',
      JSON.stringify({ format: 99, entries: [entry] }),
      JSON.stringify({ format: 1, entries: [{ ...entry, value: { make: 1, cc: [], wasm2c: null } }] }),
      JSON.stringify({ format: 1, entries: [{ ...entry, files: [[join(binA, 'cc')]] }, 7, null] }),
    ];
    for (const text of damaged) {
      writeFileSync(file, text);
      const r = spawnedBy(() => toolVersions(env));
      expect(r.value, text).toEqual({ make: 'GNU Make fake', cc: 'cc fake 3', wasm2c: 'wasm2c fake 1' });
      expect(r.spawned, text).toHaveLength(3);
      expect(JSON.parse(readFileSync(file, 'utf8')).entries[0], text).toEqual(entry);
    }
    expect(readdirSync(join(cache, 'bpftime-vm', 'native'))).toEqual([STAMP_FILE]);
  });

  it('runs the tools again under BPFTIME_NATIVE_RECHECK=1', () => {
    expect(spawnedBy(() => toolVersions(env)).spawned).toEqual([]);
    expect(spawnedBy(() => toolVersions({ ...env, BPFTIME_NATIVE_RECHECK: '1' })).spawned).toHaveLength(3);
    expect(spawnedBy(() => toolVersions({ ...env, BPFTIME_NATIVE_RECHECK: '0' })).spawned).toEqual([]);
  });

  it('never fails a command when the stamp cannot be read or written', () => {
    const blocked = join(tmp, 'cache-is-a-file');
    writeFileSync(blocked, '');
    expect(toolVersions({ ...env, XDG_CACHE_HOME: blocked }).cc).toBe('cc fake 3');
    const dirStamp = join(tmp, 'cache-dir-stamp');
    mkdirSync(join(dirStamp, 'bpftime-vm', 'native', STAMP_FILE), { recursive: true });
    expect(toolVersions({ ...env, XDG_CACHE_HOME: dirStamp }).cc).toBe('cc fake 3');
    expect(readdirSync(join(dirStamp, 'bpftime-vm', 'native'))).toEqual([STAMP_FILE]);
  });
});

describe('the prerequisites through the stamp', () => {
  const env = { PATH: binA, XDG_CACHE_HOME: join(tmp, 'cache-pre'), CPATH: inc, NODE_INCLUDE: inc };

  it('checks every prerequisite without a spawn once stamped', () => {
    const first = spawnedBy(() => checkPrerequisites(env));
    expect(first.value).toEqual({ cc: 'cc', ccVersion: 'cc fake 3', nodeInclude: inc, headers: [join(inc, 'capstone', 'capstone.h'), join(inc, 'wasm-rt.h')] });
    expect(first.spawned).toHaveLength(3);
    expect(spawnedBy(() => checkPrerequisites(env))).toEqual({ value: first.value, spawned: [] });
  });

  it('keeps the header the compiler was asked for, and asks again when the compiler changes', async () => {
    const found = join(inc, 'extra', 'fake.h');
    const ask = (e: NodeJS.ProcessEnv) => spawnedBy(() => headerPath('cc', 'cc fake 3', 'fake.h', e));
    expect(ask(env)).toEqual({ value: found, spawned: ['cc -M -E -x c -'] });
    expect(ask(env)).toEqual({ value: found, spawned: [] });
    expect(ask({ ...env, PATH: `${binB}:${binA}` }).spawned).toEqual(['cc -M -E -x c -']);
    expect(spawnedBy(() => headerPath('cc', 'cc fake 3', 'absent.h', env))).toEqual({ value: undefined, spawned: ['cc -M -E -x c -'] });
  });
});

describe('the layer hash through the stamp', () => {
  const env = { XDG_CACHE_HOME: join(tmp, 'cache-layer') };
  const pre = { cc: 'cc', ccVersion: 'cc fake 3', nodeInclude: inc, headers: [join(inc, 'wasm-rt.h')] };
  const fresh = () => layerHash(root, pre, { ...env, BPFTIME_NATIVE_RECHECK: '1' });

  it('is the content hash, reused while every source file and directory stats the same', () => {
    const h = layerHash(root, pre, env);
    // The formula the package's layers have always been named by (sources by relative path, then the headers), so an
    // existing layer is not rebuilt.
    const expected = createHash('sha256').update('cc fake 3\0');
    for (const f of ['Makefile', 'src/agent/agent.c', pre.headers[0]]) expected.update(`${f}\0`).update(readFileSync(f.startsWith('/') ? f : join(root, f))).update('\0');
    expect(h).toBe(expected.digest('hex').slice(0, 32));
    expect(layerHash(root, pre, env)).toBe(h);
    const stamp = JSON.parse(readFileSync(join(env.XDG_CACHE_HOME, 'bpftime-vm', 'native', STAMP_FILE), 'utf8'));
    expect(stamp.entries[0]).toMatchObject({ value: h, files: [[root], [join(root, 'src')], [join(root, 'src', 'agent')], [join(root, 'Makefile')], [join(root, 'src', 'agent', 'agent.c')], [join(inc, 'wasm-rt.h')]].map(([f]) => [f, fileSig(f)]) });
    // build/ is not a source: what make leaves there changes nothing.
    writeFileSync(join(root, 'build', 'ignored.o'), 'another object');
    expect(layerHash(root, pre, env)).toBe(h);
  });

  it('changes with a source edited in place to the same size and mtime', () => {
    const before = layerHash(root, pre, env);
    const file = join(root, 'src', 'agent', 'agent.c');
    const { mtime, atime } = statSync(file);
    writeFileSync(file, 'int x = 2;\n');
    utimesSync(file, atime, mtime);
    const after = layerHash(root, pre, env);
    expect(after).not.toBe(before);
    expect(after).toBe(fresh());
  });

  it('changes with a file added to a directory, and with another compiler version', () => {
    const before = layerHash(root, pre, env);
    writeFileSync(join(root, 'src', 'agent', 'new.c'), 'int y;\n');
    expect(layerHash(root, pre, env)).not.toBe(before);
    expect(layerHash(root, pre, env)).toBe(fresh());
    expect(layerHash(root, { ...pre, ccVersion: 'cc fake 4' }, env)).not.toBe(fresh());
  });
});

describe('concurrent writers', () => {
  it('never break a reader nor give it another key\'s value', async () => {
    const bundle = join(tmp, 'stamp.mjs');
    const { buildSync } = await import('esbuild');
    buildSync({ entryPoints: [join(ROOT, 'src', 'native', 'stamp.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'error' });
    const dir = join(tmp, 'cache-concurrent');
    const dep = join(inc, 'wasm-rt.h');
    const script = `import { stamped } from ${JSON.stringify(bundle)};
const id = Number(process.argv[2]);
let computed = 0;
for (let i = 0; i < 100; i++) {
  const k = (id * 7 + i) % 24;
  const v = stamped({ dir: ${JSON.stringify(dir)}, key: 'k' + k, env: {}, valid: (v) => typeof v === 'number', compute: () => (computed++, { value: k * 1000, files: [${JSON.stringify(dep)}] }) });
  if (v !== k * 1000) { console.error('key', k, 'gave', v); process.exit(1); }
}
console.log(computed);`;
    writeFileSync(join(tmp, 'writer.mjs'), script);
    const codes = await Promise.all([0, 1, 2, 3].map((id) => new Promise<number | null>((ok) => {
      const child = spawn(process.execPath, [join(tmp, 'writer.mjs'), String(id)], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.on('close', ok);
    })));
    expect(codes).toEqual([0, 0, 0, 0]);
    const stamp = JSON.parse(readFileSync(join(dir, STAMP_FILE), 'utf8'));
    expect(stamp.format).toBe(1);
    expect(stamp.entries.length).toBeLessThanOrEqual(16);
    expect(readdirSync(dir)).toEqual([STAMP_FILE]);
  }, 30_000);
});

describe('stamped', () => {
  it('computes again when the key differs, and keeps nothing the computation calls incomplete', () => {
    const dir = join(tmp, 'cache-generic');
    let computed = 0;
    const get = (key: string, keep: boolean) => stamped({ dir, key, env: {}, valid: (v): v is number => typeof v === 'number', compute: () => ({ value: ++computed, files: keep ? [join(inc, 'wasm-rt.h')] : undefined }) });
    expect([get('a', true), get('a', true), get('b', true), get('a', true), get('b', true)]).toEqual([1, 1, 2, 1, 2]);
    expect([get('c', false), get('c', false)]).toEqual([3, 4]);
  });
});
