/**
 * Merging the paths that meet at a prune point outside loops (MeetingPoints keeps them there until every path that
 * may still arrive has; explore.ts runs the pending paths first). A chain of N independent if-then blocks otherwise makes 2^N paths: the kernel explores them one
 * by one and prunes the ones an explored state covers (the generated 1000-instruction benchmark program costs it
 * ~950k processed instructions). Here the group is first thinned (a state another one of the group covers adds
 * nothing), and a group still larger than a few states is joined into as few states as their kinds allow, so what
 * continues is bounded whatever the number of branches above. Below that bound the paths stay apart, as the kernel
 * keeps them: a flag tested twice, a pointer null-checked under a condition, are decided per path.
 */
import { covers } from './prune.js';
import { joinStates } from './loops.js';
import type { Cfg } from './cfg.js';
import { freshId, type Env } from './env.js';
import type { VState } from './state.js';

/** Parked is the group of states waiting at one prune point outside loops (same pc, same call frames). */
interface Parked {
  /** Where: the call sites of the frames above the main one, then the pc (compared lexicographically). */
  pos: number[];
  states: VState[];
}

/** before orders positions (call sites outermost first, then pc): code is laid out mostly forward. */
function before(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
  return a.length < b.length;
}

/**
 * MeetingPoints holds the states of paths parked at prune points outside every loop (of their function and of each
 * caller's call site, with no callback running): the paths still pending may reach the same point, and merging them
 * there keeps a chain of independent branches from doubling the paths at each one. No execution returns to such a
 * point, so a merged state cannot stand in for a state on its own way, and pruning stays well founded: the parked
 * path ends as far as its checkpoints go (they complete when their other paths do, and prune from then on), and what
 * continues from the point depends on no state before it.
 */
export class MeetingPoints {
  /** Groups by position: the pc itself in the main frame, else the call sites and pc joined by commas. */
  private readonly parked = new Map<number | string, Parked>();

  constructor(private readonly cfg: Cfg) {}

  /** park keeps `st` at `pc` and returns true, or returns false when the point is not outside every loop. */
  park(st: VState, pc: number): boolean {
    const cfg = this.cfg;
    if (cfg.inLoop[pc]) return false;
    if (st.frames.length === 1) {
      // The main program's frame alone (the common case): the pc is the key, and no position is built to find it.
      const g = this.parked.get(pc);
      if (g) g.states.push(st);
      else this.parked.set(pc, { pos: [pc], states: [st] });
      return true;
    }
    const pos: number[] = [];
    for (let i = 1; i < st.frames.length; i++) {
      const f = st.frames[i];
      if (f.callback || cfg.inLoop[f.callsite]) return false;
      pos.push(f.callsite);
    }
    pos.push(pc);
    const key = pos.join(',');
    const g = this.parked.get(key);
    if (g) g.states.push(st);
    else this.parked.set(key, { pos, states: [st] });
    return true;
  }

  /** next removes and returns the group that no other parked path can reach (the first by position). */
  next(): { pc: number; states: VState[] } | undefined {
    let best: Parked | undefined;
    let bestKey: number | string = 0;
    this.parked.forEach((g, key) => {
      if (best && !before(g.pos, best.pos)) return;
      best = g;
      bestKey = key;
    });
    const g = best as Parked | undefined;
    if (!g) return undefined;
    this.parked.delete(bestKey);
    return { pc: g.pos[g.pos.length - 1], states: g.states };
  }
}

/** coveredBy reports whether one of `states` covers `p`. */
function coveredBy(states: readonly VState[], p: VState, live: number, precise: number): boolean {
  for (let i = 0; i < states.length; i++) if (covers(states[i], p, live, false, precise)) return true;
  return false;
}

/** MERGE_KEEP is how many distinct states may continue from one point (with those finished there before) unjoined. */
const MERGE_KEEP = 4;

/**
 * mergeGroup merges the states of the paths parked at `pc` (all with the same call frames) and returns the states to
 * continue from; a state it drops is covered by one of them. `done` counts the states already finished at `pc`.
 */
export function mergeGroup(env: Env, paths: VState[], pc: number, done: number): VState[] {
  if (paths.length < 2) return paths;
  const live = env.cfg.liveIn[pc];
  const precise = env.cfg.preciseIn[pc];
  const kept: VState[] = [];
  for (let pi = 0; pi < paths.length; pi++) {
    const p = paths[pi];
    if (coveredBy(kept, p, live, precise)) {
      env.stats.statesPruned++;
      continue;
    }
    for (let i = kept.length - 1; i >= 0; i--) {
      if (!covers(p, kept[i], live, false, precise)) continue;
      env.stats.statesPruned++;
      kept.splice(i, 1);
    }
    kept.push(p);
  }
  if (kept.length + done <= MERGE_KEEP) return kept;
  const out: VState[] = [];
  const fresh = () => freshId(env);
  for (let pi = 0; pi < kept.length; pi++) {
    const p = kept[pi];
    let joined = false;
    for (let i = 0; i < out.length && !joined; i++) {
      // Paths holding different constants are joined too, except when exploring exactly (the retry after a
      // rejection, index.ts): then they stay apart, as the kernel keeps them.
      let j = joinStates(out[i], p, false, fresh);
      if (!j && !env.exact) {
        j = joinStates(out[i], p, true, fresh);
        if (j) env.approximate();
      }
      if (!j) continue;
      out[i] = j;
      env.stats.statesJoined++;
      joined = true;
    }
    if (!joined) out.push(p);
  }
  env.log?.push(`${pc}: ${paths.length} paths meet: ${out.length} continue`);
  return out;
}
