/**
 * Merging the paths that meet at a prune point outside loops (explore.ts parks them there until every path that may
 * still arrive has). A chain of N independent if-then blocks otherwise makes 2^N paths: the kernel explores them one
 * by one and prunes the ones an explored state covers (the generated 1000-instruction benchmark program costs it
 * ~950k processed instructions). Here the group is first thinned (a state another one of the group covers adds
 * nothing), and a group still larger than a few states is joined into as few states as their kinds allow, so what
 * continues is bounded whatever the number of branches above. Below that bound the paths stay apart, as the kernel
 * keeps them: a flag tested twice, a pointer null-checked under a condition, are decided per path.
 */
import { covers } from './prune.js';
import { joinStates } from './loops.js';
import type { Env } from './env.js';
import type { VState } from './state.js';

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
  for (const p of paths) {
    if (kept.some((k) => covers(k, p, live, false, precise))) {
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
  for (const p of kept) {
    let joined = false;
    for (let i = 0; i < out.length && !joined; i++) {
      const j = joinStates(out[i], p, true);
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
