// `npm run bench -- <suite> [--json] [--quick] [--write]`: bundles the benchmark with the production build options and runs it.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', 'out');
const SUITES = ['interp', 'suite', 'compile', 'native', 'startup', 'hooks', 'calls', 'tiers', 'verify', 'verify-suite'];
const [suite = 'interp', ...rest] = process.argv.slice(2);
if (!SUITES.includes(suite)) {
  console.error(`bench: unknown suite "${suite}", expected one of: ${SUITES.join(', ')}`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const common = { absWorkingDir: root, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'error', external: ['@resvg/resvg-js'] };
// The suite itself is built like dist/ (literal case labels); the `var`-label variant is the library bundled plainly.
await build({ ...common, entryPoints: [`bench/${suite}.ts`], outfile: join(out, `${suite}.mjs`), minifySyntax: true });
await build({ ...common, entryPoints: ['bench/entry-interp.ts'], outfile: join(out, 'lib-var.mjs') });
const varLib = await import(pathToFileURL(join(out, 'lib-var.mjs')).href);
const { main } = await import(pathToFileURL(join(out, `${suite}.mjs`)).href);
await main(rest, varLib, root);
