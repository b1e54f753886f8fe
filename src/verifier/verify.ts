/**
 * One verification (verifyWithHelpers): the exploration, retried with loops explored exactly when widening could not
 * prove them, and the verdict with its statistics, facts and located error. index.ts is the public entry.
 */
import { VerifierError } from '../errors.js';
import type { HelperSet } from '../helpers/registry.js';
import { formatInsn, type Insn } from '../isa/index.js';
import type { LineInfo } from '../loader/spec.js';
import { buildCfg, type Cfg } from './cfg.js';
import { BtfTypes, btfContextArgs } from './btf-ptr.js';
import { Explorer, initialState } from './explore.js';
import { fmtReg } from './format.js';
import { programType } from './program-types.js';
import { Reject } from './reject.js';
import { Imprecise, Unproved } from './loops.js';
import { MAX_INPUT, MAX_PACKET_OFF } from './check-mem.js';
import { cur, type Reg, type VState } from './state.js';
import { NO_VERIFIER_FACTS, verifierFacts, type VerifierFacts } from './facts.js';
import type { Env, Facts, VerifyOptions, VerifyStats } from './env.js';

/** VerifyResult is a verdict. */
export interface VerifyResult {
  ok: boolean;
  error?: VerifierError;
  stats: VerifyStats;
  /** Per-instruction state log, when `log` was asked for. */
  log?: string[];
  /** What the verifier proved, for the JIT (facts.ts); nothing when rejected. */
  facts: VerifierFacts;
}

const STACK_LIMIT = 512;

const proc = (globalThis as { process?: NodeJS.Process }).process;
/**
 * nowMs is a millisecond clock for the statistics: process.hrtime in Node, where the global `performance` loads
 * perf_hooks on first use (a dozen internal modules in a `bpftime-vm verify` process), performance.now() elsewhere.
 */
const nowMs = (): number => (proc?.hrtime ? Number(proc.hrtime.bigint()) / 1e6 : performance.now());
/** GPL_COMPATIBLE lists the licenses the kernel's license_is_gpl_compatible accepts. */
const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);
/** MAX_RETRIES bounds how many loops may fall back from widening to exact exploration. */
const MAX_RETRIES = 8;

function lineFor(lines: readonly LineInfo[] | undefined, pc: number | undefined): LineInfo | undefined {
  if (!lines?.length || pc === undefined) return undefined;
  let best: LineInfo | undefined;
  for (const l of lines) if (l.pc <= pc && (!best || l.pc >= best.pc)) best = l;
  return best;
}

function pathOf(st: VState | null): string[] {
  const out: string[] = [];
  for (let n = st?.path ?? null; n; n = n.prev) out.push(`pc ${n.pc}: ${n.taken ? 'jumped' : 'fell through'}`);
  return out.reverse().slice(-32);
}

function toError(r: Reject, insns: readonly Insn[], opts: VerifyOptions, explorer: Explorer | undefined, mapName: (i: number) => string): VerifierError {
  const pc = r.pc ?? explorer?.pc;
  const insn = pc !== undefined && pc < insns.length ? formatInsn(insns, pc) : undefined;
  const line = lineFor(opts.lineInfo, pc);
  const prefix = pc !== undefined ? `pc ${pc}: ${insn}: ` : '';
  const err = new VerifierError(r.rule, prefix + r.reason, {
    ...(opts.section ? { section: opts.section } : {}),
    ...(opts.program ? { program: opts.program } : {}),
    ...(pc !== undefined ? { pc, insn } : {}),
    ...(line ? { line: line.line, source: `${line.file}:${line.line}: ${line.text.trim()}` } : {}),
  });
  const st = explorer?.state;
  if (st) {
    for (const n of r.regs) if (n >= 0 && n <= 10) err.regs[`r${n}`] = fmtReg(cur(st).regs[n], mapName);
    err.path = pathOf(st);
  }
  return err;
}

function checkStackDepth(cfg: Cfg, use: Int32Array): number {
  const byEntry = new Map(cfg.subprogs.map((s, i) => [s.entry, i]));
  const memo = new Map<number, number>();
  const single = cfg.subprogs.length === 1;
  const depth = (i: number): number => {
    const got = memo.get(i);
    if (got !== undefined) return got;
    const own = single ? use[i] : Math.ceil(Math.max(use[i], 1) / 32) * 32;
    const sp = cfg.subprogs[i];
    let deepest = 0;
    for (const c of [...sp.calls, ...sp.callbacks]) deepest = Math.max(deepest, depth(byEntry.get(c.callee)!));
    memo.set(i, own + deepest);
    return own + deepest;
  };
  const total = depth(0);
  if (total > STACK_LIMIT) throw new Reject('stack-depth', `the call chain uses ${total} bytes of stack, more than the ${STACK_LIMIT} allowed across all frames`, 0);
  return total;
}

/**
 * verifyWithHelpers verifies instruction slots against the helper table the options name (verifyProgram in index.ts
 * picks the default one). It imports neither helper implementation set, so `bpftime-vm verify` of a raw program loads
 * the verifier without the kernel helpers, maps and loader (bench/RESULTS.md, "Verifier").
 */
export function verifyWithHelpers(insns: readonly Insn[], options: VerifyOptions & { helpers: HelperSet }): VerifyResult {
  const t0 = nowMs();
  const stats: VerifyStats = { insnsProcessed: 0, statesExplored: 0, statesPruned: 0, statesJoined: 0, loopsWidened: 0, peakStates: 0, stackDepth: 0, ms: 0 };
  const facts: Facts = { safe: false, terminates: false, access: new Map() };
  const log: string[] | undefined = options.log ? [] : undefined;
  // Inner map templates of maps of maps get indices after the declared maps: a lookup in the outer map yields them.
  const maps = [...(options.maps ?? [])];
  const innerOf = new Map<number, number>();
  maps.forEach((m, i) => {
    if (m.inner) innerOf.set(i, maps.push(m.inner) - 1);
  });
  const mapName = (i: number) => maps[i]?.name ?? String(i);
  const prog = programType(options.type, options.tracepoint);
  const btf = options.targetBtf ? new BtfTypes(options.targetBtf) : undefined;
  let explorer: Explorer | undefined;
  const noWiden = new Set<number>();
  const unproved: string[] = [];
  // The first rule broken after a widening, reported if exact exploration cannot finish (it may be a real error).
  let imprecise: VerifierError | undefined;
  // The first rejection found through widened loops, kept in case exploring them exactly proves too complex.
  let widenedError: VerifierError | undefined;
  let exact = false;
  let approximated = false;
  for (;;) {
    try {
      const cfg = buildCfg(insns, prog.ret !== undefined);
      const env: Env = {
        cfg, prog, maps, innerOf,
        helpers: options.helpers,
        // The kernel loads tracing programs only with CAP_PERFMON, which grants what privileged mode allows.
        privileged: options.privileged === true || (prog.tracing && !prog.raw),
        spectre: options.privileged !== true && !prog.tracing,
        gpl: GPL_COMPATIBLE.has(options.license ?? 'GPL'),
        poisoned: options.poisoned,
        stats, log, facts,
        stackUse: new Int32Array(cfg.subprogs.length),
        thresholds: new Set([0n, 1n]),
        thresholdsFrom: new Uint8Array(cfg.insns.length),
        imms: new Array<Reg | undefined>(cfg.insns.length),
        loops: new Map(),
        ids: { next: 0 },
        inputId: 0,
        noWiden,
        exact,
        approximate: () => (approximated = true),
        ...(btf ? { btf, btfArgs: btfContextArgs(btf, prog.name, options.tracepoint) } : {}),
        kfuncs: new Map((options.kfuncs ?? []).map((k) => [k.pc, k.name])),
      };
      for (const m of maps) env.thresholds.add(BigInt(m.valueSize));
      for (const t of [BigInt(MAX_PACKET_OFF), MAX_INPUT]) env.thresholds.add(t);
      facts.access.clear();
      const progress = options.onProgress ? { every: Math.max(1, options.progressEvery ?? 100_000), call: options.onProgress } : undefined;
      explorer = new Explorer(env, options.maxInsns ?? 1_000_000, options.unroll ?? 8, progress);
      explorer.run(initialState(env));
      stats.stackDepth = checkStackDepth(cfg, env.stackUse);
      facts.safe = true;
      facts.terminates = true;
      stats.ms = nowMs() - t0;
      return { ok: true, stats, facts: verifierFacts(facts), ...(log ? { log } : {}) };
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      // A loop whose termination the widening could not prove is explored exactly instead, as the kernel does.
      if (e instanceof Unproved && !noWiden.has(e.head) && noWiden.size < MAX_RETRIES) {
        noWiden.add(e.head);
        if (e instanceof Imprecise) imprecise ??= toError(e.broken, insns, options, explorer, mapName);
        else unproved.push(e.reason);
        log?.push(`${e.reason}: exploring the loop at pc ${e.head} exactly`);
        continue;
      }
      // Widening a loop and joining paths over-approximate (a pointer stepping with its counter loses the link to it, a
      // joined counter no longer ends its loop), so a rejection after either may be a false alarm: the program is
      // explored again exactly, as the kernel does, and that verdict stands; if it proves too complex, the first
      // rejection is reported.
      // A rule broken after a widening whose loop cannot be retried alone counts as that rule.
      const cause = e instanceof Imprecise ? e.broken : e;
      if (!(cause instanceof Unproved) && cause.rule !== 'too-complex' && approximated && !exact) {
        widenedError = toError(cause, insns, options, explorer, mapName);
        exact = true;
        log?.push(`${widenedError.message}: exploring again without widening loops or joining paths of different constants`);
        continue;
      }
      stats.ms = nowMs() - t0;
      const reason = cause.rule === 'too-complex' && unproved.length ? new Reject(cause.rule, `${cause.reason} (${unproved.join('; ')})`, cause.pc, cause.regs) : cause;
      const first = imprecise ?? widenedError;
      const error = cause.rule === 'too-complex' && first ? first : toError(reason, insns, options, explorer, mapName);
      if (log) {
        log.push(`rejected: ${error.message}`);
        error.log = log.join('\n');
      }
      facts.access.clear();
      return { ok: false, error, stats, facts: NO_VERIFIER_FACTS, ...(log ? { log } : {}) };
    }
  }
}
