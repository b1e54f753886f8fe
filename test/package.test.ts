// The package as a user gets it (issue 11): `npm pack` of a clean copy of the checkout, the tarball installed offline
// into an empty project, then the installed commands on every backend, the conformance plugin, and the library from
// an ESM script and from TypeScript type-checked against the shipped declarations. About 20-30 s, most of it the pack
// (esbuild and tsc) and the wasm-opt run (binaryen); on Linux with the native prerequisites, the installed `trace`
// builds the native layer from the shipped sources into a temporary cache (once for the file: 30-60 s more).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble, encodeProgram } from '../src/isa/index.js';
import { RACY_MS } from '../src/native/stamp.js';
import { ROOT } from './helpers.js';
import { copyCheckout, installProject, npmEnv, packCheckout, run } from './package-support.js';
import { CLANG_SKIP, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpftime-vm-package-'));
const project = join(tmp, 'project');
let packed: ReturnType<typeof packCheckout>;

beforeAll(() => {
  const checkout = join(tmp, 'checkout');
  copyCheckout(ROOT, checkout);
  packed = packCheckout(checkout, tmp);
  installProject(ROOT, project, packed.tarball, ['@types/node']);
  copyFileSync(join(ROOT, 'examples', 'counter.bpf.o'), join(project, 'counter.bpf.o'));
}, 180_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bin = (name: string) => join(project, 'node_modules', '.bin', name);

describe('the npm package', () => {
  it('ships dist/ (JavaScript and declarations), bin/ and docs, without sources, tests, bench or source maps', () => {
    const files = packed.files;
    for (const f of ['package.json', 'README.md', 'bin/bpftime-vm', 'bin/bpf-conformance-plugin', 'dist/index.js', 'dist/cli.js', 'dist/verify.cjs', 'dist/plugin.js', 'dist/browser.js', 'dist/playground/index.html', 'dist/playground/playground.js', 'dist/playground/style.css', 'dist/playground/examples/counter.bpf.o', 'dist/types/index.d.ts', 'examples/counter.bpf.o']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|conformance|scripts)\//.test(f) || f.endsWith('.js.map') || f.endsWith('.cjs.map') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('ships the native layer as sources (with the generated headers and the Makefile), not its build, tests or benchmarks', () => {
    const native = packed.files.filter((f) => f.startsWith('native-hooks/'));
    for (const f of ['native-hooks/Makefile', 'native-hooks/mk/agent.mk', 'native-hooks/include/bpftime_helpers.gen.h', 'native-hooks/include/bpftime_syscall_layout.gen.h', 'native-hooks/addon/segment.c', 'native-hooks/src/agent/agent.map', 'native-hooks/tests/runtime/list-helpers.c']) {
      expect(native).toContain(f);
    }
    const tracked = execFileSync('git', ['ls-files', 'native-hooks/src', 'native-hooks/include', 'native-hooks/addon', 'native-hooks/mk'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    expect(native.filter((f) => !tracked.includes(f)).sort()).toEqual(['native-hooks/Makefile', 'native-hooks/tests/runtime/list-helpers.c']);
    expect(packed.files).toContain('dist/native.js');
    expect(packed.files).toContain('dist/types/native/index.d.ts');
  });

  it('packs a manifest without development scripts (npm 11 warns at install about a dependency\'s `prepare`), and restores the checkout\'s', () => {
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', 'bpftime-vm', 'package.json'), 'utf8'));
    expect(installed.scripts).toBeUndefined();
    expect(installed.bin).toEqual({ 'bpftime-vm': 'bin/bpftime-vm', 'bpf-conformance-plugin': 'bin/bpf-conformance-plugin' });
    expect(JSON.parse(readFileSync(join(tmp, 'checkout', 'package.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')));
    expect(existsSync(join(tmp, 'checkout', '.package.json.prepack'))).toBe(false);
  });

  it('installs offline with binaryen as its only dependency (no build tools)', () => {
    const installed = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['@types', 'binaryen', 'bpftime-vm', 'undici-types']); // @types/node: the TypeScript check's
  });

  it('states its size in README within 20%', () => {
    const stated = /tarball is about (\d+) kB/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(stated, 'README states "tarball is about N kB"').not.toBeNull();
    const kb = packed.size / 1000;
    expect(Math.abs(kb - Number(stated![1])) / kb, `the tarball is ${kb.toFixed(0)} kB; update README`).toBeLessThan(0.2);
  });

  it.each(['interp', 'wasm-fast', 'wasm-opt', 'auto'])('`npx bpftime-vm run` runs an object on %s', (backend) => {
    const r = run('npx', ['--offline', 'bpftime-vm', 'run', 'counter.bpf.o', '--args', '3,4', '--backend', backend, '--json'], project);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ program: 'count_add', r0: '0x46', trace_printk: ['add(3, 4): call 1'], backend: backend === 'auto' ? 'interp' : backend });
    expect(j.maps.calls).toEqual([{ key: 3, value: 1 }]);
  });

  it('`npx bpftime-vm verify` writes its code cache on the first run and gives the same verdict with it', () => {
    writeFileSync(join(project, 'loop.asm'), 'mov %r0, 0\nmov %r1, 8\nloop:\nsub %r1, 1\njne %r1, 0, loop\nexit\n');
    const cacheHome = join(tmp, 'xdg-verify');
    const env = { XDG_CACHE_HOME: cacheHome, BPFTIME_VM_CACHE: '', BPFTIME_VM_CODE_CACHE: '' };
    const runs = [1, 2].map(() => run('npx', ['--offline', 'bpftime-vm', 'verify', 'loop.asm', '--json'], project, undefined, env));
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).programs[0].verdict).toBe('accepted');
    }
    expect(readdirSync(join(cacheHome, 'bpftime-vm', 'code-cache'))).toEqual([expect.stringMatching(/^verify-[0-9a-f]{8}\.bin$/)]);
  });

  it('runs bpf-conformance-plugin as the official runner does', () => {
    const program = [...encodeProgram(assemble('ldxh %r0, [%r1+2]\nadd %r0, %r2\nexit'))].map((b) => b.toString(16).padStart(2, '0') + '  ').join('');
    const r = run(bin('bpf-conformance-plugin'), ['11  22  33  44  ', '--backend', 'wasm-fast'], project, program + '\n');
    expect(r.stdout).toBe((0x4433 + 4).toString(16) + '\n');
    expect(r.status).toBe(0);
  });

  it('is importable from an ESM script', () => {
    writeFileSync(join(project, 'use.mjs'), ESM_SCRIPT);
    const r = run(process.execPath, ['use.mjs'], project);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(ESM_EXPECTED);
  });

  it('ships the browser bundle as bpftime-vm/browser: one file, no Node built-ins, the same results', () => {
    const bundle = readFileSync(join(project, 'node_modules', 'bpftime-vm', 'dist', 'browser.js'), 'utf8');
    expect(bundle.match(/(from|import)\s*\(?\s*["']node:[^"']+["']/g) ?? []).toEqual([]);
    expect(bundle.match(/^import .* from ["'][^"']+["']/gm) ?? []).toEqual([]); // self-contained: no chunks, binaryen imported at run time
    writeFileSync(join(project, 'use-browser.mjs'), ESM_SCRIPT.replace("from 'bpftime-vm'", "from 'bpftime-vm/browser'"));
    const r = run(process.execPath, ['use-browser.mjs'], project);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(ESM_EXPECTED);
  });

  it('serves the web playground from the installed files', async () => {
    const server = spawn(bin('bpftime-vm'), ['playground', '--port', '0', '--json'], { cwd: project, env: npmEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        server.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) ok((JSON.parse(out) as { url: string }).url);
        });
        server.on('exit', (code) => fail(new Error(`bpftime-vm playground exited with ${code}`)));
      });
      expect(await (await fetch(url)).text()).toContain('<title>bpftime-vm playground</title>');
      expect((await fetch(url + 'browser.js')).status).toBe(200); // what the page imports the runtime from
      expect((await fetch(url + 'binaryen.js')).status).toBe(200); // from the installed dependency
      expect(await (await fetch(url + 'examples/index.json')).json()).toEqual(['counter.bpf.o']);
    } finally {
      server.kill();
    }
  });

  it('runs the README\'s Library API examples', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Library API'), readme.indexOf('\n## ', readme.indexOf('## Library API') + 1));
    const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBe(2);
    const printed = blocks.map((code, k) => {
      writeFileSync(join(project, `readme-${k}.mjs`), code);
      const r = run(process.execPath, [`readme-${k}.mjs`], project);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout;
    });
    // What the README's comments say each prints.
    expect(printed[0]).toBe("70n 1n [ 'add(3, 4): call 1' ] wasm-opt\n");
    expect(printed[1]).toBe("42n 2 ldxb %r0, [%r1+1]\nexit\n\npc 0: ldxdw %r0, [%r1]: null pointer dereference: read of 8 bytes at 0x0 0\n");
  });

  it('type-checks TypeScript against the shipped declarations (strict, no DOM lib, skipLibCheck off)', () => {
    writeFileSync(join(project, 'use.ts'), TS_FILE);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = run(process.execPath, [tsc, '-p', '.'], project);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// The live-process commands of the installed package (issue 9): its first `trace` builds the native layer from the
// shipped sources into the user's cache (here a temporary XDG_CACHE_HOME), after waiting out a lock held by a process
// that is not building (then taken over as stale); later uses build nothing; the library's `bpftime-vm/native` runs
// the same example from an ESM script. The example and its target are built from the package's own examples/.
describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`the installed package's live-process commands${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  const cache = join(tmp, 'cache');
  const ex = join(project, 'examples'); // where the README's script finds them
  const env = { XDG_CACHE_HOME: cache };
  let layer: { root: string; buildDir: string; checkout: boolean } | undefined;

  beforeAll(() => {
    const examples = join(project, 'node_modules', 'bpftime-vm', 'examples');
    execFileSync('make', ['-s', '-C', examples, `OUT=${ex}`, join(ex, 'malloc-sizes.bpf.o'), join(ex, 'targets', 'mallocs')], { stdio: ['ignore', 'ignore', 'pipe'] });
  });

  it('names what is missing before building (exit 4)', () => {
    const r = run(bin('bpftime-vm'), ['status'], project, undefined, { ...env, CC: '/nonexistent/cc' });
    expect(r.stderr).toMatch(/^bpftime-vm: error: the native layer cannot be built here: missing a C compiler \(\/nonexistent\/cc\): install them \(Debian: apt-get install gcc; .*\)\n$/);
    expect(r.status).toBe(4);
    expect(existsSync(cache)).toBe(false);
  });

  it('bpftime-vm/native imports from an ESM script and places the native layer in the cache, by content hash', () => {
    writeFileSync(join(project, 'native-layer.mjs'), "import * as native from 'bpftime-vm/native';\nconsole.log(JSON.stringify({ layer: native.nativeLayer(), exports: Object.keys(native) }));\n");
    const r = run(process.execPath, ['native-layer.mjs'], project, undefined, env);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { layer: NonNullable<typeof layer>; exports: string[] };
    layer = out.layer;
    expect(layer.checkout).toBe(false);
    expect(layer.root).toBe(join(project, 'node_modules', 'bpftime-vm', 'native-hooks'));
    expect(layer.buildDir).toMatch(new RegExp(`^${cache}/bpftime-vm/native/layer-[0-9a-f]{32}$`));
    expect(existsSync(layer.buildDir)).toBe(false);
    expect(out.exports).toEqual(expect.arrayContaining(['prepareNative', 'loadNative', 'startTraced', 'waitExit', 'attachProcess', 'detachAgents', 'NativeSession', 'OutputStream', 'summarize']));
  });

  it('`trace` builds the native layer once on first use (waiting for a lock, taking over a stale one) and traces the malloc counter', async () => {
    const buildDir = layer!.buildDir;
    const holder = spawn('sleep', ['300'], { stdio: 'ignore' });
    mkdirSync(`${buildDir}.lock`, { recursive: true });
    writeFileSync(join(`${buildDir}.lock`, 'pid'), String(holder.pid));
    const trace = spawn(bin('bpftime-vm'), ['trace', join(ex, 'malloc-sizes.bpf.o'), '--', join(ex, 'targets', 'mallocs')], { cwd: project, env: { ...npmEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    trace.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    trace.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The holder ends without having built: the waiting trace takes the lock over and builds.
      if (stderr.includes(`waiting for process ${holder.pid}, which is building the native layer`)) holder.kill();
    });
    const timer = setTimeout(() => trace.kill(), 300_000);
    const code = await new Promise<number | null>((ok) => trace.on('close', ok));
    clearTimeout(timer);
    holder.kill();
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`bpftime-vm: waiting for process ${holder.pid}, which is building the native layer ...\n`);
    expect(stderr).toContain(`bpftime-vm: building the native layer (once) into ${buildDir} ...\n`);
    expect(stderr).toMatch(/bpftime-vm: built the native layer in \d+\.\d s\n/);
    const [first, ...rest] = stdout.split('\n');
    const calls = (JSON.parse(first) as { calls: Record<string, number> }).calls;
    const sizes = rest.slice(rest.indexOf('  sizes (hash):') + 1).filter((l) => /^    \d+: \d+$/.test(l));
    expect(Object.fromEntries(sizes.map((l) => l.trim().split(': ').map(Number)))).toEqual(Object.fromEntries(Object.entries(calls).map(([k, v]) => [Number(k), v])));
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    expect(stdout).toContain(`count_malloc uprobe libc.so.6:malloc: ${total} hits, 0 missed\n`);
    // Only what the control plane uses is kept; no lock and no build directory is left.
    expect(readdirSync(buildDir).sort()).toEqual(['bpftime-inject', 'bpftime_shm.node', 'libbpftime-agent.so', 'runtime-helpers.txt']);
    expect(readdirSync(join(cache, 'bpftime-vm', 'native')).filter((f) => f.startsWith('.layer-') || f.endsWith('.lock'))).toEqual([]);
  }, 400_000);

  it('builds nothing on later uses: `trace --json` reports the same counts', () => {
    const r = run(bin('bpftime-vm'), ['trace', '--json', join(ex, 'malloc-sizes.bpf.o'), '--', join(ex, 'targets', 'mallocs')], project, undefined, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('building');
    const calls = (JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"calls"'))!) as { calls: Record<string, number> }).calls;
    const end = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.event === 'end')!;
    expect(end.attachments[0]).toMatchObject({ program: 'count_malloc', hits: Object.values(calls).reduce((a, b) => a + b, 0), missed: 0 });
  });

  it('finds its layer on later commands without running make, cc or wasm2c (the toolchain stamp)', async () => {
    // make, cc and wasm2c wrapped to log their runs, first on PATH: the changed PATH asks them once, then no more.
    const wrappers = join(tmp, 'wrappers');
    const log = join(wrappers, 'runs.log');
    mkdirSync(wrappers);
    for (const tool of ['make', 'cc', 'wasm2c']) {
      const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      writeFileSync(join(wrappers, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\nexec ${real} "$@"\n`, { mode: 0o755 });
    }
    writeFileSync(log, '');
    // A stamp is kept only for files changed more than RACY_MS before (src/native/stamp.ts).
    await sleep(RACY_MS + 100);
    const wrapped = { ...env, PATH: `${wrappers}:${process.env.PATH}` };
    const status = () => run(bin('bpftime-vm'), ['status', '--session', `bpftime-vm-pkg-${process.pid}`], project, undefined, wrapped);
    const runs = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);
    for (const expected of [['make --version', 'cc --version', 'wasm2c --version'], []]) {
      writeFileSync(log, '');
      const r = status();
      expect(r.stderr).toMatch(/^bpftime-vm: error: no session \/bpftime-vm-pkg-\d+: /);
      expect(r.status).toBe(2);
      expect(runs()).toEqual(expected);
    }
    const stamp = JSON.parse(readFileSync(join(cache, 'bpftime-vm', 'native', 'toolchain-stamp.json'), 'utf8')) as { entries: { value: unknown }[] };
    expect(stamp.entries.map((e) => e.value)).toContain(layer!.buildDir.slice(layer!.buildDir.lastIndexOf('layer-') + 6));
  });

  it('runs the README\'s bpftime-vm/native script: the malloc counter through the library', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Trace a live process');
    const blocks = [...readme.slice(start, readme.indexOf('\n## ', start + 1)).matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBe(1);
    writeFileSync(join(project, 'native-trace.mjs'), blocks[0]);
    const r = run(process.execPath, ['native-trace.mjs'], project, undefined, env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const [first, ...rest] = r.stdout.trim().split('\n');
    const calls = (JSON.parse(first) as { calls: Record<string, number> }).calls;
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    expect(rest.pop()).toBe(`exit 0, ${total} hits`);
    expect(Object.fromEntries(rest.map((l) => l.split(': ')).map(([k, v]) => [k, Number(v)]))).toEqual(calls);
  });
});

describe('bin/ in a checkout without dist/', () => {
  it('says how to build instead of building or printing a stack trace', () => {
    const dir = join(tmp, 'bare');
    mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
    writeFileSync(join(dir, 'src', 'cli', 'main.ts'), '');
    for (const name of ['bpftime-vm', 'bpf-conformance-plugin']) {
      const r = run(process.execPath, [join(dir, 'bin', name), '--help'], dir);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^bpftime-vm: error: \S+\/dist\/(cli|plugin)\.js is missing; this is a source checkout: build it with `npm ci` \(or `npm run build`\) first\n$/);
      expect(r.status).toBe(1);
    }
  });
});

/** ESM_EXPECTED is what ESM_SCRIPT prints, through either bundle. */
const ESM_EXPECTED = {
  interp: { r0: '70', trace: ['add(3, 4): call 1'], calls: 1 },
  'wasm-fast': { r0: '70', trace: ['add(3, 4): call 1'], calls: 1 },
  raw: { r0: '42', steps: 2, text: 'ldxb %r0, [%r1+1]\nexit' },
  fault: { kind: 'ExecError', pc: 0 },
};

const ESM_SCRIPT = `import { readFileSync } from 'node:fs';
import { Collection, ExecError, Interpreter, assemble, disassemble, loadCollectionSpec } from 'bpftime-vm';

const spec = loadCollectionSpec(new Uint8Array(readFileSync('counter.bpf.o')));
const out = {};
for (const backend of ['interp', 'wasm-fast']) {
  const coll = new Collection(spec, { backend });
  const { r0 } = coll.program('count_add').run({ args: [3n, 4n] });
  const calls = coll.map('calls').lookup(Uint8Array.of(3, 0, 0, 0));
  out[backend] = { r0: String(r0), trace: coll.host.trace, calls: Number(new DataView(calls.buffer, calls.byteOffset).getBigUint64(0, true)) };
}
const vm = new Interpreter();
const insns = assemble('ldxb %r0, [%r1+1]\\nexit');
const { r0, steps } = vm.run(vm.load(insns), { input: Uint8Array.of(7, 42) });
out.raw = { r0: String(r0), steps, text: disassemble(insns).trim() };
try {
  vm.run(vm.load(assemble('ldxdw %r0, [%r1]\\nexit')));
} catch (e) {
  out.fault = { kind: e instanceof ExecError ? 'ExecError' : String(e), pc: e.location.pc };
}
console.log(JSON.stringify(out));
`;

const TS_FILE = `import { readFileSync } from 'node:fs';
import { Collection, ExecError, loadCollectionSpec, prepareBackend, type BackendChoice, type BpfMap, type RunOutput } from 'bpftime-vm';
import { loadNative, OutputStream, summarize, type NativeEvent, type NativeLoad } from 'bpftime-vm/native';

const backend: BackendChoice = 'wasm-opt';
await prepareBackend(backend);
const coll = new Collection(loadCollectionSpec(new Uint8Array(readFileSync('counter.bpf.o'))), { backend });
const out: RunOutput = coll.program('count_add').run({ args: [3n, 4n] });
const r0: bigint = out.r0;
const calls: BpfMap = coll.map('calls');
const value: Uint8Array | undefined = calls.lookup(Uint8Array.of(3, 0, 0, 0));
console.log(r0, value, coll.program('count_add').backend satisfies 'interp' | 'wasm-fast' | 'wasm-opt', ExecError.name);
// @ts-expect-error: arguments are bigints, so the declarations are real types, not any
coll.program('count_add').run({ args: [3, 4] });

// The native control plane's declarations (only type-checked here: no session is made).
export async function hits(object: Uint8Array, session: string): Promise<number> {
  const load: NativeLoad = await loadNative(loadCollectionSpec(object), session);
  const events: NativeEvent[] = new OutputStream(load, undefined).poll();
  load.session.end();
  return summarize(load).attachments.reduce((n, a) => n + a.hits, events.length);
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['use.ts'],
};
