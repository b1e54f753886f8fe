// The package as a user gets it (issue 11): `npm pack` of a clean copy of the checkout, the tarball installed offline
// into an empty project, then the installed commands on every backend, the conformance plugin, and the library from
// an ESM script and from TypeScript type-checked against the shipped declarations. About 20-30 s, most of it the pack
// (esbuild and tsc) and the wasm-opt run (binaryen).
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble, encodeProgram } from '../src/isa/index.js';
import { NATIVE_NOT_HERE } from '../src/native/addon.js';
import { ROOT } from './helpers.js';
import { copyCheckout, installProject, packCheckout, run } from './package-support.js';

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
    for (const f of ['package.json', 'README.md', 'bin/bpftime-vm', 'bin/bpf-conformance-plugin', 'dist/index.js', 'dist/cli.js', 'dist/plugin.js', 'dist/types/index.d.ts', 'examples/counter.bpf.o']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(src|test|bench|conformance|scripts|native-hooks)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
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

  const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
  it.skipIf(!linuxX64)(`says the live-process commands need a checkout (the native layer is not packaged), exit 4${linuxX64 ? '' : ' (skipped: the native layer is Linux x86-64 only)'}`, () => {
    for (const args of [['status'], ['trace', 'counter.bpf.o', '--', 'true']]) {
      const r = run(bin('bpftime-vm'), args, project);
      expect(r.stderr).toBe(`bpftime-vm: error: ${NATIVE_NOT_HERE}\n`);
      expect(r.status).toBe(4);
    }
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
    expect(JSON.parse(r.stdout)).toEqual({
      interp: { r0: '70', trace: ['add(3, 4): call 1'], calls: 1 },
      'wasm-fast': { r0: '70', trace: ['add(3, 4): call 1'], calls: 1 },
      raw: { r0: '42', steps: 2, text: 'ldxb %r0, [%r1+1]\nexit' },
      fault: { kind: 'ExecError', pc: 0 },
    });
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
