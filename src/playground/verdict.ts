/**
 * The verifier as the page shows it (issue 11 point 4): a program's verdict with its statistics and facts, the
 * located rejection, and the per-instruction state log (`bpftime-vm verify -v`) as entries. The same verification as
 * the page's runs (`Collection`'s, `verifyForLoad`), so the panel explains why a run is refused. Pure logic on the
 * public API, tested in Node too.
 */
import { parseVerifierLog, verifyForLoad, type LogEntry, type VerifierError, type VerifyStats } from '../index.js';
import type { OpenedObject } from './session.js';

/** PageVerdict is what the verifier panel shows for one program. */
export interface PageVerdict {
  program: string;
  verdict: 'accepted' | 'rejected' | 'not verified';
  /** Why the program is not verified (what the verifier does not model). */
  reason?: string;
  error?: VerifierError;
  stats?: VerifyStats;
  /** Loads and stores proved in bounds (the JIT drops their checks), and whether every path provably ends. */
  facts?: { inBounds: number; terminates: boolean };
  entries: LogEntry[];
  /** Distinct instructions the exploration processed, of the program's instruction slots. */
  reached: number;
  slots: number;
}

const cache = new WeakMap<OpenedObject, Map<string, PageVerdict>>();

/** verifyForPage verifies program `name` of an opened object with the state log (once per object and program). */
export function verifyForPage(obj: OpenedObject, name: string): PageVerdict {
  let byName = cache.get(obj);
  if (!byName) cache.set(obj, (byName = new Map()));
  const had = byName.get(name);
  if (had) return had;
  const p = obj.spec.programs.find((x) => x.name === name);
  if (!p) throw new Error(`no program "${name}" in ${obj.name}`);
  const v = verifyForLoad(p, obj.spec.maps, { log: true });
  let out: PageVerdict;
  if (v.unverified !== undefined) {
    out = { program: name, verdict: 'not verified', reason: v.unverified, entries: [], reached: 0, slots: p.insns.length };
  } else {
    const r = v.result;
    const entries = parseVerifierLog(r.log ?? []);
    const reached = new Set(entries.flatMap((e) => (e.kind === 'insn' ? [e.pc] : []))).size;
    out = {
      program: name,
      verdict: r.ok ? 'accepted' : 'rejected',
      ...(r.error ? { error: r.error } : {}),
      stats: r.stats,
      ...(r.ok ? { facts: { inBounds: r.facts.inBounds.size, terminates: r.facts.terminates } } : {}),
      entries,
      reached,
      slots: p.insns.length,
    };
  }
  byName.set(name, out);
  return out;
}
