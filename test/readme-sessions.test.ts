// The README's terminal sessions (`$ npx bpftime-vm ...` followed by what it prints) are run and must print exactly
// what the README shows, so figures such as the byte count of `compile` cannot drift from the commands (issue 11).
// They run in a scratch directory whose examples/ holds the committed files and the objects built from source.
// `trace` sessions run live processes (native layer): their pids vary and hash maps list in another order on each run,
// so pids are masked and lines compared as sets; counts, hits and sizes still have to match. The multi-terminal block
// (a session `load` holds until Ctrl-C) cannot run as one script: test/native-live.test.ts covers those commands.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, CONFORMANCE_DIR, conformanceAvailable, ROOT } from './helpers.js';
import { buildExamples, CLANG_SKIP, HAS_CLANG, HAS_LIBBPF_TOOLS, HAS_NATIVE, LIBBPF_TOOLS_SKIP, NATIVE_SKIP, scratch } from './toolchain.js';

interface Session {
  command: string;
  output: string;
  /** held is true in a block with `load`, which holds its session until Ctrl-C. */
  held: boolean;
}

/** sessions reads every `$ command` line of the README's sh blocks with the lines printed after it. */
function sessions(markdown: string): Session[] {
  const out: Session[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const held = /^\$ npx bpftime-vm load /m.test(block[1]);
    for (const part of block[1].split(/^(?=\$ )/m)) {
      if (!part.startsWith('$ ')) continue;
      const [command, ...lines] = part.slice(2).split('\n');
      out.push({ command, output: lines.join('\n'), held });
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

const found = sessions(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const all = found.filter((s) => !s.held);
const live = (s: Session) => /^npx bpftime-vm trace /.test(s.command);
/** masked hides what differs from run to run in live output (pids) and orders lines, as hash maps list in any order. */
const masked = (text: string) => text.replace(/\bpid \d+/g, 'pid N').replace(/"pid":\d+,"tid":\d+/g, '"pid":N,"tid":N').split('\n').sort();
const needsClang = (s: Session) => /examples\/(?!counter\.bpf\.o)[\w-]+\.bpf\.o/.test(s.command); // only counter.bpf.o is committed
const needsTools = (s: Session) => s.command.includes('/usr/sbin/');
const needsConformance = (s: Session) => s.command.includes('../shared/conformance');

describe('README sessions', () => {
  it('are found', () => {
    expect(all.length).toBeGreaterThanOrEqual(9);
    expect(all.every((s) => s.command.startsWith('npx bpftime-vm '))).toBe(true);
    expect(found.filter((s) => s.held).map((s) => s.command.replace(/ +#.*/, '').split(' ').find((w, k, ws) => ws[k - 1] === 'bpftime-vm'))).toEqual(['load', 'start', 'attach', 'status', 'detach']);
  });

  for (const s of all) {
    const skip =
      (needsClang(s) || live(s)) && !HAS_CLANG ? CLANG_SKIP
      : live(s) && !HAS_NATIVE ? NATIVE_SKIP
      : needsTools(s) && !HAS_LIBBPF_TOOLS ? LIBBPF_TOOLS_SKIP
      : needsConformance(s) && !conformanceAvailable() ? ' (skipped: no bpf_conformance suite)'
      : '';
    it.skipIf(skip !== '')(`\`${s.command}\` prints what README shows${skip}`, () => {
      const command = s.command.replace(/^npx bpftime-vm/, `"${process.execPath}" "${CLI}"`).replace('../shared/conformance/bpf_conformance', CONFORMANCE_DIR);
      const r = spawnSync('sh', ['-c', `${command} 2>&1`], { cwd: workdir(), encoding: 'utf8', timeout: 60_000 });
      if (live(s)) expect(masked(r.stdout)).toEqual(masked(s.output));
      else expect(r.stdout).toBe(s.output);
    });
  }
});
