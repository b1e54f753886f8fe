/**
 * `npm run bench -- startup [--json] [--quick]`: how long the installed commands take to start, as a user pays it.
 * The checkout is packed and installed offline into an empty project (test/package-support.ts, as the package test
 * does), then each command is run as a new process: `./node_modules/.bin/bpftime-vm --help`, a `run` of
 * counter.bpf.o on the interpreter, `npx bpftime-vm --help`, and for reference `node` on an empty ES module (the floor
 * no script can go below). Per round every command runs after a warm-up of the file cache, one after the other, the
 * order alternating between rounds; a figure is the median of 3 round medians of wall time (spawn to exit). On a
 * shared machine wall time moves with the load, so the CPU time the children used (user + system, from
 * /proc/self/stat's cutime and cstime, averaged over a round) is reported beside it.
 *
 * Node 20 reads the file named by NODE_EXTRA_CA_CERTS when it starts, whether or not the program uses TLS; where the
 * environment sets it, every command is measured with it and without it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyCheckout, installProject, npmEnv, packCheckout } from '../test/package-support.js';

interface Case {
  name: string;
  cmd: string;
  args: string[];
  /** Runs per round (npx is slow). */
  runs: number;
}

interface Row {
  name: string;
  env: string;
  medianMs: number;
  bestMs: number;
  rounds: number[];
  /** Median over rounds of the children's CPU time per run (user + system), when /proc is there. */
  cpuMs?: number;
}

/** childrenCpuMs reads the CPU time of this process's waited-for children (Linux), in ms; undefined elsewhere. */
function childrenCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    // After the command name: state is field 3, cutime and cstime are fields 16 and 17 (in clock ticks, 100 Hz).
    return (Number(fields[16 - 3]) + Number(fields[17 - 3])) * 10;
  } catch {
    return undefined;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function timeOnce(c: Case, cwd: string, env: NodeJS.ProcessEnv): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed with exit code ${r.status}: ${r.stderr}`);
  return ms;
}

export async function main(argv: string[], _varLib: unknown, root: string): Promise<void> {
  const unknown = argv.filter((a) => !['--json', '--quick'].includes(a));
  if (unknown.length) {
    process.stderr.write(`bench startup: unknown option ${unknown.join(' ')}; options: --json --quick\n`);
    process.exit(2);
  }
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const tmp = mkdtempSync(join(tmpdir(), 'bpftime-vm-bench-startup-'));
  try {
    const checkout = join(tmp, 'checkout');
    const project = join(tmp, 'project');
    copyCheckout(root, checkout);
    const { tarball } = packCheckout(checkout, tmp);
    installProject(root, project, tarball, []);
    copyFileSync(join(root, 'examples', 'counter.bpf.o'), join(project, 'counter.bpf.o'));
    writeFileSync(join(project, 'empty.mjs'), '');
    const bin = join(project, 'node_modules', '.bin', 'bpftime-vm');
    const runs = quick ? 3 : 15;
    const cases: Case[] = [
      { name: 'node empty.mjs (floor)', cmd: process.execPath, args: ['empty.mjs'], runs },
      { name: './node_modules/.bin/bpftime-vm --help', cmd: bin, args: ['--help'], runs },
      { name: './node_modules/.bin/bpftime-vm run counter.bpf.o --args 3,4', cmd: bin, args: ['run', 'counter.bpf.o', '--args', '3,4'], runs },
      { name: 'npx bpftime-vm --help', cmd: 'npx', args: ['--offline', 'bpftime-vm', '--help'], runs: quick ? 2 : 5 },
    ];
    const base = npmEnv();
    const envs: [string, NodeJS.ProcessEnv][] = [['as set', base]];
    if (base.NODE_EXTRA_CA_CERTS) {
      const { NODE_EXTRA_CA_CERTS: _, ...without } = base;
      envs.push(['without NODE_EXTRA_CA_CERTS', without]);
    }
    const rounds = new Map<string, number[]>();
    const best = new Map<string, number>();
    const cpu = new Map<string, number[]>();
    for (let round = 0; round < 3; round++) {
      const order = round % 2 ? [...cases].reverse() : cases;
      for (const [envName, env] of envs) {
        for (const c of order) {
          timeOnce(c, project, env); // file cache and npx's lookups warm
          const cpu0 = childrenCpuMs();
          const times = Array.from({ length: c.runs }, () => timeOnce(c, project, env));
          const cpu1 = childrenCpuMs();
          const key = `${c.name}\0${envName}`;
          rounds.set(key, [...(rounds.get(key) ?? []), median(times)]);
          best.set(key, Math.min(best.get(key) ?? Infinity, ...times));
          if (cpu0 !== undefined && cpu1 !== undefined) cpu.set(key, [...(cpu.get(key) ?? []), (cpu1 - cpu0) / c.runs]);
        }
      }
    }
    const rows: Row[] = envs.flatMap(([envName]) =>
      cases.map((c) => {
        const key = `${c.name}\0${envName}`;
        const cpuMs = cpu.has(key) ? median(cpu.get(key)!) : undefined;
        return { name: c.name, env: envName, medianMs: median(rounds.get(key)!), bestMs: best.get(key)!, rounds: rounds.get(key)!, ...(cpuMs !== undefined ? { cpuMs } : {}) };
      }),
    );
    if (json) {
      process.stdout.write(JSON.stringify({ command: ['npm run bench -- startup', ...argv].join(' '), node: process.version, rows }, null, 2) + '\n');
      return;
    }
    const cell = (r: Row) => `${r.medianMs.toFixed(1)} (${r.bestMs.toFixed(1)}) | ${r.cpuMs !== undefined ? r.cpuMs.toFixed(1) : 'n/a'}`;
    const out = [
      `Node ${process.version}; wall: median of 3 round medians (${runs} runs per round, npx ${cases[3].runs}), best run in parentheses; cpu: children's user + system per run.`,
      '',
      `| command | ${envs.map(([e]) => `wall, ${e} (ms) | cpu, ${e} (ms)`).join(' | ')} |`,
      `|---|${envs.map(() => '---:|---:').join('|')}|`,
      ...cases.map((c) => `| \`${c.name}\` | ${envs.map(([e]) => cell(rows.find((r) => r.name === c.name && r.env === e)!)).join(' | ')} |`),
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
