/**
 * The verifier case table (test/verifier-cases/*.asm, format in its README.md): a parser that turns each file into
 * typed cases with their assembled instructions, keeping file:line for every error and every slot. The kernel oracle
 * (verifier-kernel.test.ts) and our verifier's comparison (verifier-cases.test.ts) both read the table through here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AsmError } from '../src/errors.js';
import { assembleWithLines, type Insn } from '../src/isa/index.js';
import { MAP_TYPES } from '../src/loader/spec.js';
import type { Btf } from '../src/loader/btf/parse.js';
import { BtfKind } from '../src/loader/btf/types.js';
import { ROOT } from './helpers.js';

/** CASES_DIR is the folder of the case table. */
export const CASES_DIR = join(ROOT, 'test', 'verifier-cases');

/** PROGRAM_TYPES lists the program types a case may name (the kernel's names; see test/tools/kernel-verify.c). */
export const PROGRAM_TYPES = [
  'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb', 'cgroup_sock',
  'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'sk_msg', 'raw_tracepoint',
  'flow_dissector', 'cgroup_sysctl',
  // uprobes are kprobe programs to the kernel (kernelArgs loads them so); tp_btf programs are loaded against their
  // tracepoint's BTF id (kernelIds); fentry programs the CI machine's kernel refuses to load (EPERM, bpftool too), so
  // their cases are `## no-kernel`.
  'uprobe', 'fentry', 'tp_btf',
] as const;

/** BTF_TYPED are the case types whose context is typed from the running kernel's BTF (`## attach fentry:FUNC`, `tp_btf:NAME`). */
export const BTF_TYPED: readonly string[] = ['fentry', 'tp_btf'];

/** ProgramTypeName is one of PROGRAM_TYPES. */
export type ProgramTypeName = (typeof PROGRAM_TYPES)[number];

/** CaseMap is one `## map TYPE:KEY:VALUE:ENTRIES[:lock]` declaration; the N-th is map N of `lddw rX, map_fd N`. */
export interface CaseMap {
  text: string;
  /** Map type name as bpftool prints it (`hash`, `array`, `ringbuf`, ...). */
  type: string;
  /** Kernel BPF_MAP_TYPE_* id. */
  typeId: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** The value starts with a `struct bpf_spin_lock` (declared to the kernel through BTF). */
  lock: boolean;
  line: number;
}

/** VerifierCase is one program of the table with what the kernel and our verifier must say about it. */
export interface VerifierCase {
  name: string;
  /** Rule group: the file name without `.asm`. */
  group: string;
  file: string;
  /** Line of `## case`. */
  line: number;
  type: ProgramTypeName;
  /** `full`: loaded as root. `bpf`: loaded with CAP_BPF only (+CAP_NET_ADMIN for networking types), no CAP_PERFMON. */
  priv: 'full' | 'bpf';
  maps: CaseMap[];
  expect: 'accept' | 'reject';
  /** Substring of the kernel's message (rejects); checked against the log's message lines. */
  kernel?: string;
  /** Substring of our verifier's message; empty until the verifier engineer fills it in. */
  ours?: string;
  license: string;
  /** `tracepoint:CATEGORY/NAME` or `raw_tracepoint:NAME`: the kernel checks the context size at attach time. */
  attach?: string;
  /** Why the kernel cannot judge this case; such cases are not loaded into the kernel. */
  noKernel?: string;
  /**
   * `## kfunc NAME` declarations: the N-th is what `.insn 0x85, 0, 2, 0, N` (a BPF_PSEUDO_KFUNC_CALL) calls; the
   * comparison patches the immediate to NAME's id in the running kernel's BTF, as libbpf does.
   */
  kfuncs: string[];
  /**
   * `## processed N`: at most N instructions processed by our verifier (a deterministic count, unlike a time): what a
   * case costing much more before its verifier change must keep costing.
   */
  processed?: number;
  /** The assembly text of the program. */
  source: string;
  insns: Insn[];
  /** File line of each slot (the second slot of a lddw repeats its line). */
  lines: number[];
}

/** CaseFormatError reports a malformed case file at file:line. */
export class CaseFormatError extends Error {}

const KEYS = ['case', 'type', 'priv', 'map', 'expect', 'kernel', 'ours', 'license', 'attach', 'no-kernel', 'kfunc', 'processed'] as const;
type Key = (typeof KEYS)[number];
const MAP_TYPE_IDS = new Map(Object.entries(MAP_TYPES).map(([id, name]) => [name, Number(id)]));

function parseMap(text: string, where: string, line: number): CaseMap {
  const m = /^([a-z_]+):(\d+):(\d+):(\d+)(?::(lock))?$/.exec(text);
  if (!m) throw new CaseFormatError(`${where}: invalid map "${text}", expected TYPE:KEY:VALUE:ENTRIES[:lock]`);
  const typeId = MAP_TYPE_IDS.get(m[1]);
  if (typeId === undefined) throw new CaseFormatError(`${where}: unknown map type "${m[1]}"`);
  return { text, type: m[1], typeId, keySize: +m[2], valueSize: +m[3], maxEntries: +m[4], lock: m[5] === 'lock', line };
}

/** Draft is a case while its headers and body are collected. */
interface Draft {
  headers: Map<Key, { value: string; line: number }[]>;
  line: number;
  body: string[];
  bodyStart: number;
}

function finish(d: Draft, file: string, group: string): VerifierCase {
  const at = (line: number) => `${file}:${line}`;
  const one = (k: Key): { value: string; line: number } | undefined => {
    const v = d.headers.get(k);
    if (v && v.length > 1) throw new CaseFormatError(`${at(v[1].line)}: "## ${k}" given twice`);
    return v?.[0];
  };
  const name = one('case')!.value;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new CaseFormatError(`${at(d.line)}: case name "${name}" is not kebab-case`);
  const type = one('type')?.value ?? 'socket_filter';
  if (!(PROGRAM_TYPES as readonly string[]).includes(type)) throw new CaseFormatError(`${at(one('type')!.line)}: unknown program type "${type}"`);
  const priv = one('priv')?.value ?? 'full';
  if (priv !== 'full' && priv !== 'bpf') throw new CaseFormatError(`${at(one('priv')!.line)}: priv is full or bpf, not "${priv}"`);
  const expect = one('expect');
  if (!expect) throw new CaseFormatError(`${at(d.line)}: case "${name}" has no "## expect"`);
  if (expect.value !== 'accept' && expect.value !== 'reject') throw new CaseFormatError(`${at(expect.line)}: expect is accept or reject`);
  const kernel = one('kernel')?.value;
  const noKernel = one('no-kernel')?.value;
  if (expect.value === 'reject' && !kernel && noKernel === undefined) {
    throw new CaseFormatError(`${at(d.line)}: rejected case "${name}" needs "## kernel <message substring>"`);
  }
  const maps = (d.headers.get('map') ?? []).map((m) => parseMap(m.value, at(m.line), m.line));
  const kfuncs = (d.headers.get('kfunc') ?? []).map((k) => k.value);
  const processed = one('processed');
  if (processed && !/^[1-9][0-9]*$/.test(processed.value)) throw new CaseFormatError(`${at(processed.line)}: processed is a count of instructions, not "${processed.value}"`);
  if (BTF_TYPED.includes(type) && !one('attach')?.value.startsWith(`${type}:`)) {
    throw new CaseFormatError(`${at(d.line)}: case "${name}" of type ${type} needs "## attach ${type}:TARGET"`);
  }
  if (type === 'fentry' && noKernel === undefined) {
    throw new CaseFormatError(`${at(d.line)}: case "${name}" is a fentry program, which the oracle's kernel refuses to load: it needs "## no-kernel"`);
  }
  const source = d.body.join('\n');
  let assembled;
  try {
    assembled = assembleWithLines(source);
  } catch (e) {
    if (e instanceof AsmError && e.location.line !== undefined) {
      const line = d.bodyStart + e.location.line - 1;
      throw new CaseFormatError(`${at(line)}: ${e.message.replace(/^line \d+: /, '')}`, { cause: e });
    }
    throw e;
  }
  if (assembled.insns.length === 0) throw new CaseFormatError(`${at(d.line)}: case "${name}" has no instructions`);
  return {
    name,
    group,
    file,
    line: d.line,
    type: type as ProgramTypeName,
    priv,
    maps,
    expect: expect.value,
    kernel,
    ours: one('ours')?.value,
    license: one('license')?.value ?? 'GPL',
    attach: one('attach')?.value,
    noKernel,
    kfuncs,
    ...(processed ? { processed: Number(processed.value) } : {}),
    source,
    insns: assembled.insns,
    lines: assembled.lines.map((l) => d.bodyStart + l - 1),
  };
}

/** parseCases parses the text of one case file; `file` names it in errors and in each case. */
export function parseCases(text: string, file: string): VerifierCase[] {
  const group = basename(file).replace(/\.asm$/, '');
  const out: VerifierCase[] = [];
  let draft: Draft | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const header = /^##\s*([a-z-]+)(?:\s+(.*?))?\s*$/.exec(lines[i]);
    if (!header) {
      if (draft) draft.body.push(lines[i]);
      else if (lines[i].trim() !== '' && !lines[i].startsWith('#')) {
        throw new CaseFormatError(`${file}:${n}: text before the first "## case"`);
      }
      continue;
    }
    const key = header[1] as Key;
    if (!(KEYS as readonly string[]).includes(key)) throw new CaseFormatError(`${file}:${n}: unknown header "## ${header[1]}"`);
    const value = header[2] ?? '';
    if (key === 'case') {
      if (draft) out.push(finish(draft, file, group));
      draft = { headers: new Map(), line: n, body: [], bodyStart: n + 1 };
    } else if (!draft) {
      throw new CaseFormatError(`${file}:${n}: "## ${key}" before the first "## case"`);
    } else if (draft.body.some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) {
      throw new CaseFormatError(`${file}:${n}: "## ${key}" after the instructions of case "${draft.headers.get('case')![0].value}"`);
    }
    if (key !== 'ours' && value === '') throw new CaseFormatError(`${file}:${n}: "## ${key}" needs a value`);
    const list = draft!.headers.get(key) ?? [];
    list.push({ value, line: n });
    draft!.headers.set(key, list);
    draft!.body = [];
    draft!.bodyStart = n + 1;
  }
  if (draft) out.push(finish(draft, file, group));
  return out;
}

/** loadCases reads every `.asm` file of the table, in name order, and checks that case names are unique. */
export function loadCases(dir = CASES_DIR): VerifierCase[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.asm')).sort();
  const cases = files.flatMap((f) => parseCases(readFileSync(join(dir, f), 'utf8'), `test/verifier-cases/${f}`));
  const seen = new Map<string, VerifierCase>();
  for (const c of cases) {
    const first = seen.get(c.name);
    if (first) throw new CaseFormatError(`${c.file}:${c.line}: case "${c.name}" is already defined at ${first.file}:${first.line}`);
    seen.set(c.name, c);
  }
  return cases;
}

/** KnownDifference is one entry of KNOWN-DIFFERENCES.md: a case where our verifier deliberately says otherwise. */
export interface KnownDifference {
  name: string;
  /** Our verifier's verdict on the case. */
  ours: 'accept' | 'reject';
  reason: string;
  line: number;
}

/** parseKnownDifferences reads the entries `- \`case-name\` (accept|reject): reason` of KNOWN-DIFFERENCES.md (outside code fences). */
export function parseKnownDifferences(text: string, file = 'test/verifier-cases/KNOWN-DIFFERENCES.md'): KnownDifference[] {
  const out: KnownDifference[] = [];
  let fenced = false;
  text.split(/\r?\n/).forEach((l, i) => {
    if (l.startsWith('```')) fenced = !fenced;
    if (fenced || !l.startsWith('- ')) return;
    const m = /^- `([a-z0-9-]+)` \((accept|reject)\): (\S.*)$/.exec(l);
    if (!m) throw new CaseFormatError(`${file}:${i + 1}: expected "- \`case-name\` (accept|reject): reason"`);
    out.push({ name: m[1], ours: m[2] as 'accept' | 'reject', reason: m[3], line: i + 1 });
  });
  return out;
}

/** kernelMessages returns the lines of a kernel verifier log that are messages, not the per-instruction trace. */
export function kernelMessages(log: string): string {
  return log
    .split('\n')
    .filter((l) => !/^(\d+: |from \d+ to \d+: |; |\s|(caller|callee|returning from callee|to caller at \d+):$)/.test(l))
    .join('\n');
}

/**
 * kernelIds resolves a BTF-typed case against the running kernel's BTF, as libbpf does: the instructions with each
 * kfunc call's immediate (`.insn 0x85, 0, 2, 0, N`: the N-th `## kfunc`) patched to that function's BTF id, the kfunc
 * calls (pc and name) and the BTF id of the `## attach` target (the function of `fentry`, the `btf_trace_NAME` typedef
 * of `tp_btf`).
 */
export function kernelIds(c: VerifierCase, btf: Btf): { insns: Insn[]; kfuncs: { pc: number; name: string }[]; attachBtfId?: number } {
  const kfuncs: { pc: number; name: string }[] = [];
  const insns = c.insns.map((ins, pc) => {
    if (ins.opcode !== 0x85 || ins.src !== 2) return ins;
    const name = c.kfuncs[ins.imm];
    if (name === undefined) throw new CaseFormatError(`${c.file}:${c.lines[pc]}: kfunc call ${ins.imm}, but the case declares ${c.kfuncs.length} kfuncs`);
    const id = btf.findByName(name, BtfKind.FUNC)[0];
    if (id === undefined) throw new CaseFormatError(`${c.file}:${c.lines[pc]}: kfunc ${name} is not in the running kernel's BTF`);
    kfuncs.push({ pc, name });
    return { ...ins, imm: id };
  });
  if (!BTF_TYPED.includes(c.type)) return { insns, kfuncs };
  const target = c.attach!.slice(c.attach!.indexOf(':') + 1);
  const attachBtfId = c.type === 'tp_btf' ? btf.findByName(`btf_trace_${target}`, BtfKind.TYPEDEF)[0] : btf.findByName(target, BtfKind.FUNC)[0];
  if (attachBtfId === undefined) throw new CaseFormatError(`${c.file}:${c.line}: ${c.attach} is not in the running kernel's BTF`);
  return { insns, kfuncs, attachBtfId };
}
