/**
 * The checkpoints of path exploration (explore.ts): states kept at prune points with the unfinished paths below them,
 * what their exploration relied on (cycles closed at widened loop heads) and the hashes that find exact repeats.
 */
import type { Closes } from './proof-transfer.js';
import type { Env, LoopRecord } from './env.js';
import { cur, type VState } from './state.js';

/** Checkpoint is a state kept at a prune point; `branches` counts the unfinished paths below it. */
export interface Checkpoint {
  pc: number;
  state: VState;
  parent: Checkpoint | null;
  branches: number;
  loop?: LoopRecord;
  /** Fingerprint of the live state at loop heads: equal states have equal fingerprints. */
  fp: number;
  /** Widened loops whose cycles paths below closed, with the head slots their proofs used (relyOn). */
  closes?: Closes;
  /** The widened loops (ids) of this checkpoint and its ancestors, innermost first. */
  wides: Wides | null;
}

/** Wides lists widened loop ids. */
export interface Wides {
  id: number;
  prev: Wides | null;
}

/**
 * relyOn records that the path under `from` ended by closing a cycle of the widened loop `id` whose proof used the
 * head slots `slots` (directly, or pruned against a state below which one closed): its checkpoints up to the loop's
 * widened one may prune another path only if the proof carries over to it (carriesProof). Above the widened checkpoint
 * the cycles are whole (they start from its state, whatever path reached it), so the mark stops there; a checkpoint
 * marked with these slots already has its ancestors marked too.
 */
export function relyOn(from: Checkpoint | null, id: number, slots: ReadonlySet<number>): void {
  for (let c = from; c && c.loop?.id !== id; c = c.parent) {
    const closes = (c.closes ??= new Map());
    const got = closes.get(id);
    if (!got) closes.set(id, new Set(slots));
    else {
      const n = got.size;
      slots.forEach((s) => got.add(s));
      if (got.size === n) break;
    }
  }
}

/**
 * widenedAt returns the latest widening of `rec`'s head on the path under `from` when the path went through `rec`'s
 * widened head (`rec`'s own id, or a later widening of the same head), undefined when it did not.
 */
export function widenedAt(env: Env, from: Checkpoint | null, rec: LoopRecord): number | undefined {
  let latest: number | undefined;
  for (let w = from?.wides ?? null; w; w = w.prev) {
    if (w.id === rec.id) return latest ?? rec.id;
    if (latest === undefined && env.loops.get(w.id)!.head === rec.head) latest = w.id;
  }
  return undefined;
}

/**
 * compact drops finished checkpoints from a list of unfinished ones once it has doubled since the last time, so that
 * a long path (a loop explored exactly) keeps its lists in amortised linear time.
 */
export function compact(list: Checkpoint[] & { kept?: number }): Checkpoint[] {
  if (list.length < 64 || list.length < 2 * (list.kept ?? 0)) return list;
  let n = 0;
  for (let i = 0; i < list.length; i++) if (list[i].branches > 0) list[n++] = list[i];
  list.length = n;
  list.kept = n;
  return list;
}

/** fingerprint hashes what an exact comparison looks at (live registers of the running frame, spilled values). */
export function fingerprint(st: VState, live: number): number {
  let h = st.frames.length;
  const f = cur(st);
  for (let r = 0; r < 11; r++) {
    if (!(live & (1 << r))) continue;
    const x = f.regs[r];
    h = mix(h, x.kind.length + x.off * 7);
    h = mix(h, Number(x.v.umin & 0xffffffn));
    h = mix(h, Number(x.v.umax & 0xffffffn));
    h = mix(h, Number(x.v.t.mask & 0xffffn));
  }
  const stack = f.stack;
  for (let i = 0; i < stack.length; i++) {
    const s = stack[i];
    if (!s) continue;
    h = mix(h, s.bytes[0] + 4 * s.bytes[7]);
    if (s.spill) h = mix(h, Number(s.spill.v.umin & 0xffffffn));
  }
  return h;
}

/** mix adds `x` to the hash `h`. */
const mix = (h: number, x: number): number => (Math.imul(h, 31) + x) | 0;
