// The examples, compiled from source with clang (the toolchain path users take), load, run and produce their
// expected output through the CLI; the committed counter.bpf.o (README quick start) runs without clang.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { buildExamples, CLANG_SKIP, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';

const runJson = (args: string[]) => {
  const r = cli([...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe('committed example object', () => {
  it('examples/counter.bpf.o runs without clang (README quick start)', () => {
    const j = runJson(['run', 'examples/counter.bpf.o', '--args', '3,4']);
    expect(j).toMatchObject({ program: 'count_add', type: 'uprobe', r0: '0x46', trace_printk: ['add(3, 4): call 1'] });
  });
});

describe.skipIf(!HAS_CLANG)(`examples compiled from source${CLANG_SKIP}`, () => {
  const obj = (name: string) => join(buildExamples(), `${name}.bpf.o`);

  it('counter: hash, array and per-CPU maps, global variables, a subprogram and bpf_printk', () => {
    const j = runJson(['run', obj('counter'), '--args', '3,100', '--repeat', '3', '--host', 'ncpus=2,cpu=1']);
    expect(j.r0).toBe('0x406');
    expect(j.trace_printk).toEqual(['add(3, 100): call 1', 'add(3, 100): call 2', 'add(3, 100): call 3']);
    expect(j.maps.calls).toEqual([{ key: 3, value: 3 }]);
    expect(j.maps.histogram[6]).toEqual({ key: 6, value: 3 });
    expect(j.maps.sum).toEqual([{ key: 0, value: [0, 309] }]);
    expect(j.maps['.data']).toEqual({ last_a: 3 });
    expect(j.maps['.bss']).toEqual({ invocations: 3 });
    expect(j.maps['.rodata']).toMatchObject({ scale: 10 });
  });

  it('events: a syscall tracepoint with bpf_loop, ring buffer and perf buffer records decoded with BTF', () => {
    const j = runJson(['run', obj('events'), '--args', '1,2,3,4', '--syscall', '257', '--host', 'pid=77,tgid=76,comm=curl']);
    const event = { pid: 76, tid: 77, syscall: 257, args_sum: 10, comm: 'curl' };
    expect(j.r0).toBe('0x0');
    expect(j.records).toEqual([
      { map: 'events', value: event, size: 40 },
      { map: 'perf_events', cpu: 0, value: event, size: 40 },
    ]);
  });

  it('events: --record-type names an output map of the object and a struct of its BTF', () => {
    const run = (type: string) => cli(['run', obj('events'), '--args', '1,2,3,4', '--syscall', '257', '--record-type', type, '--json']);
    expect(run('nosuch=event')).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('--record-type: no ring or perf buffer map \\"nosuch\\" in the object (its output maps: events, perf_events)') });
    expect(run('events=nosuch')).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining(`--record-type: no struct \\"nosuch\\" in the object's BTF`) });
    expect(JSON.parse(run('events=struct event').stdout).records[0]).toEqual({ map: 'events', value: { pid: expect.any(Number), tid: expect.any(Number), syscall: 257, args_sum: 10, comm: expect.any(String) }, size: 40 });
  });

  it('tailcall: a program array initialised in the object dispatches by packet byte', () => {
    const run = (byte: string) => runJson(['run', obj('tailcall'), '--prog', 'dispatch', '--mem', byte]).r0;
    expect([run('06'), run('11'), run('07')]).toEqual(['0x258', '0x6a4', '0x2']);
    expect(cli(['run', obj('tailcall')]).stderr).toContain('choose one with --prog NAME: handle_tcp, handle_udp, dispatch');
  });

  it.skipIf(!HAS_KERNEL)(`core: CO-RE against the running kernel's BTF reads the stand-in task${KERNEL_SKIP}`, () => {
    const j = runJson(['run', obj('core'), '--host', 'pid=4242,comm=tester']);
    expect(j.r0).toBe('0x1092');
    expect(j.maps['.bss']).toEqual({ comm: 'tester' });
  });

  it('prog show and map show describe the objects', () => {
    const progs = runJson(['prog', 'show', obj('counter')]);
    expect(progs[0]).toMatchObject({ name: 'count_add', type: 'uprobe', attach: { binary: './target', func: 'add', attachable: true }, subprograms: ['log2_bucket'] });
    const maps = runJson(['map', 'show', obj('tailcall')]);
    expect(maps).toEqual([expect.objectContaining({ name: 'handlers', type: 'prog_array', key_size: 4, value_size: 4, max_entries: 32, initial_entries: 2 })]);
    const dump = cli(['prog', 'dump', obj('counter')]).stdout;
    expect(dump).toContain('; int BPF_KPROBE(count_add, int a, int b)');
    expect(dump).toMatch(/lddw %r1, map_idx 0 {2}# map calls/);
  });

  it('stops a program that never ends at the instruction budget, naming budget and pc', () => {
    const r = cli(['run', obj('counter'), '--args', '1,2', '--budget', '20']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bpftime-vm: error: program "count_add": pc \d+: .*: instruction budget of 20 exhausted\n/);
  });
});
