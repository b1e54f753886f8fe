/**
 * Exact least-recently-used order over slots, as a doubly linked list in typed arrays so touching an element on every
 * lookup allocates nothing. The kernel's LRU is approximate (per-CPU lists, reference bits); an exact order is a valid
 * refinement of it and makes eviction predictable.
 */

/** LruList orders slots from most to least recently used. */
export class LruList {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** Index of the sentinel node that closes the ring. */
  private readonly head: number;

  constructor(capacity: number) {
    this.prev = new Int32Array(capacity + 1);
    this.next = new Int32Array(capacity + 1);
    this.head = capacity;
    this.prev[this.head] = this.head;
    this.next[this.head] = this.head;
  }

  /** touch makes a linked slot the most recently used. */
  touch(slot: number): void {
    if (this.next[this.head] === slot) return;
    this.remove(slot);
    this.insert(slot);
  }

  /** insert links a new slot as the most recently used. */
  insert(slot: number): void {
    const { prev, next, head } = this;
    const first = next[head];
    prev[slot] = head;
    next[slot] = first;
    prev[first] = slot;
    next[head] = slot;
  }

  /** remove unlinks a slot. */
  remove(slot: number): void {
    const { prev, next } = this;
    next[prev[slot]] = next[slot];
    prev[next[slot]] = prev[slot];
    prev[slot] = slot;
    next[slot] = slot;
  }

  /** oldest returns the least recently used slot, or -1 when empty. */
  oldest(): number {
    const last = this.prev[this.head];
    return last === this.head ? -1 : last;
  }
}
