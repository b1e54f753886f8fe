// Issue 10's acceptance: every program of the repository verifies on the type its section gives. The C programs of
// examples/, bench/ (the suite and the hook benchmark) and test/fixtures/ are built as their tests build them and
// every program of every object goes through src/verifier, BTF-typed tracing programs and kfunc callers with this
// kernel's BTF; the programs Collection loads unverified are listed here by name, so a new one is a decision.
// Sections that name no type get the type their tests load them with (tc's sched_cls for iproute2's sections, raw
// for the suite's input-memory programs). Assembly programs (examples/, bench/programs/, test/fixtures/) verify as
// raw programs. What does not verify yet is listed in KNOWN_GAPS with the reason; fixing one turns this test red until
// its entry goes, as test/verifier-cases/KNOWN-DIFFERENCES.md works for the case table.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/index.js';
import { parseBtf } from '../src/loader/btf/parse.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { kernelVersionCode } from '../src/loader/data.js';
import { readsKernelPointers } from '../src/runtime/program-facts.js';
import { verifyProgram, verifySpec } from '../src/verifier/index.js';
import { SUITE_PROGRAMS } from '../bench/suite/programs.js';
import { ROOT } from './helpers.js';
import { dumpVerdict } from './verifier-dump.js';
import { buildTool } from './realworld-oracle.js';
import { CLANG_SKIP, HAS_CLANG, HAS_KERNEL, buildExamples, compileC } from './toolchain.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
let target: ReturnType<typeof parseBtf> | undefined;
const vmlinux = () => (target ??= existsSync(VMLINUX) ? parseBtf(new Uint8Array(readFileSync(VMLINUX))) : undefined);

/**
 * KERNEL_TYPED are the programs whose verification needs the target kernel's BTF (BTF-typed arguments, kfuncs): on a
 * machine without /sys/kernel/btf/vmlinux they load unverified, as Collection loads them there, and are listed so.
 */
const KERNEL_TYPED = new Set([
  'kfunc.bpf.o on_switch', // tp_btf arguments and kfuncs (bpf_task_from_pid, bpf_task_release, RCU section)
  'records.bpf.o handle_unlink', // fentry arguments
  'test/fixtures/loader/sections.bpf.c btf_wakeup', // tp_btf arguments
  'task-kfuncs lookup', // kfuncs
]);

/** REJECTED_ON_PURPOSE are fixtures written to fault at run time, which a verifier must refuse. */
const REJECTED_ON_PURPOSE: Record<string, string> = {
  'test/fixtures/live/faults.bpf.c bad': 'dereferences a wild pointer on purpose (test/native-live-faults.test.ts)',
  'test/fixtures/live/vector.bpf.c bad': 'dereferences a wild pointer on purpose: the trap path must keep the vector registers (test/native-live-vector.test.ts)',
};

/** KNOWN_GAPS are programs that should verify and do not yet, with the reason. */
const KNOWN_GAPS: Record<string, string> = {};

/** typeOf is the type a program's test loads it with when its section names none. */
function typeOf(name: string, section: string): string | undefined {
  if (name === 'tc-legacy') return 'sched_cls'; // iproute2's sections, loaded by tc as sched_cls
  if (section === 'input') return 'raw'; // bench.h BENCH_INPUT_ENTRY: r1 = input memory, r2 = its length
  return undefined;
}

const fixtures = (dir: string) => readdirSync(join(ROOT, 'test/fixtures', dir)).filter((f) => f.endsWith('.bpf.c')).map((f) => join('test/fixtures', dir, f));

/** objects builds every BPF C program of the repository: name -> object path. */
function objects(): Map<string, string> {
  const out = new Map<string, string>();
  const examples = buildExamples();
  for (const f of readdirSync(examples).filter((f) => f.endsWith('.bpf.o'))) out.set(f, join(examples, f));
  for (const f of ['helpers', 'loader', 'native', 'packet', 'live'].flatMap(fixtures)) {
    const name = f.split('/').pop()!.replace('.bpf.c', '');
    out.set(f, compileC(`repo-${name}`, readFileSync(join(ROOT, f), 'utf8')));
  }
  out.set('bench/hooks/probe.bpf.c', compileC('repo-probe', readFileSync(join(ROOT, 'bench/hooks/probe.bpf.c'), 'utf8')));
  const bench = join(ROOT, 'bench/c');
  for (const p of SUITE_PROGRAMS) {
    const defines = [...p.defines, ...(p.input ? [`INPUT_LEN=${p.input}`] : [])].map((d) => `-D${d}`);
    out.set(`bench suite ${p.name}`, compileC(`repo-suite-${p.name}`, readFileSync(join(bench, `${p.source}.c`), 'utf8'), ['-fno-builtin', `-I${bench}`, ...defines]));
  }
  // The realworld corpus includes vmlinux.h, which bpftool makes from this kernel's BTF.
  if (HAS_KERNEL) for (const f of fixtures('realworld')) out.set(f.split('/').pop()!.replace('.bpf.c', ''), buildTool(f.split('/').pop()!.replace('.bpf.c', '')));
  return out;
}

describe.skipIf(!HAS_CLANG)(`every program of the repository verifies on its section's type${CLANG_SKIP}`, () => {
  it('the C programs of examples/, bench/ and test/fixtures/', () => {
    const failures: string[] = [];
    const messages: string[] = [];
    const unverified: string[] = [];
    let verified = 0;
    const built = objects();
    const objectNames = new Set(built.keys());
    for (const [name, object] of built) {
      // test/fixtures/loader/sections.bpf.c reads kconfig values its test gives.
      const config = { CONFIG_HZ: '250', CONFIG_BPF_SYSCALL: 'y' };
      const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)), { targetBtf: vmlinux, kernelVersion: kernelVersionCode(release()), config });
      for (const m of spec.maps) if (m.maxEntries === 0) m.maxEntries = 1024; // sized by user space before load
      for (const p of spec.programs) {
        const btf = readsKernelPointers(p) || (p.ksyms ?? []).length > 0 ? vmlinux() : undefined;
        if (btf === undefined && (readsKernelPointers(p) || (p.ksyms ?? []).length > 0)) {
          unverified.push(`${name} ${p.name}`);
          continue;
        }
        const key = `${name} ${p.name}`;
        const type = typeOf(name, p.section);
        // Programs known to fail are checked under a smaller budget: the too-complex ones take a minute at 1M.
        const r = verifySpec(p, spec.maps, { ...(type ? { type } : {}), ...(btf ? { targetBtf: btf } : {}), ...(KNOWN_GAPS[key] ? { maxInsns: 20_000 } : {}) });
        dumpVerdict(key, r);
        if (r.ok) verified++;
        else if (!REJECTED_ON_PURPOSE[key]) failures.push(key);
        if (!r.ok && !REJECTED_ON_PURPOSE[key] && !KNOWN_GAPS[key]) messages.push(`${key} (${type ?? p.type}): ${r.error!.message}`);
        if (r.ok && REJECTED_ON_PURPOSE[key]) messages.push(`${key}: accepted, but ${REJECTED_ON_PURPOSE[key]}`);
      }
    }
    expect(messages).toEqual([]);
    expect(failures.sort()).toEqual(Object.keys(KNOWN_GAPS).sort());
    expect(unverified.sort()).toEqual(vmlinux() ? [] : [...KERNEL_TYPED].filter((k) => objectNames.has(k.slice(0, k.lastIndexOf(' ')))).sort());
    expect(verified).toBeGreaterThan(80);
  }, 600_000);

  it('the assembly programs, as raw programs', () => {
    const files = [
      ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.asm')).map((f) => join('examples', f)),
      ...readdirSync(join(ROOT, 'bench/programs')).map((f) => join('bench/programs', f)),
      ...readdirSync(join(ROOT, 'test/fixtures')).filter((f) => f.endsWith('.asm')).map((f) => join('test/fixtures', f)),
    ];
    for (const f of files) {
      const r = verifyProgram(assemble(readFileSync(join(ROOT, f), 'utf8')));
      dumpVerdict(f, r);
      expect(r.error?.message, f).toBeUndefined();
    }
  });
});
