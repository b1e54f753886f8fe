// Builds dist/: the library (dist/index.js), the CLI (dist/cli.js) and the conformance plugin (dist/plugin.js) as
// esbuild bundles sharing chunks, and with `--types` the library's declarations (dist/types/, by tsc).
//
// Why a bundle and not tsc's per-file output: `bpftime-vm --help` starts fast from one file and no TypeScript at
// run time, and `minifySyntax` inlines the interpreter's op constants into literal case labels. Bundling alone turns
// them into `var`s, and a switch on `var` labels measured 3x slower (bench/RESULTS.md, "dispatch"). The library
// gets the same treatment, so `import 'bpftime-vm'` runs as fast as the CLI.
//
// Run by `npm ci` and installs from git (prepare: bundles and declarations, so a checkout, `npm link` or a git
// dependency has the whole package), by `npm pack`/`npm publish` (prepack, `--package`: the same without source maps,
// which would double the tarball) and by the test setup (JavaScript only, what bin/ runs). npm runs prepare right after
// prepack when it packs; that run keeps the prepack build instead of replacing it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const TYPES_DIR = 'types';

/** cleanJs removes the previous bundles (chunk names change with their content) and keeps dist/types/. */
function cleanJs() {
  let entries = [];
  try {
    entries = readdirSync(dist);
  } catch {
    return;
  }
  for (const f of entries) if (f !== TYPES_DIR) rmSync(join(dist, f), { recursive: true, force: true });
}

/** buildJs bundles the three entry points into dist/. */
export async function buildJs({ quiet = false, sourcemap = true } = {}) {
  cleanJs();
  await build({
    absWorkingDir: root,
    entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts', plugin: 'conformance/plugin.ts' },
    outdir: 'dist',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // binaryen (15 MB, loaded only for wasm-opt) stays a runtime dependency imported from node_modules.
    external: ['binaryen'],
    sourcemap: sourcemap ? 'linked' : false,
    minifySyntax: true,
    logLevel: quiet ? 'error' : 'warning',
  });
}

/** buildTypes emits the library's declarations into dist/types/ with tsc (tsconfig.build.json). */
export function buildTypes() {
  rmSync(join(dist, TYPES_DIR), { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tsc (declarations) failed with exit code ${r.status}`);
}

/** buildAll builds the bundles and, with `types`, the declarations; `sourcemap: false` for the package. */
export async function buildAll({ quiet = false, types = false, sourcemap = true } = {}) {
  const started = Date.now();
  await buildJs({ quiet, sourcemap });
  if (types) buildTypes();
  if (!quiet) console.log(`built dist/${types ? ' with types' : ''} in ${Date.now() - started} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const packing = ['pack', 'publish'].includes(process.env.npm_command ?? '');
  if (packing && process.env.npm_lifecycle_event === 'prepare') console.log('dist/ was built by prepack');
  else if (process.argv.includes('--package')) await buildAll({ types: true, sourcemap: false });
  else await buildAll({ types: process.argv.includes('--types') });
}
