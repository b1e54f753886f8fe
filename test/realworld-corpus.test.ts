// Our own corpus of tracing tools, written the way well-known tool collections write theirs (examples/opensnoop,
// execsnoop, stacks, kfunc, records), built with clang against this kernel's vmlinux.h and run offline with events: cgroup filters, .rodata filters set
// before load, a stack map sized at load, kfuncs guarded by bpf_ksym_exists, tracepoint records and BTF-typed
// arguments. Each checks the records the tool would print.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CgroupArrayMap } from '../src/helpers/maps/index.js';
import { parseBtf } from '../src/loader/btf/parse.js';
import { loadCollectionSpec, type LoadOptions } from '../src/loader/collection.js';
import { Collection, type CollectionOptions } from '../src/runtime/collection.js';
import { EventRunner, parseEvents, type Event } from '../src/runtime/events.js';
import { drainRecords } from '../src/runtime/inspect.js';
import { tracefsFormat } from '../src/runtime/host-linux.js';
import { cli } from './helpers.js';
import { buildTool, kernelRun } from './realworld-oracle.js';
import { CLANG_SKIP, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const HAS_BTF = existsSync(VMLINUX);
const SKIP = CLANG_SKIP || (HAS_BTF ? '' : ` (skipped: no ${VMLINUX})`);

let target: ReturnType<typeof parseBtf> | undefined;
const vmlinux = () => (target ??= parseBtf(new Uint8Array(readFileSync(VMLINUX))));

/** load builds a tool and makes a collection of it, configured as its user space would. */
function load(name: string, opts: LoadOptions = {}, collection: CollectionOptions = {}): Collection {
  const spec = loadCollectionSpec(new Uint8Array(readFileSync(buildTool(name))), { targetBtf: vmlinux, ...opts });
  return new Collection(spec, { targetBtf: vmlinux, ...collection });
}

/** play runs events (objects or JSON lines) and returns the records each produced. */
function play(c: Collection, events: Event[] | string) {
  const runner = new EventRunner(c);
  const list = typeof events === 'string' ? parseEvents(events).map((e) => e.event) : events;
  return list.map((e, k) => ({ out: runner.run(e, k + 1).output, records: drainRecords(c, c.spec.btf) }));
}

const OPENS: Event[] = [
  { prog: 'tracepoint__syscalls__sys_enter_openat', syscall: 257, args: [-100, { string: '/etc/passwd' }, 0], pid: 100, comm: 'cat', uid: 1000, time: 5000 },
  { prog: 'tracepoint__syscalls__sys_enter_openat', syscall: 257, args: [-100, { string: '/nonexistent' }, 64], pid: 200, comm: 'ls', uid: 0, dt: 100 },
  { prog: 'tracepoint__syscalls__sys_exit_openat', syscall: 257, ret: -2, pid: 200, comm: 'ls', uid: 0, dt: 100 },
  { prog: 'tracepoint__syscalls__sys_exit_openat', syscall: 257, ret: 3, pid: 100, comm: 'cat', uid: 1000, dt: 100 },
];

/** openEvent decodes opensnoop's struct event (its user space has the header; the object's BTF does not). */
function openEvent(hex: unknown) {
  const b = Buffer.from(String(hex).replace(/ /g, ''), 'hex');
  const str = (at: number, n: number) => b.subarray(at, at + n).toString('latin1').replace(/\0.*$/s, '');
  return { ts: Number(b.readBigUInt64LE(0)), pid: b.readInt32LE(8), uid: b.readUInt32LE(12), ret: b.readInt32LE(16), flags: b.readInt32LE(20), comm: str(24, 16), fname: str(40, 255) };
}

/** SCHED_PROCESS_EXEC_FORMAT is the tracefs format file of sched/sched_process_exec on Linux 6.x. */
const SCHED_PROCESS_EXEC_FORMAT = `name: sched_process_exec
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;
`;

const opens = (c: Collection, events = OPENS) => play(c, events).flatMap((r) => r.records.map((x) => openEvent(x.value)));

describe.skipIf(!HAS_CLANG || !HAS_BTF)(`real-world tracing tools run offline${SKIP}`, () => {
  it('opensnoop: enter/exit pairs through a hash map, one perf record per open, on every backend', () => {
    const want = [
      { ts: 5200, pid: 200, uid: 0, ret: -2, flags: 64, comm: 'ls', fname: '/nonexistent' },
      { ts: 5300, pid: 100, uid: 1000, ret: 3, flags: 0, comm: 'cat', fname: '/etc/passwd' },
    ];
    for (const backend of ['interp', 'wasm-fast']) expect(opens(load('opensnoop', {}, { backend })), backend).toEqual(want);
  });

  it('opensnoop: .rodata filters set before load (targ_failed, targ_uid, targ_pid)', () => {
    expect(opens(load('opensnoop', { globals: { targ_failed: 'true' } })).map((e) => e.fname)).toEqual(['/nonexistent']);
    expect(opens(load('opensnoop', { globals: { targ_uid: 1000 } })).map((e) => e.comm)).toEqual(['cat']);
    expect(opens(load('opensnoop', { globals: { targ_pid: '200' } })).map((e) => e.pid)).toEqual([200]);
    expect(() => load('opensnoop', { globals: { targ_failed: 'maybe' } })).toThrow(/global targ_failed \(const volatile bool, \.rodata\): "maybe" is not a bool/);
    expect(() => load('opensnoop', { globals: { targ_pid: 2 ** 32 } })).toThrow(/global targ_pid .* out of range/);
  });

  it('opensnoop: the cgroup filter passes the events of tasks under the cgroup in the cgroup array', () => {
    const c = load('opensnoop', { globals: { filter_cg: true } });
    (c.map('cgroup_map') as CgroupArrayMap).setCgroup(0, { id: 7000n });
    // The task of pid 100 is in cgroup 7000's subtree (root 1 -> 7000 -> 7001); pid 200's is elsewhere.
    const inside = { cgroup: ['1', '7000', '7001'] };
    const outside = { cgroup: ['1', '9000'] };
    const events = OPENS.map((e) => ({ ...e, ...(e.pid === 100 ? inside : outside) }));
    expect(opens(c, events).map((e) => e.comm)).toEqual(['cat']);
  });

  it('execsnoop: argv placed in user memory, copied at entry, completed at exit, sent through a ring buffer', () => {
    const c = load('execsnoop', { globals: { max_args: 2 } });
    const runs = play(c, [
      '{"prog": "tracepoint__syscalls__sys_enter_execve", "syscall": 59, "args": [{"string": "/bin/ls"}, {"argv": ["ls", "-l", "/tmp"]}, 0], "pid": 300, "comm": "bash"}',
      '{"prog": "tracepoint__syscalls__sys_exit_execve", "syscall": 59, "ret": 0, "pid": 300, "comm": "ls"}',
    ].join('\n'));
    expect(runs[0].records).toEqual([]);
    expect(runs[1].records.map((r) => r.value)).toEqual([{ pid: 300, retval: 0, args_count: 2, args_size: 64, comm: 'ls', args: ['ls', '-l', '', '', '', '', '', ''] }]);
    expect(c.map('execs').entries()).toEqual([]);
  });

  it('profile: a stack map left at max_entries 0 needs its size before load, which --map-size gives', () => {
    expect(() => load('stacks')).toThrow('map "stackmap": max_entries 0 is invalid for a stack_trace map: the object leaves its size to be set before load (--map-size stackmap=N, or the mapSizes load option)');
    const c = load('stacks', { mapSizes: { stackmap: 64 }, globals: { user_stacks_only: true } }, { host: { pid: 42, tgid: 42, comm: 'worker' } });
    expect(c.map('stackmap').spec.maxEntries).toBe(64);
    const p = c.program('do_sample');
    p.run({ funcIp: 0x401000n });
    p.run({ funcIp: 0x401000n });
    const counts = c.map('counts').entries();
    expect(counts).toHaveLength(1);
    expect(counts[0][1]).toEqual(new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('kfuncs: weak __ksym externs, bpf_ksym_exists guards, bpf_task_from_pid on tasks given as tp_btf arguments', () => {
    const c = load('kfunc');
    const runs = play(c, [{ prog: 'on_switch', args: [0, { task: { pid: 11, comm: 'idle' } }, { task: { pid: 12, tgid: 10, comm: 'worker' } }], pid: 11, comm: 'idle' }]);
    expect(runs[0].records.map((r) => r.value)).toEqual([{ prev_pid: 11, next_pid: 12, next_tgid: 10, used_kfunc: 1, next_comm: 'worker' }]);
    // The same task after an exec: its stand-in now has the new name, and a task given by pid alone is that one.
    const again = play(c, [{ prog: 'on_switch', args: [0, { task: 11 }, { task: { pid: 12, tgid: 10, comm: 'after-exec' } }, 0] }, { prog: 'on_switch', args: [0, { task: 12 }, { task: 11 }, 0] }]);
    expect(again.flatMap((r) => r.records.map((x) => (x.value as { next_comm: string }).next_comm))).toEqual(['after-exec', 'idle']);
    expect(c.map('.bss').lookup(new Uint8Array(4))!.subarray(0, 4)).toEqual(new Uint8Array(4));
    const ksyms = c.spec.programs[0].ksyms!;
    expect(ksyms.filter((k) => k.kind === 'call' && k.btfId === 0).map((k) => k.name)).toEqual(['bpf_kfunc_no_kernel_has']);
    // The default context follows the tracepoint's BTF prototype: three zero arguments, read through PROBE_MEM.
    expect(c.layoutOf(c.spec.programs[0]).fields.map((f) => f.name)).toEqual(['preempt', 'prev', 'next', 'prev_state']);
    expect(c.program('on_switch').run().r0).toBe(0n);
  });

  it('tracepoint records from tracefs or from the target BTF; fentry arguments from the BTF prototype', () => {
    const exec = (tracefs: CollectionOptions['tracefs']) => {
      const c = load('records', {}, { tracefs, host: { pid: 77 } });
      const runs = play(c, [{ prog: 'handle_exec', args: [4242, 4241], fields: { filename: '/usr/bin/true' } }]);
      const records = runs.flatMap((r) => r.records.map((x) => Buffer.from(String(x.value).replace(/ /g, ''), 'hex')));
      const decoded = records.map((b) => ({ pid: b.readInt32LE(0), old_pid: b.readInt32LE(4), filename: b.subarray(8).toString().replace(/\0.*$/s, '') }));
      return { records: decoded, source: c.layoutOf(c.spec.programs.find((p) => p.name === 'handle_exec')!).source };
    };
    const want = [{ pid: 4242, old_pid: 4241, filename: '/usr/bin/true' }];
    expect(exec(null)).toEqual({ records: want, source: 'btf' });
    // The format file of the running kernel when tracefs is mounted; the same layout written out otherwise.
    const format = tracefsFormat('sched', 'sched_process_exec') ?? SCHED_PROCESS_EXEC_FORMAT;
    expect(exec(() => format)).toEqual({ records: want, source: 'tracefs' });
    const c = load('records');
    expect(c.layoutOf(c.spec.programs.find((p) => p.name === 'handle_unlink')!).fields.map((f) => f.name)).toEqual(['dfd', 'name']);
    expect(c.program('handle_unlink').run({ args: [5n] }).r0).toBe(0n);
    expect(c.map('.data').lookup(new Uint8Array(4))!.subarray(0, 4)).toEqual(new Uint8Array([5, 0, 0, 0]));
    expect(() => c.program('handle_unlink').run({ args: [1n, 2n, 3n] })).toThrow(/takes 2 arguments, got 3/);
  });

  it('the command line: --events, --set, --map-size, --cgroup and prog show', () => {
    const object = buildTool('opensnoop');
    const events = `${buildTool('opensnoop')}.events`;
    writeFileSync(events, OPENS.map((e) => JSON.stringify(e)).join('\n'));
    const r = cli(['run', object, '--events', events, '--set', 'targ_failed=1', '--json']);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.events.map((e: { program: string; records: unknown[] }) => [e.program, e.records.length])).toEqual([
      ['tracepoint__syscalls__sys_enter_openat', 0],
      ['tracepoint__syscalls__sys_enter_openat', 0],
      ['tracepoint__syscalls__sys_exit_openat', 1],
      ['tracepoint__syscalls__sys_exit_openat', 0],
    ]);
    const cg = cli(['run', object, '--events', events, '--set', 'filter_cg=true', '--cgroup', 'cgroup_map=4242', '--json']);
    expect(JSON.parse(cg.stdout).events.flatMap((e: { records: unknown[] }) => e.records)).toEqual([]);
    const stacks = buildTool('stacks');
    expect(cli(['run', stacks]).stderr).toContain('--map-size stackmap=N');
    expect(cli(['run', stacks, '--map-size', 'stackmap=16']).code).toBe(0);
    const show = JSON.parse(cli(['prog', 'show', buildTool('kfunc'), '--json']).stdout);
    expect(show[0]).toMatchObject({ kfuncs: ['bpf_kfunc_no_kernel_has', 'bpf_rcu_read_lock', 'bpf_rcu_read_unlock', 'bpf_task_from_pid', 'bpf_task_release'], unsupported_kfuncs: [], unresolved_kfuncs: ['bpf_kfunc_no_kernel_has'] });
  });
});

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`task kfuncs agree with the kernel${KERNEL_SKIP || CLANG_SKIP}`, () => {
  it('weak __ksym externs, bpf_ksym_exists, bpf_task_from_pid and bpf_task_release', () => {
    const object = buildTool('task-kfuncs');
    // This test's process, a pid no task has, and its parent: the kernel's task names and /proc's agree.
    const pids = [process.pid, 0x3fffffff, process.ppid];
    const ctx = Buffer.alloc(12);
    pids.forEach((p, k) => ctx.writeInt32LE(p, 4 * k));
    const kernel = kernelRun(object, 'lookup', ['--ctx', ctx.toString('hex')]);
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)), { targetBtf: vmlinux });
    const c = new Collection(spec, { targetBtf: vmlinux, host: { pid: kernel.pid, tgid: kernel.tgid } });
    const r = c.program('lookup').run({ ctx });
    expect(Number(r.r0)).toBe(kernel.retval);
    expect(Buffer.from(c.map('.bss').lookup(new Uint8Array(4))!).toString('hex')).toBe(kernel.maps['.bss']);
  });
});
