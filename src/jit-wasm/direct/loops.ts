/**
 * Structured loops for the direct emitter. When every loop of a function is a contiguous run of its laid-out blocks
 * entered only at its first block (its header), and loops nest, each loop becomes a Wasm `loop` around its blocks and
 * a backward jump is a `br` to it: V8 then sees real loops (its optimiser keeps values in registers across the back
 * edge and needs no label dispatch). Forward jumps keep the scheme of compile.ts, a `block` ending where its target
 * begins, opened right inside the innermost loop that contains the target (or at the function's start):
 *
 *     block e_9  block e_3              ; forward targets outside any loop, widest first
 *       code_0 ... br e_3 ...
 *     end  code_3 ...
 *     loop L_4  block e_6               ; a loop over blocks 4..7, with its inner forward targets
 *       code_4 ... br_if e_6 ...  end  code_6  code_7 ... br_if L_4
 *     end  ...  end  code_9
 *
 * `layoutLoops` decides whether a function qualifies; compile.ts falls back to its dispatch loop otherwise
 * (irreducible or interleaved loops, which clang does not produce for BPF).
 */

/** LoopPlan is the label structure of a function whose loops are structured. */
export interface LoopPlan {
  /** loopEnd[i] is the last block of the loop headed by block i, or -1 when no backward jump goes to i. */
  readonly loopEnd: Int32Array;
  /** needsLabel[j] is 1 when some block jumps forward to block j (other than by falling through). */
  readonly needsLabel: Uint8Array;
  /** opensAt[k + 1] lists the forward targets whose block opens inside the loop headed by k (k = -1: the function). */
  readonly opensAt: readonly (number[] | undefined)[];
}

/**
 * layoutLoops plans the structured layout of n blocks whose successors (layout positions) `succ(i)` gives, or
 * returns undefined when the loops are not contiguous, single-entry and nested.
 */
export function layoutLoops(n: number, succ: (i: number) => readonly number[]): LoopPlan | undefined {
  const loopEnd = new Int32Array(n).fill(-1);
  const needsLabel = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const next = succ(i);
    for (let k = 0; k < next.length; k++) {
      const t = next[k];
      if (t <= i) loopEnd[t] = Math.max(loopEnd[t], i);
      else if (t !== i + 1 || k < next.length - 1) needsLabel[t] = 1;
    }
  }
  // outer[i]: the innermost loop containing block i other than the one it heads (-1: none). Loops must nest.
  const outer = new Int32Array(n);
  const open: number[] = [];
  for (let i = 0; i < n; i++) {
    while (open.length && loopEnd[open[open.length - 1]] < i) open.pop();
    outer[i] = open.length ? open[open.length - 1] : -1;
    if (loopEnd[i] >= 0) {
      if (open.length && loopEnd[i] > loopEnd[open[open.length - 1]]) return undefined;
      open.push(i);
    }
  }
  // Single entry: an edge into a loop other than to its header comes from inside it.
  for (let s = 0; s < n; s++) {
    for (const t of succ(s)) {
      const l = outer[t];
      if (l >= 0 && (s < l || s > loopEnd[l])) return undefined;
    }
  }
  const opensAt: (number[] | undefined)[] = new Array(n + 1);
  for (let j = n - 1; j >= 0; j--) if (needsLabel[j]) (opensAt[outer[j] + 1] ??= []).push(j);
  return { loopEnd, needsLabel, opensAt };
}

/**
 * loopOrder reorders n blocks (0 the entry; `succ` gives successor positions) so that every loop of a reducible
 * control flow graph is contiguous and starts at its header: reverse postorder, except that a loop is emitted whole
 * where its header comes. Returns the new order as old positions; blocks unreachable by `succ` keep their place at
 * the end. Without it, clang's rotated loops (a loop entered at its middle block in slot order) would not qualify.
 */
export function loopOrder(n: number, succ: (i: number) => readonly number[]): number[] {
  // Iterative DFS from the entry: postorder, and back edges (to a block still on the DFS stack).
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const post: number[] = [];
  const latches: (number[] | undefined)[] = new Array(n);
  const node = new Int32Array(n);
  const edge = new Int32Array(n);
  let depth = 1;
  state[0] = 1;
  while (depth > 0) {
    const b = node[depth - 1];
    const next = succ(b);
    if (edge[depth - 1] < next.length) {
      const t = next[edge[depth - 1]++];
      if (state[t] === 0) {
        state[t] = 1;
        node[depth] = t;
        edge[depth++] = 0;
      } else if (state[t] === 1) (latches[t] ??= []).push(b);
      continue;
    }
    state[b] = 2;
    post.push(b);
    depth--;
  }
  const rpo = post.reverse();
  const rank = new Int32Array(n).fill(-1);
  rpo.forEach((b, i) => (rank[b] = i));
  // Loop bodies, innermost first (headers by decreasing rank): walk predecessors back from the latches.
  if (!latches.some((l) => l)) return rpo.concat(unreached(n, rank));
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const b of rpo) for (const t of succ(b)) preds[t].push(b);
  // loopOf[b]: the innermost loop containing b other than one b heads (the first header, by decreasing rank, to claim it).
  const loopOf = new Int32Array(n).fill(-1);
  for (let r = rpo.length - 1; r >= 0; r--) {
    const h = rpo[r];
    const hl = latches[h];
    if (!hl) continue;
    const work = hl.filter((l) => l !== h);
    const seen = new Set<number>([h]);
    for (const l of work) seen.add(l);
    while (work.length) {
      const b = work.pop()!;
      for (const p of preds[b]) if (!seen.has(p) && rank[p] > rank[h]) { seen.add(p); work.push(p); }
    }
    for (const b of seen) if (b !== h && loopOf[b] < 0) loopOf[b] = h;
  }
  // Emit: a region's blocks in RPO, each nested loop whole at its header.
  const members: (number[] | undefined)[] = new Array(n);
  const top: number[] = [];
  for (const b of rpo) (loopOf[b] >= 0 ? (members[loopOf[b]] ??= []) : top).push(b);
  const out: number[] = [];
  const emit = (list: readonly number[] | undefined): void => {
    if (list) for (const b of list) {
      out.push(b);
      if (latches[b]) emit(members[b]);
    }
  };
  emit(top);
  return out.concat(unreached(n, rank));
}

/** unreached lists the blocks the walk from the entry did not reach, in order. */
function unreached(n: number, rank: Int32Array): number[] {
  const out: number[] = [];
  for (let b = 0; b < n; b++) if (rank[b] < 0) out.push(b);
  return out;
}

