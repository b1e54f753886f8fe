// Real tools nobody here wrote: Debian's libbpf-tools binaries embed each tool's BPF object (the libbpf skeleton
// holds the ELF bytes), which is exactly what the tool loads into the kernel. Every object must load, every program
// must run on a default context once its user space's settings are applied (map sizes), and two tools run offline
// from events the way they would see a shell open files and exec a command.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../src/loader/btf/parse.js';
import { loadCollectionSpec, type LoadedCollection } from '../src/loader/collection.js';
import { kernelVersionCode } from '../src/loader/data.js';
import { embeddedBpfObjects } from '../src/loader/elf.js';
import { MapType } from '../src/loader/spec.js';
import { VerifierError } from '../src/errors.js';
import { Collection } from '../src/runtime/collection.js';
import { EventRunner, type Event } from '../src/runtime/events.js';
import { drainRecords } from '../src/runtime/inspect.js';
import { HAS_LIBBPF_TOOLS, LIBBPF_TOOLS_SKIP } from './toolchain.js';
import { readsKernelPointers } from '../src/runtime/program-facts.js';
import { cli } from './helpers.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const SKIP = LIBBPF_TOOLS_SKIP || (existsSync(VMLINUX) ? '' : ` (skipped: no ${VMLINUX})`);
/** tools lists the package's tools (one binary may serve several names) with their embedded objects. */
function tools(): Map<string, Buffer> {
  const files = execFileSync('dpkg', ['-L', 'libbpf-tools'], { encoding: 'utf8' }).split('\n').filter((f) => f.startsWith('/usr/sbin/'));
  const seen = new Set<string>();
  const out = new Map<string, Buffer>();
  for (const f of files) {
    const real = realpathSync(f);
    if (seen.has(real)) continue;
    seen.add(real);
    embeddedBpfObjects(new Uint8Array(readFileSync(real))).forEach((o, k) => out.set(`${f.slice('/usr/sbin/'.length)}${k ? `-${k}` : ''}`, Buffer.from(o)));
  }
  return out;
}

let target: ReturnType<typeof parseBtf> | undefined;
const vmlinux = () => (target ??= parseBtf(new Uint8Array(readFileSync(VMLINUX))));

/** load does what the tools' user space does before load: kernel version, map sizes the object leaves at 0. */
function load(object: Buffer, globals: Record<string, string | number> = {}): LoadedCollection {
  const spec = loadCollectionSpec(new Uint8Array(object), { targetBtf: vmlinux, kernelVersion: kernelVersionCode(release()), globals });
  for (const m of spec.maps) {
    if (m.origin !== 'maps') continue;
    if (m.maxEntries === 0 && m.type !== MapType.perf_event_array) m.maxEntries = 1024;
    // The tools' default stack depth (perf_max_stack_depth 127) in u64 frames.
    if (m.type === MapType.stack_trace && m.valueSize === 0) m.valueSize = 127 * 8;
  }
  return spec;
}

/** strings lists the printable runs of a record given as hex bytes (comm, file names, arguments). */
const strings = (hex: unknown): string[] => Buffer.from(String(hex).replace(/ /g, ''), 'hex').toString('latin1').split(/[^\x20-\x7e]+/).filter((s) => s.length > 1);

describe.skipIf(!HAS_LIBBPF_TOOLS || !existsSync(VMLINUX))(`Debian's libbpf-tools objects${SKIP}`, () => {
  it('every object loads and every program runs on its default context (failed CO-RE relocations excepted)', () => {
    const all = tools();
    expect(all.size).toBeGreaterThan(45);
    const failures: string[] = [];
    const poisoned: string[] = [];
    let programs = 0;
    // Programs that read BTF-typed kernel pointers or call kfuncs, verified with this kernel's BTF (65 on Linux 6.18;
    // the others attach to functions libbpf picks at run time, whose arguments the object's section cannot type).
    let kernelTyped = 0;
    for (const [name, object] of all) {
      const c = new Collection(load(object), { targetBtf: vmlinux });
      for (const [prog, err] of c.loadErrors) {
        // A reachable instruction libbpf poisoned (a field this kernel lacks, read unconditionally): the kernel's
        // verifier refuses such a program (unknown func 195896080), and so does ours.
        if (err instanceof VerifierError && err.code === 'core-poisoned') {
          poisoned.push(`${name} ${prog}`);
          continue;
        }
        failures.push(`${name} ${prog}: ${err.message}`);
      }
      for (const [prog, p] of c.programs) {
        programs++;
        if (p.verification?.ok && (readsKernelPointers(p.spec) || (p.spec.ksyms ?? []).length > 0)) kernelTyped++;
        try {
          p.run();
        } catch (e) {
          // A field this kernel lacks poisons its access, as libbpf does; the kernel would refuse such a program too.
          if (!/CO-RE relocation .* failed/.test((e as Error).message)) failures.push(`${name} ${prog}: ${(e as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(poisoned.length).toBeLessThan(10);
    expect(programs).toBeGreaterThan(200);
    expect(kernelTyped).toBeGreaterThanOrEqual(60);
  });

  it('opensnoop: the failed open of an enter/exit pair, with the filters its options set', () => {
    const object = tools().get('opensnoop')!;
    const events: Event[] = [
      { prog: 'tracepoint__syscalls__sys_enter_openat', args: [-100, { string: '/etc/passwd' }, 0], pid: 100, comm: 'cat', uid: 1000, time: 5000 },
      { prog: 'tracepoint__syscalls__sys_enter_openat', args: [-100, { string: '/nonexistent' }, 64], pid: 200, comm: 'ls', uid: 1000, dt: 100 },
      { prog: 'tracepoint__syscalls__sys_exit_openat', ret: -2, pid: 200, comm: 'ls', uid: 1000, dt: 100 },
      { prog: 'tracepoint__syscalls__sys_exit_openat', ret: 3, pid: 100, comm: 'cat', uid: 1000, dt: 100 },
    ];
    const run = (globals: Record<string, string | number>) => {
      const c = new Collection(load(object, globals), { targetBtf: vmlinux });
      const runner = new EventRunner(c);
      return events.flatMap((e, k) => (runner.run(e, k + 1), drainRecords(c, c.spec.btf).map((r) => strings(r.value))));
    };
    // As `opensnoop` (all uids: the tool sets targ_uid to INVALID_UID unless -u is given), and as `opensnoop -x`.
    expect(run({ targ_uid: -1 })).toEqual([['ls', '/nonexistent'], ['cat', '/etc/passwd']]);
    expect(run({ targ_uid: -1, targ_failed: 'true' })).toEqual([['ls', '/nonexistent']]);
    expect(run({ targ_uid: 0 })).toEqual([]);
  });

  it('execsnoop: argv copied at entry and sent at exit', () => {
    const c = new Collection(load(tools().get('execsnoop')!), { targetBtf: vmlinux });
    const runner = new EventRunner(c);
    runner.run({ prog: 'tracepoint__syscalls__sys_enter_execve', args: [{ string: '/bin/ls' }, { argv: ['ls', '-l', '/tmp'] }, 0], pid: 300, comm: 'bash' }, 1);
    expect(drainRecords(c, c.spec.btf)).toEqual([]);
    runner.run({ prog: 'tracepoint__syscalls__sys_exit_execve', ret: 0, pid: 300, comm: 'ls' }, 2);
    const records = drainRecords(c, c.spec.btf);
    expect(records.map((r) => strings(r.value).slice(-4))).toEqual([['ls', '/bin/ls', '-l', '/tmp']]);
  });

  it('runqslower: tp_btf programs on tasks given as arguments, delays measured on the events clock', () => {
    const c = new Collection(load(tools().get('runqslower')!, { min_us: 1000 }), { targetBtf: vmlinux });
    const runner = new EventRunner(c);
    runner.run({ prog: 'sched_wakeup', args: [{ task: { pid: 42, comm: 'worker' } }], time: 1_000_000 }, 1);
    runner.run({ prog: 'sched_switch', args: [0, { task: { pid: 7, comm: 'idle' } }, { task: 42 }, 0], dt: 2_500_000 }, 2);
    const records = drainRecords(c, c.spec.btf).map((r) => Buffer.from(String(r.value).replace(/ /g, ''), 'hex'));
    // struct event { char task[16]; char prev_task[16]; __u64 delta_us; pid_t pid; pid_t prev_pid; }
    expect(records.map((b) => [strings(b.toString('hex')).slice(0, 2), b.readBigUInt64LE(32), b.readInt32LE(40), b.readInt32LE(44)])).toEqual([[['worker', 'idle'], 2500n, 42, 7]]);
    // Below the threshold, nothing is reported.
    runner.run({ prog: 'sched_wakeup', args: [{ task: 42 }] }, 3);
    runner.run({ prog: 'sched_switch', args: [0, { task: 7 }, { task: 42 }, 0], dt: 500_000 }, 4);
    expect(drainRecords(c, c.spec.btf)).toEqual([]);
  });

  it('syscount -L: raw_syscalls records, counts and latency per syscall', () => {
    const c = new Collection(load(tools().get('syscount')!, { measure_latency: 'true' }), { targetBtf: vmlinux });
    const runner = new EventRunner(c);
    const events: Event[] = [
      { prog: 'sys_enter', syscall: 257, pid: 50, comm: 'cat', time: 1000 },
      { prog: 'sys_exit', syscall: 257, ret: 3, pid: 50, comm: 'cat', dt: 2000 },
      { prog: 'sys_enter', syscall: 257, pid: 50, comm: 'cat', dt: 1000 },
      { prog: 'sys_exit', syscall: 257, ret: 4, pid: 50, comm: 'cat', dt: 500 },
    ];
    events.forEach((e, k) => runner.run(e, k + 1));
    const data = c.map('data').entries().map(([k, v]) => [Buffer.from(k).readUInt32LE(0), Buffer.from(v).readBigUInt64LE(0), Buffer.from(v).readBigUInt64LE(8)]);
    expect(data).toEqual([[257, 2n, 2500n]]);
  });

  it('the command line runs a tool binary: its one embedded object', () => {
    const show = JSON.parse(cli(['prog', 'show', '/usr/sbin/opensnoop', '--json']).stdout) as { name: string }[];
    expect(show.map((p) => p.name)).toContain('tracepoint__syscalls__sys_exit_openat');
    const r = cli(['prog', 'show', '/bin/true']);
    expect([r.code, r.stderr.trim()]).toEqual([3, `bpftime-vm: error: /bin/true is not a BPF object and embeds none`]);
  });
});
