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

/**
 * Graph is the control flow of a function's laid-out blocks in compressed form: the successors of block i (layout
 * positions) are `to[start[i]]` .. `to[start[i + 1] - 1]`, in the order of the block's `next`. Typed arrays, because
 * a function may have thousands of blocks and these passes run on every compilation.
 */
export interface Graph {
  readonly n: number;
  readonly start: Int32Array;
  readonly to: Int32Array;
}

/** graphOf is the graph of successor lists (tests, and callers with few blocks). */
export function graphOf(succs: readonly (readonly number[])[]): Graph {
  const n = succs.length;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i] + succs[i].length;
  const to = new Int32Array(start[n]);
  for (let i = 0; i < n; i++) to.set(succs[i], start[i]);
  return { n, start, to };
}

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
 * layoutLoops plans the structured layout of the blocks of `g`, or returns undefined when the loops are not
 * contiguous, single-entry and nested.
 */
export function layoutLoops(g: Graph): LoopPlan | undefined {
  const { n, start, to } = g;
  const loopEnd = new Int32Array(n).fill(-1);
  const needsLabel = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const last = start[i + 1] - 1;
    for (let e = start[i]; e <= last; e++) {
      const t = to[e];
      if (t <= i) loopEnd[t] = Math.max(loopEnd[t], i);
      else if (t !== i + 1 || e < last) needsLabel[t] = 1;
    }
  }
  // outer[i]: the innermost loop containing block i other than the one it heads (-1: none). Loops must nest.
  const outer = new Int32Array(n);
  const open = new Int32Array(n);
  let depth = 0;
  for (let i = 0; i < n; i++) {
    while (depth && loopEnd[open[depth - 1]] < i) depth--;
    outer[i] = depth ? open[depth - 1] : -1;
    if (loopEnd[i] >= 0) {
      if (depth && loopEnd[i] > loopEnd[open[depth - 1]]) return undefined;
      open[depth++] = i;
    }
  }
  // Single entry: an edge into a loop other than to its header comes from inside it.
  for (let s = 0; s < n; s++) {
    for (let e = start[s]; e < start[s + 1]; e++) {
      const l = outer[to[e]];
      if (l >= 0 && (s < l || s > loopEnd[l])) return undefined;
    }
  }
  const opensAt: (number[] | undefined)[] = new Array(n + 1);
  for (let j = n - 1; j >= 0; j--) if (needsLabel[j]) (opensAt[outer[j] + 1] ??= []).push(j);
  return { loopEnd, needsLabel, opensAt };
}

/**
 * loopOrder reorders the blocks of `g` (0 the entry) so that every loop of a reducible control flow graph is
 * contiguous and starts at its header: reverse postorder, except that a loop is emitted whole where its header comes.
 * Returns the new order as old positions; blocks unreachable from the entry keep their place at the end. Without it,
 * clang's rotated loops (a loop entered at its middle block in slot order) would not qualify.
 */
export function loopOrder(g: Graph): number[] {
  const { n, start, to } = g;
  // Iterative DFS from the entry: postorder, and back edges (to a block still on the DFS stack). A header's latches
  // (the sources of its back edges) are a list through latchNext, newest first; the order does not matter.
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const post = new Int32Array(n);
  let posts = 0;
  const latchHead = new Int32Array(n).fill(-1);
  const latchFrom = new Int32Array(to.length);
  const latchNext = new Int32Array(to.length);
  let latches = 0;
  const node = new Int32Array(n);
  const edge = new Int32Array(n);
  let depth = 1;
  state[0] = 1;
  edge[0] = start[0];
  while (depth > 0) {
    const b = node[depth - 1];
    if (edge[depth - 1] < start[b + 1]) {
      const t = to[edge[depth - 1]++];
      if (state[t] === 0) {
        state[t] = 1;
        node[depth] = t;
        edge[depth++] = start[t];
      } else if (state[t] === 1) {
        latchFrom[latches] = b;
        latchNext[latches] = latchHead[t];
        latchHead[t] = latches++;
      }
      continue;
    }
    state[b] = 2;
    post[posts++] = b;
    depth--;
  }
  const rpo = new Int32Array(posts);
  const rank = new Int32Array(n).fill(-1);
  for (let i = 0; i < posts; i++) {
    rpo[i] = post[posts - 1 - i];
    rank[rpo[i]] = i;
  }
  if (latches === 0) return [...rpo, ...unreached(n, rank)];
  // Predecessors of the reached blocks, in compressed form like `g`.
  const predStart = new Int32Array(n + 1);
  for (const b of rpo) for (let e = start[b]; e < start[b + 1]; e++) predStart[to[e] + 1]++;
  for (let i = 0; i < n; i++) predStart[i + 1] += predStart[i];
  const preds = new Int32Array(predStart[n]);
  const fill = predStart.slice(0, n);
  for (const b of rpo) for (let e = start[b]; e < start[b + 1]; e++) preds[fill[to[e]]++] = b;
  // loopOf[b]: the innermost loop containing b other than one b heads (the first header, by decreasing rank, to
  // claim it). A loop's body: walk predecessors back from its latches; seenBy[b] is the rank of the last header whose
  // walk reached b.
  const loopOf = new Int32Array(n).fill(-1);
  const seenBy = new Int32Array(n).fill(-1);
  const work = new Int32Array(n);
  for (let r = posts - 1; r >= 0; r--) {
    const h = rpo[r];
    if (latchHead[h] < 0) continue;
    seenBy[h] = r;
    let w = 0;
    for (let l = latchHead[h]; l >= 0; l = latchNext[l]) {
      const b = latchFrom[l];
      if (seenBy[b] !== r) {
        seenBy[b] = r;
        work[w++] = b;
      }
    }
    while (w) {
      const b = work[--w];
      if (loopOf[b] < 0 && b !== h) loopOf[b] = h;
      for (let e = predStart[b]; e < predStart[b + 1]; e++) {
        const p = preds[e];
        if (seenBy[p] !== r && rank[p] > r) {
          seenBy[p] = r;
          work[w++] = p;
        }
      }
    }
  }
  // Emit: a region's blocks in RPO, each nested loop whole at its header. Members of each loop (and of the top
  // level, index n) are lists in RPO through memberNext.
  const memberHead = new Int32Array(n + 1).fill(-1);
  const memberTail = new Int32Array(n + 1).fill(-1);
  const memberNext = new Int32Array(n).fill(-1);
  for (const b of rpo) {
    const l = loopOf[b] >= 0 ? loopOf[b] : n;
    if (memberTail[l] < 0) memberHead[l] = b;
    else memberNext[memberTail[l]] = b;
    memberTail[l] = b;
  }
  const out: number[] = [];
  const emit = (l: number): void => {
    for (let b = memberHead[l]; b >= 0; b = memberNext[b]) {
      out.push(b);
      if (latchHead[b] >= 0) emit(b);
    }
  };
  emit(n);
  for (const b of unreached(n, rank)) out.push(b);
  return out;
}

/** unreached lists the blocks the walk from the entry did not reach, in order. */
function unreached(n: number, rank: Int32Array): number[] {
  const out: number[] = [];
  for (let b = 0; b < n; b++) if (rank[b] < 0) out.push(b);
  return out;
}
