/**
 * The per-instruction state log (`verify -v`, `VerifyOptions.log`) read back as data, for views that show it by
 * instruction (the web playground). The lines are written by explore.ts and index.ts; this is their one reader.
 */

/** LogEntry is one line of the state log, or an instruction with the state after it. */
export type LogEntry =
  /** A path starts at `pc` (after the branch decisions `from`, the last four, or `entry`) in `state`. */
  | { kind: 'path'; pc: number; from: string; state: string }
  /** The instruction at `pc` was processed; `state` is the abstract state after it (none when it ended the path). */
  | { kind: 'insn'; pc: number; insn: string; state?: string }
  /** The path reached `pc` in a state an explored one covers: it is safe and ends there. */
  | { kind: 'pruned'; pc: number }
  /** The loop head at `pc` was widened to `state` (abstract interpretation of a loop). */
  | { kind: 'widened'; pc: number; state: string }
  /** Anything else, at an instruction (a path parked until others arrive, the loop head explored exactly after its
   * widening failed) or not (the rejection). */
  | { kind: 'note'; pc?: number; text: string };

const PATH = /^from path (.*) at (\d+): (.*)$/;
const PRUNED = /^(\d+): safe \(covered by an explored state\)$/;
const WIDENED = /^(\d+): loop head widened: (.*)$/;
const PARKED = /^(\d+): (parked .*)$/;
const EXACT = /^.*: exploring the loop at pc (\d+) exactly$/;
const INSN = /^(\d+): (.*)$/;

/** parseVerifierLog turns the log's lines into entries, each instruction with the state it left. */
export function parseVerifierLog(lines: readonly string[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of lines) {
    const last = out[out.length - 1];
    if (line.startsWith('    ') && last?.kind === 'insn' && last.state === undefined) {
      last.state = line.trim();
      continue;
    }
    let m = PATH.exec(line);
    if (m) {
      out.push({ kind: 'path', pc: Number(m[2]), from: m[1], state: m[3] });
      continue;
    }
    m = PRUNED.exec(line);
    if (m) {
      out.push({ kind: 'pruned', pc: Number(m[1]) });
      continue;
    }
    m = WIDENED.exec(line);
    if (m) {
      out.push({ kind: 'widened', pc: Number(m[1]), state: m[2] });
      continue;
    }
    m = PARKED.exec(line);
    if (m) {
      out.push({ kind: 'note', pc: Number(m[1]), text: m[2] });
      continue;
    }
    m = EXACT.exec(line);
    if (m) {
      out.push({ kind: 'note', pc: Number(m[1]), text: line });
      continue;
    }
    m = INSN.exec(line);
    if (m) out.push({ kind: 'insn', pc: Number(m[1]), insn: m[2] });
    else out.push({ kind: 'note', text: line.trim() });
  }
  return out;
}
