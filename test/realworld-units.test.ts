// The pieces behind real-world objects, one at a time: globals typed by BTF, program types by name, context layouts
// against the kernel's own BTF, PROBE_MEM loads on every backend, and the events file format.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { assemble } from '../src/isa/index.js';
import { parseBtf } from '../src/loader/btf/parse.js';
import { BtfKind } from '../src/loader/btf/types.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { BPF_CGROUP_DEV_CTX, BPF_SOCK, BPF_SOCK_ADDR, BPF_SOCK_OPS, BPF_SYSCTL, type ContextLayout } from '../src/loader/contexts.js';
import { parseSection, sectionForType } from '../src/loader/sections.js';
import { parseTracefsFormat } from '../src/loader/trace-contexts.js';
import { parseEvents } from '../src/runtime/events.js';
import { Collection } from '../src/runtime/collection.js';
import { compileOn, runOn } from '../src/runtime/jit-backend.js';
import { Interpreter } from '../src/vm/index.js';
import { cli, thrownAs } from './helpers.js';
import { CLANG_SKIP, compileC, HAS_CLANG } from './toolchain.js';

const GLOBALS = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
enum mode { MODE_OFF, MODE_ON = 7 };
const volatile enum mode mode = MODE_OFF;
const volatile char name[8] = {};
const volatile int pids[4] = {};
const volatile short small = -1;
const volatile _Bool flag = 0;
__u64 counter;
int other = 3;
SEC("uprobe") int read_all(void *ctx) { return mode + name[0] + pids[3] + small + flag + counter + other; }
char _license[] SEC("license") = "GPL";`;

describe.skipIf(!HAS_CLANG)(`globals set before load, typed by BTF${CLANG_SKIP}`, () => {
  let built: Uint8Array | undefined;
  const object = () => (built ??= new Uint8Array(readFileSync(compileC('globals', GLOBALS))));
  const rodata = (globals: Record<string, string | number | boolean | readonly number[]>) => {
    const spec = loadCollectionSpec(object(), { globals });
    return Buffer.from(spec.maps.find((m) => m.name === '.rodata')!.contents[0].value as Uint8Array);
  };

  it('integers, enums by name, char arrays from strings, int arrays from lists, bools', () => {
    const b = rodata({ mode: 'MODE_ON', name: 'curl', pids: '1,2,3', small: -5, flag: true });
    const spec = loadCollectionSpec(object());
    const ds = spec.btf!;
    const off = (n: string) => {
      const sec = ds.types.find((t) => t.kind === BtfKind.DATASEC && t.name === '.rodata') as { vars: { type: number; offset: number }[] };
      return sec.vars.find((v) => ds.type(v.type).name === n)!.offset;
    };
    expect(b.readUInt32LE(off('mode'))).toBe(7);
    expect(b.subarray(off('name'), off('name') + 8).toString('latin1')).toBe('curl\0\0\0\0');
    expect([0, 1, 2, 3].map((k) => b.readInt32LE(off('pids') + 4 * k))).toEqual([1, 2, 3, 0]);
    expect(b.readInt16LE(off('small'))).toBe(-5);
    expect(b[off('flag')]).toBe(1);
    expect(rodata({ pids: [9, 8] }).readInt32LE(off('pids') + 4)).toBe(8);
    expect(rodata({ mode: 7 }).readUInt32LE(off('mode'))).toBe(7);
  });

  it('.data and .bss too, and errors that name the variable, its type and why', () => {
    const spec = loadCollectionSpec(object(), { globals: { counter: '0x10', other: -1 } });
    expect((spec.maps.find((m) => m.name === '.bss')!.contents[0].value as Uint8Array)[0]).toBe(16);
    expect(Buffer.from(spec.maps.find((m) => m.name === '.data')!.contents[0].value as Uint8Array).readInt32LE(0)).toBe(-1);
    const fail = (globals: Record<string, string | number>) => thrownAs(UsageError, () => loadCollectionSpec(object(), { globals })).message;
    expect(fail({ small: 70000 })).toBe('configure: global small (const volatile short, .rodata): 70000 is out of range [-32768, 65535]');
    expect(fail({ name: 'much too long' })).toBe('configure: global name (const volatile char[8], .rodata): string of 13 bytes does not fit in 8 bytes with its NUL');
    expect(fail({ mode: 'MODE_MAYBE' })).toMatch(/global mode \(const volatile enum mode, \.rodata\): "MODE_MAYBE" is not an enumerator of enum mode \(MODE_OFF, MODE_ON\) or an integer/);
    expect(fail({ nothing: 1 })).toMatch(/^configure: no global variable nothing in .rodata, .data, .bss or .kconfig \(globals: /);
    expect(fail({ pids: '1,2,3,4,5' })).toMatch(/5 values for 4 elements/);
  });

  it('.kconfig externs too, over what the kernel configuration says', () => {
    const source = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
SEC("uprobe") int kv(void *ctx) { return CONFIG_BPF_SYSCALL ? LINUX_KERNEL_VERSION : 1; }
char _license[] SEC("license") = "GPL";`;
    const bytes = new Uint8Array(readFileSync(compileC('kconfig-set', source)));
    const run = (globals: Record<string, string>) => new Collection(loadCollectionSpec(bytes, { kernelVersion: 0x060000, globals })).program('kv').run().r0;
    expect(run({ CONFIG_BPF_SYSCALL: 'y' })).toBe(0x060000n);
    expect(run({ CONFIG_BPF_SYSCALL: 'y', LINUX_KERNEL_VERSION: '0x050f00' })).toBe(0x050f00n);
    expect(run({ CONFIG_BPF_SYSCALL: 'n' })).toBe(1n);
  });

  it('map sizes, refusing global data and zero', () => {
    const fail = (mapSizes: Record<string, number>) => thrownAs(UsageError, () => loadCollectionSpec(object(), { mapSizes })).message;
    expect(fail({ '.rodata': 4 })).toBe('configure: map ".rodata" holds global data; its size is the section\'s');
    expect(fail({ nomap: 4 })).toMatch(/no map "nomap" to size/);
  });
});

describe('program types by name (--type)', () => {
  it('kernel program type names and libbpf section names', () => {
    expect(sectionForType('xdp')).toMatchObject({ type: 'xdp' });
    expect(sectionForType('sched_cls')).toMatchObject({ type: 'sched_cls' });
    expect(sectionForType('socket_filter')).toMatchObject({ type: 'socket_filter' });
    expect(sectionForType('tp/syscalls/sys_enter_openat')).toMatchObject({ type: 'tracepoint', attach: { category: 'syscalls', name: 'sys_enter_openat' } });
    expect(sectionForType('fentry/do_unlinkat')).toMatchObject({ type: 'fentry', attach: { name: 'do_unlinkat' } });
    expect(sectionForType('ext')).toMatchObject({ type: 'freplace' });
    expect(sectionForType('tracing')).toBeUndefined();
    expect(sectionForType('xdp1')).toBeUndefined();
  });

  it("libbpf's cgroup and socket sections", () => {
    expect(['cgroup/connect4', 'cgroup/sock_create', 'cgroup/dev', 'cgroup/sysctl', 'cgroup/getsockopt', 'sockops', 'cgroup/skb'].map((s) => parseSection(s).type)).toEqual([
      'cgroup_sock_addr', 'cgroup_sock', 'cgroup_device', 'cgroup_sysctl', 'cgroup_sockopt', 'sock_ops', 'cgroup_skb',
    ]);
  });
});

let vmlinux: ReturnType<typeof parseBtf> | undefined;

describe.skipIf(!existsSync('/sys/kernel/btf/vmlinux'))('socket and cgroup contexts match the kernel\'s uapi structs (vmlinux BTF)', () => {
  it.each([BPF_SOCK_OPS, BPF_SOCK, BPF_SOCK_ADDR, BPF_CGROUP_DEV_CTX, BPF_SYSCTL].map((l) => [l.name, l] as [string, ContextLayout]))('%s', (_, layout) => {
    const btf = (vmlinux ??= parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'))));
    const id = btf.findByName(layout.name.replace('struct ', ''), BtfKind.STRUCT)[0];
    const flat = new Map<string, number>();
    const walk = (typeId: number, base: number) => {
      for (const m of btf.members(typeId)) {
        if (m.name === '') walk(m.type, base + m.bitOffset / 8);
        else if (!flat.has(m.name)) flat.set(m.name, base + m.bitOffset / 8);
      }
    };
    walk(id, 0);
    expect(layout.size).toBe(btf.sizeOf(id));
    for (const f of layout.fields) expect([f.name, f.offset]).toEqual([f.name, flat.get(f.name)]);
  });
});

describe('tracefs formats', () => {
  it('reads scalars, arrays and __data_loc fields; positional inputs are the integer fields', () => {
    const layout = parseTracefsFormat(`name: sched_switch
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:__data_loc char[] name;\toffset:28;\tsize:4;\tsigned:0;
\tfield:unsigned long flags;\toffset:32;\tsize:8;\tsigned:0;
`, 'sched/sched_switch')!;
    expect(layout.fields.map((f) => [f.name, f.offset, f.size, f.kind ?? 'int', f.length ?? 1])).toEqual([
      ['common_type', 0, 2, 'int', 1], ['common_pid', 4, 4, 'int', 1], ['prev_comm', 8, 1, 'array', 16], ['prev_pid', 24, 4, 'int', 1],
      ['name', 28, 4, 'data_loc', 1], ['flags', 32, 8, 'int', 1],
    ]);
    expect([layout.size, layout.inputs]).toEqual([40, ['prev_pid', 'flags']]);
  });
});

describe('PROBE_MEM loads read 0 from a bad address on every backend', () => {
  const program = assemble(`
    mov %r2, 0x1000
    ldxdw %r0, [%r2+8]
    ldxw %r3, [%r10-8]
    add %r0, 5
    exit`);
  it.each(['interp', 'fast', 'opt'] as const)('%s', async (tier) => {
    const vm = new Interpreter();
    const p = vm.load(program, 'probe', undefined, { probeMem: true });
    if (tier !== 'interp') {
      if (tier === 'opt') await (await import('../src/runtime/backends.js')).prepareBackend('wasm-opt');
      const { jit } = compileOn(vm, program, { tier, probeMem: true });
      expect(runOn(vm, p, jit, {}).r0).toBe(5n);
    } else expect(vm.run(p).r0).toBe(5n);
    // Without PROBE_MEM the same load faults.
    expect(() => vm.run(vm.load(program))).toThrow(/read of 8 bytes at 0x1008/);
  });
});

describe('events files', () => {
  it('skip comments and blank lines, name the line of a mistake', () => {
    expect(parseEvents('# a comment\n\n{"prog": "p", "args": [1]}\n// another\n{"program": "q"}').map((e) => [e.line, e.event.prog])).toEqual([[3, 'p'], [5, 'q']]);
    expect(() => parseEvents('{"prog": "p"}\n{"prog": "p", "argz": []}')).toThrow('line 2: unknown key "argz"');
    expect(() => parseEvents('{"prog": 3}')).toThrow('line 1: "prog" names the program to run');
    expect(() => parseEvents('{nope')).toThrow(/^line 1: not JSON/);
  });
});

describe.skipIf(!HAS_CLANG || !existsSync('/sys/kernel/btf/vmlinux'))(`kernel variables (__ksym)${CLANG_SKIP}`, () => {
  it('resolve as libbpf does, a weak missing one to 0; the resolved ones cannot run and prog show says so', () => {
    const object = compileC('ksym-vars', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern const void runqueues __ksym;
extern const void no_kernel_has_this __ksym __weak;
SEC("raw_tp") int missing(void *ctx) { return &no_kernel_has_this == 0; }
long where;
SEC("raw_tp") int present(void *ctx) { where = (long)&runqueues; return 0; }
char _license[] SEC("license") = "GPL";`);
    const show = JSON.parse(cli(['prog', 'show', object, '--json']).stdout) as { name: string; kernel_variables: string[]; unsupported_kernel_variables: string[] }[];
    expect(show.map((p) => [p.name, p.kernel_variables, p.unsupported_kernel_variables])).toEqual([
      ['missing', ['no_kernel_has_this'], []],
      ['present', ['runqueues'], ['runqueues']],
    ]);
    expect(cli(['run', object, '--prog', 'missing']).stdout).toContain('r0 = 0x1 (1)');
    expect(cli(['run', object, '--prog', 'present']).stderr).toContain('kernel variable runqueues: typed and typeless __ksym variables point into kernel memory');
  });
});
