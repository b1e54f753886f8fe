// The playground's logic without a page (src/playground/session.ts): opening an object, runs that keep map state per
// backend, traced runs replayed into whole register files, and errors as the page shows them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadError, UsageError } from '../src/errors.js';
import { openObject, Session, showError, type RunForm } from '../src/playground/session.js';
import { ROOT } from './helpers.js';

const counter = () => openObject('counter.bpf.o', readFileSync(join(ROOT, 'examples', 'counter.bpf.o')));
const form = (over: Partial<RunForm> = {}): RunForm => ({ program: 'count_add', backend: 'interp', args: '3,4', ret: '', syscall: '', ctx: '', data: '', host: '', budget: '', ...over });

describe('playground session', () => {
  it('opens an object into the views of prog show, map show, prog dump and its BTF types', () => {
    const obj = counter();
    expect(obj.programs.map((p) => [p.name, p.type])).toEqual([['count_add', 'uprobe']]);
    expect(obj.maps.map((m) => m.name)).toEqual(['calls', 'histogram', 'sum', '.data', '.rodata', '.bss']);
    expect(obj.btfTypes.some((t) => t.c.startsWith('struct pt_regs {'))).toBe(true);
    expect(obj.listings.get('count_add')!.some((r) => r.kind === 'source' && r.text.includes('bpf_map_lookup_elem(&calls, &key)'))).toBe(true);
    expect(() => openObject('x.o', new Uint8Array([1, 2, 3]))).toThrow(LoadError);
  });

  it('keeps map contents from run to run on a backend until reset, and reports output', async () => {
    const s = new Session(counter());
    await s.run(form());
    const r = await s.run(form({ backend: 'wasm-fast', args: '3, 9' }));
    expect(r).toMatchObject({ backend: 'wasm-fast', r0: 120n, printk: ['add(3, 9): call 1'] });
    const again = await s.run(form({ args: '3,1' }));
    expect(again.printk).toEqual(['add(3, 1): call 2']);
    expect(again.maps.find((m) => m.name === 'calls')!.entries).toEqual([{ key: 3, value: 2 }]);
    s.reset();
    expect((await s.run(form())).printk).toEqual(['add(3, 4): call 1']);
  });

  it('replays a traced run into whole register files that end with r0', async () => {
    const r = await new Session(counter()).run(form({ backend: 'wasm-opt' }), true);
    expect(r.backend).toBe('interp');
    expect(r.trace!.length).toBe(r.steps);
    expect(r.entry![1]).toBeGreaterThan(0n); // the context
    expect(r.trace![1]).toMatchObject({ pc: 1, insn: 'ldxdw %r7, [%r1+112]', changed: [7] });
    expect(r.trace![1].regs[7]).toBe(3n);
    expect(r.trace![2].store).toMatchObject({ size: 4, value: 3n });
    expect(r.trace!.at(-1)!.regs[0]).toBe(r.r0);
  });

  it('parses the form as the CLI parses its options, with host facts from the embedder', async () => {
    const s = new Session(counter());
    await expect(s.run(form({ args: '1,,2' }))).rejects.toThrow(/args: empty value in "1,,2"/);
    await expect(s.run(form({ args: '0x1' + '0'.repeat(16) }))).rejects.toThrow(/does not fit in 64 bits/);
    await expect(s.run(form({ host: 'planet=mars' }))).rejects.toThrow(UsageError);
    await expect(s.run(form({ data: 'zz' }))).rejects.toThrow(/packet: "zz" is not hex/);
    const e = await s.run(form({ budget: '5' })).catch((x: unknown) => x);
    expect(showError('run', e)).toMatchObject({ title: 'run: ExecError (budget)', where: expect.arrayContaining(['pc 5', 'program count_add']) });
  });
});
