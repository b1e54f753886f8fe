// The playground's verifier panel without a page (src/playground/verdict.ts): the verdict, statistics and facts of an
// accepted program, a located rejection with its register states, and the state log read back per instruction; and
// runs in the three verify modes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExecError, VerifierError } from '../src/errors.js';
import { openObject, Session, type RunForm } from '../src/playground/session.js';
import { verifyForPage } from '../src/playground/verdict.js';
import { parseVerifierLog, verifySpec } from '../src/verifier/index.js';
import { ROOT, uncheckedCounter } from './helpers.js';

const counter = () => openObject('counter.bpf.o', readFileSync(join(ROOT, 'examples', 'counter.bpf.o')));

describe('playground verifier panel', () => {
  it('an accepted program: verdict, statistics, facts, and the state after each instruction', () => {
    const v = verifyForPage(counter(), 'count_add');
    expect(v).toMatchObject({ program: 'count_add', verdict: 'accepted', facts: { terminates: true } });
    expect(v.facts!.inBounds).toBeGreaterThan(0);
    expect(v.stats!.insnsProcessed).toBeGreaterThan(0);
    expect(v.entries[0]).toMatchObject({ kind: 'path', pc: 0, from: 'entry' });
    expect(v.entries[0].kind === 'path' && v.entries[0].state).toMatch(/r1=ctx\(/);
    expect(v.entries[1]).toEqual({ kind: 'insn', pc: 0, insn: 'ldxdw %r6, [%r1+104]', state: expect.stringMatching(/r6=scalar/) });
    expect(v.reached).toBeGreaterThan(10);
    expect(v.reached).toBeLessThanOrEqual(v.slots);
  });

  it('a rejected program: the located error with the registers it names, and the log up to it', () => {
    const v = verifyForPage(openObject('unchecked.bpf.o', uncheckedCounter()), 'count_add');
    expect(v.verdict).toBe('rejected');
    expect(v.error!.location).toMatchObject({ pc: 13, program: 'count_add' });
    expect(v.error!.location.source).toContain('counter.bpf.c');
    expect(v.error!.regs.r0).toMatch(/^map_value_or_null\(map=calls/);
    expect(v.entries.filter((e) => e.kind === 'insn').at(-1)).toMatchObject({ pc: 13 });
    expect(v.entries.at(-1)).toMatchObject({ kind: 'note', text: expect.stringMatching(/^rejected: pc 13: /) });
  });

  it('reads every line of the log: one entry per line, the state lines joined to their instruction', () => {
    const obj = counter();
    const p = obj.spec.programs[0];
    const log = verifySpec(p, obj.spec.maps, { log: true }).log!;
    const entries = parseVerifierLog(log);
    const states = log.filter((l) => l.startsWith('    ')).length;
    expect(entries.length).toBe(log.length - states);
    expect(entries.filter((e) => e.kind === 'insn' && e.state !== undefined).length).toBe(states);
    // Every line is recognised: the only notes are located ones (paths parked at a merge point, a loop head explored
    // exactly after its widening could not prove the loop ends: count_add's loop checks a copy of its counter).
    expect(entries.some((e) => e.kind === 'note' && e.pc === undefined)).toBe(false);
    // counter's log2 loop is widened: those lines are entries of their own, not instructions.
    expect(entries.some((e) => e.kind === 'widened')).toBe(true);
    expect(entries.every((e) => e.kind !== 'insn' || !e.insn.startsWith('loop head'))).toBe(true);
  });

  it('reads the lines that are not instructions as what they are', () => {
    expect(parseVerifierLog(['3: loop head widened: r1=scalar()', '5: parked until the paths that may still reach it have arrived', 'rejected: pc 5: x'])).toEqual([
      { kind: 'widened', pc: 3, state: 'r1=scalar()' },
      { kind: 'note', pc: 5, text: 'parked until the paths that may still reach it have arrived' },
      { kind: 'note', text: 'rejected: pc 5: x' },
    ]);
    expect(parseVerifierLog(['loop at pc 7 may never end: r6 steps: exploring the loop at pc 7 exactly'])).toEqual([
      { kind: 'note', pc: 7, text: 'loop at pc 7 may never end: r6 steps: exploring the loop at pc 7 exactly' },
    ]);
  });
});

describe('playground runs and the verifier', () => {
  const form = (over: Partial<RunForm> = {}): RunForm => ({ program: 'count_add', backend: 'interp', args: '3,4', ret: '', syscall: '', ctx: '', data: '', host: '', budget: '', ...over });

  it('strict refuses a rejected program; warn runs it with every runtime check and says so', async () => {
    const s = new Session(openObject('unchecked.bpf.o', uncheckedCounter()));
    await expect(s.run(form())).rejects.toThrow(VerifierError);
    // The lookup of a key not in the map returns NULL, which the missing check lets through: the runtime faults.
    const e = await s.run(form({ verify: 'warn' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExecError);
    expect((e as ExecError).location.pc).toBe(13);
    const ok = await new Session(counter()).run(form({ verify: 'off' }));
    expect(ok).toMatchObject({ r0: 0x46n, unverified: 'the verifier is off' });
    expect((await new Session(counter()).run(form())).unverified).toBeUndefined();
  });
});
