// Builds dist/: the library (dist/index.js), its native control plane (dist/native.js, `bpftime-vm/native`), the CLI
// (dist/cli.js) and the conformance plugin (dist/plugin.js) as esbuild bundles sharing chunks; the browser bundle
// (dist/browser.js, one file, `bpftime-vm/browser`) and the web playground (dist/playground/, static files over the
// browser bundle); and with `--types` the library's declarations (dist/types/, by tsc).
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
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
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

/**
 * buildId hashes what the compiled Wasm modules depend on: the sources, the package version and binaryen's version.
 * The bundles carry it as the compiler's identity in the module cache (src/runtime/wasm-cache.ts), so a build never
 * reuses modules another build compiled.
 */
function buildId() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts')) hash.update(rel).update(readFileSync(join(root, rel)));
    }
  };
  walk('src');
  const require = createRequire(import.meta.url);
  const version = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  hash.update(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version).update(version('binaryen'));
  return hash.digest('hex').slice(0, 32);
}

/**
 * buildJs bundles the four entry points into dist/ (the library, its native control plane, the CLI, the plugin) and
 * the CLI's scripts (buildScripts).
 */
export async function buildJs({ quiet = false, sourcemap = true } = {}) {
  cleanJs();
  await build({
    define: { BPFTIME_VM_BUILD_ID: JSON.stringify(buildId()) },
    absWorkingDir: root,
    entryPoints: { index: 'src/index.ts', native: 'src/native/index.ts', cli: 'src/cli/main.ts', plugin: 'conformance/plugin.ts' },
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
  await buildScripts({ quiet, sourcemap });
}

/**
 * SCRIPT_HOST_MODULES are the modules a CLI script (buildScripts) leaves to the CLI's ES module graph, which hands
 * them in (src/cli/commands/verify-run.ts): the error classes, of which the process must have one copy (`instanceof`
 * decides exit codes), the output with its stdio state, the dynamic imports the script cannot make, and the tiering
 * switch (its state is the process's).
 */
const SCRIPT_HOST_MODULES = ['src/errors.ts', 'src/cli/output.ts', 'src/cli/commands/verify-deps.ts', 'src/cli/tiering.ts'];

/** hostModules makes the SCRIPT_HOST_MODULES external as `host:<path>`, the ids the script requires them by. */
const hostModules = {
  name: 'host-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const rel = relative(root, join(args.resolveDir, args.path)).replace(/\.js$/, '.ts');
      return SCRIPT_HOST_MODULES.includes(rel) ? { path: `host:${rel}`, external: true } : undefined;
    });
  },
};

/**
 * buildScripts bundles the verify command (src/cli/commands/verify.ts) as dist/verify.cjs: one CommonJS script,
 * wrapped in a function expression, that src/cli/code-cache.ts compiles with `vm.Script` and a V8 code cache (Node 20
 * caches no ES module). `import.meta.url` is the script's URL, passed in; the script must not `import()` (a test
 * checks), since code compiled by `vm.Script` has no module loader to import with.
 */
async function buildScripts({ quiet, sourcemap }) {
  await build({
    define: { BPFTIME_VM_BUILD_ID: JSON.stringify(buildId()), 'import.meta.url': '__importMetaUrl' },
    absWorkingDir: root,
    entryPoints: { verify: 'src/cli/commands/verify.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    banner: { js: '(function (require, module, exports, __importMetaUrl) {' },
    footer: { js: '})' },
    plugins: [hostModules],
    sourcemap: sourcemap ? 'linked' : false,
    minifySyntax: true,
    logLevel: quiet ? 'error' : 'warning',
  });
}

/**
 * browserOnly makes the browser bundle: binaryen's loader becomes the browser one (imports binaryen from a URL at run
 * time), and any Node built-in reaching the bundle fails the build, naming the module that imports it.
 */
const browserOnly = {
  name: 'browser-only',
  setup(b) {
    b.onResolve({ filter: /\/binaryen-default\.js$/ }, (args) => ({ path: join(args.resolveDir, 'binaryen-default.browser.ts') }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `the browser bundle must not import Node built-ins: ${args.path} from ${args.importer}` }] }));
  },
};

/**
 * publicApiFromBundle keeps the library out of the playground's script: its imports of the public API (src/index.ts)
 * become imports of the browser bundle beside dist/playground/ (`../browser.js`), so the page loads the runtime once
 * and uses exactly what `bpftime-vm/browser` offers. Anything else it imports from src/ fails the build.
 */
const publicApiFromBundle = {
  name: 'public-api-from-bundle',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.importer.includes(`${join('src', 'playground')}`)) return undefined;
      if (args.path === '../index.js') return { path: '../browser.js', external: true };
      if (args.path.startsWith('./')) return undefined;
      return { errors: [{ text: `the playground may import only the public API (../index.js), not ${args.path}` }] };
    });
  },
};

/** buildBrowser bundles the library for browsers (dist/browser.js, one file) and the web playground (dist/playground/). */
export async function buildBrowser({ quiet = false, sourcemap = true } = {}) {
  const common = {
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: sourcemap ? 'linked' : false,
    // Syntax only, as the Node bundles: identifiers stay (error names come from class names), and so do the comments
    // that keep a page's bundler off the computed import of binaryen (src/jit-wasm/module.ts).
    minifySyntax: true,
    logLevel: quiet ? 'error' : 'warning',
  };
  await build({ ...common, entryPoints: { browser: 'src/index.ts' }, outdir: 'dist', plugins: [browserOnly] });
  await build({ ...common, entryPoints: { playground: 'src/playground/main.ts' }, outdir: 'dist/playground', plugins: [browserOnly, publicApiFromBundle] });
  copyPlaygroundFiles();
}

/**
 * copyPlaygroundFiles puts the playground's page and style beside its script, and the example objects that this
 * checkout has built (examples/*.bpf.o; counter.bpf.o is committed, the others come from `make -C examples`) in
 * dist/playground/examples/ with their list, counter first.
 */
function copyPlaygroundFiles() {
  const out = join(dist, 'playground');
  for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'src', 'playground', f), join(out, f));
  const examples = readdirSync(join(root, 'examples'))
    .filter((f) => f.endsWith('.bpf.o'))
    .sort((a, b) => (a === 'counter.bpf.o' ? -1 : b === 'counter.bpf.o' ? 1 : a.localeCompare(b)));
  mkdirSync(join(out, 'examples'), { recursive: true });
  for (const f of examples) copyFileSync(join(root, 'examples', f), join(out, 'examples', f));
  writeFileSync(join(out, 'examples', 'index.json'), JSON.stringify(examples) + '\n');
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
  await buildBrowser({ quiet, sourcemap });
  if (types) buildTypes();
  if (!quiet) console.log(`built dist/${types ? ' with types' : ''} in ${Date.now() - started} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const packing = ['pack', 'publish'].includes(process.env.npm_command ?? '');
  if (packing && process.env.npm_lifecycle_event === 'prepare') console.log('dist/ was built by prepack');
  else if (process.argv.includes('--package')) await buildAll({ types: true, sourcemap: false });
  else await buildAll({ types: process.argv.includes('--types') });
}
