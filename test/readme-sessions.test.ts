// The README's terminal sessions (`$ npx bpftime-vm ...` followed by what it prints) are run and must print exactly
// what the README shows, so figures such as the byte count of `compile` cannot drift from the commands (issue 11).
// They run in a scratch directory whose examples/ holds the committed files and the objects built from source.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, CONFORMANCE_DIR, conformanceAvailable, ROOT } from './helpers.js';
import { buildExamples, CLANG_SKIP, HAS_CLANG, scratch } from './toolchain.js';

interface Session {
  command: string;
  output: string;
}

/** sessions reads every `$ command` line of the README's sh blocks with the lines printed after it. */
function sessions(markdown: string): Session[] {
  const out: Session[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const part of block[1].split(/^(?=\$ )/m)) {
      if (!part.startsWith('$ ')) continue;
      const [command, ...lines] = part.slice(2).split('\n');
      out.push({ command, output: lines.join('\n') });
    }
  }
  return out;
}

/** workdir makes examples/ with the committed files, plus the objects built from source when clang is there. */
function workdir(): string {
  const dir = join(scratch(), 'readme');
  if (existsSync(dir)) return dir;
  mkdirSync(join(dir, 'examples'), { recursive: true });
  const built = HAS_CLANG ? buildExamples() : undefined;
  const files = new Map(readdirSync(join(ROOT, 'examples')).map((f) => [f, join(ROOT, 'examples', f)]));
  if (built) for (const f of readdirSync(built)) files.set(f, join(built, f));
  for (const [name, path] of files) symlinkSync(path, join(dir, 'examples', name));
  return dir;
}

const all = sessions(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const needsClang = (s: Session) => /examples\/(events|tailcall|core)\.bpf\.o/.test(s.command);
const needsConformance = (s: Session) => s.command.includes('../shared/conformance');

describe('README sessions', () => {
  it('are found', () => {
    expect(all.length).toBeGreaterThanOrEqual(7);
    expect(all.every((s) => s.command.startsWith('npx bpftime-vm '))).toBe(true);
  });

  for (const s of all) {
    const skip = needsClang(s) && !HAS_CLANG ? CLANG_SKIP : needsConformance(s) && !conformanceAvailable() ? ' (skipped: no bpf_conformance suite)' : '';
    it.skipIf(skip !== '')(`\`${s.command}\` prints what README shows${skip}`, () => {
      const command = s.command.replace(/^npx bpftime-vm/, `"${process.execPath}" "${CLI}"`).replace('../shared/conformance/bpf_conformance', CONFORMANCE_DIR);
      const r = spawnSync('sh', ['-c', `${command} 2>&1`], { cwd: workdir(), encoding: 'utf8' });
      expect(r.stdout).toBe(s.output);
    });
  }
});
