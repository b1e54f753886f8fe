/**
 * The path-compressed binary trie behind LPM maps, over bit strings in network bit order (most significant bit of the
 * first byte first). Each node holds a prefix; value nodes carry a slot, intermediate nodes (slot -1) only join two
 * subtrees. Lookups read key bytes straight from guest memory (an array plus offset), so they allocate nothing.
 */

const BYTE_BITS = 8;
/** Shifts a byte to the top of a 32-bit word, so Math.clz32 counts its equal leading bits. */
const TOP_BYTE_SHIFT = 24;

/** LpmNode is one trie node; `data` keeps the bytes it was inserted with, only the first `prefixlen` bits count. */
export interface LpmNode {
  prefixlen: number;
  data: Uint8Array;
  /** Value slot, or -1 for an intermediate node. */
  slot: number;
  child: [LpmNode | null, LpmNode | null];
}

/** bitAt returns bit `i` (network order) of the bytes at `off`. */
export function bitAt(u8: Uint8Array, off: number, i: number): number {
  return (u8[off + (i >>> 3)] >>> (BYTE_BITS - 1 - (i & (BYTE_BITS - 1)))) & 1;
}

/** matchLen counts the equal leading bits of two bit strings, up to `limit`. */
export function matchLen(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, limit: number): number {
  let bits = 0;
  for (let i = 0; bits < limit; i++) {
    const x = a[aOff + i] ^ b[bOff + i];
    if (x !== 0) return Math.min(limit, bits + Math.clz32(x << TOP_BYTE_SHIFT));
    bits += BYTE_BITS;
  }
  return limit;
}

/** LpmTrie stores prefixes with slots and answers longest-prefix and exact queries. */
export class LpmTrie {
  root: LpmNode | null = null;

  /** longest returns the value node with the longest prefix of the first `prefixlen` bits at (u8, off), or null. */
  longest(u8: Uint8Array, off: number, prefixlen: number): LpmNode | null {
    let found: LpmNode | null = null;
    let node = this.root;
    while (node !== null) {
      const m = matchLen(node.data, 0, u8, off, Math.min(node.prefixlen, prefixlen));
      if (m !== node.prefixlen) break;
      if (node.slot >= 0) found = node;
      if (node.prefixlen === prefixlen) break;
      node = node.child[bitAt(u8, off, node.prefixlen)];
    }
    return found;
  }

  /** exact returns the value node whose prefix is exactly the first `prefixlen` bits at (u8, off), or null. */
  exact(u8: Uint8Array, off: number, prefixlen: number): LpmNode | null {
    const node = this.descend(u8, off, prefixlen).node;
    return node !== null && node.slot >= 0 && this.isExact(node, u8, off, prefixlen) ? node : null;
  }

  /** insert adds a value node for a prefix not yet held by one (an intermediate node with it becomes one). */
  insert(data: Uint8Array, prefixlen: number, slot: number): void {
    const { parent, dir, node } = this.descend(data, 0, prefixlen);
    const leaf: LpmNode = { prefixlen, data, slot, child: [null, null] };
    if (node === null) return this.attach(parent, dir, leaf);
    if (this.isExact(node, data, 0, prefixlen)) {
      node.slot = slot;
      node.data = data;
      return;
    }
    const m = matchLen(node.data, 0, data, 0, Math.min(node.prefixlen, prefixlen));
    if (m === prefixlen) {
      // The new prefix covers the node: it becomes the node's parent.
      leaf.child[bitAt(node.data, 0, prefixlen)] = node;
      return this.attach(parent, dir, leaf);
    }
    const joint: LpmNode = { prefixlen: m, data: node.data, slot: -1, child: [null, null] };
    joint.child[bitAt(data, 0, m)] = leaf;
    joint.child[bitAt(node.data, 0, m)] = node;
    this.attach(parent, dir, joint);
  }

  /** remove deletes the value node of an exact prefix; false when there is none. */
  remove(u8: Uint8Array, off: number, prefixlen: number): boolean {
    const { grand, grandDir, parent, dir, node } = this.descend(u8, off, prefixlen);
    if (node === null || node.slot < 0 || !this.isExact(node, u8, off, prefixlen)) return false;
    const [c0, c1] = node.child;
    if (c0 !== null && c1 !== null) {
      node.slot = -1;
      return true;
    }
    const only = c0 ?? c1;
    if (only !== null) {
      this.attach(parent, dir, only);
      return true;
    }
    this.attach(parent, dir, null);
    // An intermediate node left with one child is no longer needed.
    if (parent !== null && parent.slot < 0) this.attach(grand, grandDir, parent.child[1 - dir]);
    return true;
  }

  /** postOrder lists value nodes as the kernel's get_next_key visits them: children (0 then 1) before parents. */
  postOrder(): LpmNode[] {
    const out: LpmNode[] = [];
    const visit = (n: LpmNode | null): void => {
      if (n === null) return;
      visit(n.child[0]);
      visit(n.child[1]);
      if (n.slot >= 0) out.push(n);
    };
    visit(this.root);
    return out;
  }

  private isExact(node: LpmNode, u8: Uint8Array, off: number, prefixlen: number): boolean {
    return node.prefixlen === prefixlen && matchLen(node.data, 0, u8, off, prefixlen) === prefixlen;
  }

  /** descend walks towards a prefix and stops at the first node it does not fully pass through. */
  private descend(u8: Uint8Array, off: number, prefixlen: number) {
    let grand: LpmNode | null = null;
    let grandDir = 0;
    let parent: LpmNode | null = null;
    let dir = 0;
    let node = this.root;
    while (node !== null) {
      const m = matchLen(node.data, 0, u8, off, Math.min(node.prefixlen, prefixlen));
      if (m !== node.prefixlen || node.prefixlen === prefixlen) break;
      grand = parent;
      grandDir = dir;
      parent = node;
      dir = bitAt(u8, off, node.prefixlen);
      node = node.child[dir];
    }
    return { grand, grandDir, parent, dir, node };
  }

  private attach(parent: LpmNode | null, dir: number, node: LpmNode | null): void {
    if (parent === null) this.root = node;
    else parent.child[dir] = node;
  }
}
