// `bpftime-vm verify` defers V8's optimising compiler (src/cli/tiering.ts): a short verification runs without
// TurboFan, a long one turns it back on after OPTIMISE_AFTER instructions processed, BPFTIME_VM_DEFER_OPT=0 keeps V8's
// defaults, and none of it changes what the command prints.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../bench/compile.js';
import { OPTIMISE_AFTER } from '../src/cli/tiering.js';
import { CLI } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bpftime-tiering-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SHORT = join(dir, 'short.asm');
writeFileSync(SHORT, generate(1000));
const LONG = join(dir, 'long.asm');
writeFileSync(LONG, generate(10000));

function verify(file: string, env: Record<string, string> = {}, nodeArgs: string[] = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, CLI, 'verify', '--json', file], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** optimised counts the functions V8 reports it finished optimising (node --trace-opt, on stdout). */
const optimised = (stdout: string): number => stdout.split('\n').filter((l) => l.startsWith('[completed optimizing')).length;
const timeless = (text: string) => text.replace(/"ms":[0-9.e-]+/g, '"ms":0');
const processed = (stdout: string): number => JSON.parse(stdout).programs[0].stats.insnsProcessed;

describe('verify: deferred optimisation', () => {
  it('verifies a short program without TurboFan, which V8 otherwise runs', () => {
    const short = verify(SHORT);
    expect(short.code).toBe(0);
    expect(processed(short.stdout)).toBeLessThan(OPTIMISE_AFTER);
    expect(optimised(verify(SHORT, {}, ['--trace-opt']).stdout)).toBe(0);
    expect(optimised(verify(SHORT, { BPFTIME_VM_DEFER_OPT: '0' }, ['--trace-opt']).stdout)).toBeGreaterThan(0);
  });

  it('turns TurboFan back on for a verification that runs long', () => {
    const long = verify(LONG);
    expect(long.code).toBe(0);
    expect(processed(long.stdout)).toBeGreaterThan(OPTIMISE_AFTER);
    expect(optimised(verify(LONG, {}, ['--trace-opt']).stdout)).toBeGreaterThan(0);
  });

  it('prints the same verdict and statistics either way', () => {
    for (const file of [SHORT, LONG]) expect(timeless(verify(file).stdout)).toBe(timeless(verify(file, { BPFTIME_VM_DEFER_OPT: '0' }).stdout));
  });
});
