// Programs that fault inside a live process (test/fixtures/live/faults.bpf.c): a wild pointer and an exhausted
// instruction budget disable their program with the reason, the pc and the process, reported as an agent error line;
// eBPF's defined divisions (by zero, INT64_MIN / -1) are no fault at all; the target computes every result right.
// The programs load with --verify off: the verifier refuses `bad` (test/native-verify.test.ts shows a refusal), and
// proves that `budget`'s loop ends, which would compile it without the budget this test exhausts. Unverified
// programs are what the runtime's own checks are for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { buildTarget, endOf, entries, runCli, targetOutput } from './native-live-support.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const FIXTURES = join(ROOT, 'test/fixtures/live');
const N = 3000;
const sum = (f: (i: number) => number) => Array.from({ length: N }, (_, i) => f(i)).reduce((a, b) => a + b, 0);

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`faulting programs in a live process${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  let target = '';
  let faults = '';
  beforeAll(() => {
    target = buildTarget('live-target', readFileSync(join(FIXTURES, 'target.c'), 'utf8'), ['-lpthread']);
    faults = compileC('faults', readFileSync(join(FIXTURES, 'faults.bpf.c'), 'utf8'));
  });

  it('a bad pointer and a spent budget disable their program; divisions are defined; the target goes on', () => {
    const r = runCli(['trace', '--json', '--verify', 'off', faults, '--', target, 'faults', String(N)]);
    expect(r.code, r.stderr).toBe(0);
    expect(targetOutput(r)[0]).toEqual({ bad_ptr: sum((i) => i + 1), divide: sum((i) => i - 3), spin: sum((i) => 2 * i) });
    const end = endOf(r);
    const prog = (name: string) => end.programs.find((p: any) => p.name === name);
    expect(prog('bad')).toMatchObject({ enabled: false, fault: { kind: 'memory', pid: end.pid } });
    expect(prog('bad').fault.message).toMatch(/^read of 8 bytes at 0x7f0000000000 is outside every memory region/);
    expect(prog('budget')).toMatchObject({ enabled: false, fault: { kind: 'budget', pid: end.pid } });
    expect(prog('budget').fault.message).toMatch(/instruction budget of 1000000 exhausted/);
    expect(prog('divide')).toMatchObject({ enabled: true, fault: null });
    const min = '-9223372036854775808';
    const results = entries(end, 'results');
    expect(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, String(v)]))).toEqual({
      0: '0', 1: String(N - 1), 2: min, 3: '0', 4: '0', 5: String(N - 1), 6: '0', 7: '-7',
    });
    // The faulting run counts as a hit; later calls find the program disabled (missed).
    const att = (name: string) => end.attachments.find((a: any) => a.program === name);
    expect([att('bad').hits, att('bad').missed]).toEqual([1, N - 1]);
    expect([att('budget').hits, att('budget').missed]).toEqual([1, N - 1]);
    expect([att('divide').hits, att('divide').missed]).toEqual([N, 0]);
    const errors = r.json.filter((l) => l.event === 'agent' && l.level === 'error').map((l) => l.text);
    expect(errors).toContainEqual(expect.stringMatching(/^program "bad" disabled: pc \d+: read of 8 bytes at 0x7f0000000000/));
    expect(errors).toContainEqual(expect.stringMatching(/^program "budget" disabled: pc \d+: instruction budget/));
  });
});
