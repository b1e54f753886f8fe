// Bundles the CLI and the conformance plugin with esbuild so that `bpftime-vm --help` starts fast
// (one file to load, no TypeScript at run time). Run by `npm ci` (prepare) and by the test setup.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildAll({ quiet = false } = {}) {
  const started = Date.now();
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { cli: 'src/cli/main.ts', plugin: 'conformance/plugin.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    // Inlines the interpreter's op constants into literal case labels. Bundling alone turns them into `var`s, and a
    // switch on `var` labels measured 3x slower (bench/RESULTS.md, "dispatch").
    minifySyntax: true,
    logLevel: quiet ? 'error' : 'warning',
  });
  if (!quiet) console.log(`built dist/ in ${Date.now() - started} ms`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAll();
}
