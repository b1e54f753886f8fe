// The package.json that `npm pack` and `npm publish` put in the tarball: without the `scripts` of development.
// npm 11 warns at install about every dependency whose manifest has install-time lifecycle scripts not allowed by the
// project (`allowScripts`), and ours has `prepare` (the build of a checkout, which a tarball shipping dist/ but not
// scripts/ could not even run). So prepack strips `scripts` after building, keeping the original beside it, and
// postpack puts the original back, as pinst does for husky's postinstall.
//
// Usage: node scripts/pack-manifest.mjs strip|restore
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = join(root, 'package.json');
const kept = join(root, '.package.json.prepack');

const mode = process.argv[2];
if (mode === 'strip') {
  // A pack that failed before postpack left the original here: it, not the stripped file, is the original.
  if (!existsSync(kept)) renameSync(manifest, kept);
  const { scripts: _scripts, ...packed } = JSON.parse(readFileSync(kept, 'utf8'));
  writeFileSync(manifest, JSON.stringify(packed, null, 2) + '\n');
} else if (mode === 'restore') {
  if (existsSync(kept)) renameSync(kept, manifest);
} else {
  console.error('usage: node scripts/pack-manifest.mjs strip|restore');
  process.exit(2);
}
