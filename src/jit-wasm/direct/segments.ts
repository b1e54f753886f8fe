/**
 * The code store of the direct emitter: one byte buffer, written in the order expressions are built, and the
 * expressions as byte ranges of it or, when their code is not contiguous, chains of segments of it. Wasm is a stack
 * machine, so an operator's code is its operands' code followed by its opcode. Operands built in order (the usual
 * case) are adjacent ranges that merge into one, and the opcode extends it; otherwise the pieces are linked as
 * segments, and the opcode goes into a new segment at the end of the buffer. No byte is copied until the module is
 * assembled.
 *
 * A range never changes, so it may be used any number of times. A chain is linked into its user, so a chain used a
 * second time is copied first. Ranges, segments and expressions live in typed arrays that `reset` keeps for the next
 * compilation.
 *
 * Cold marks: positions in the buffer where an `if` whose arm is rarely taken begins (`markCold`). The buffer only
 * grows at its end, so they are recorded in ascending order; copying code carries its marks along, and `writeTo`
 * reports where each lands in the output, which is how the direct tier writes its branch hints without decoding the
 * module again (branch-hints.ts).
 */
import { ByteWriter } from './bytes.js';

/** Code is an index into the expression table. */
export type Code = number;

const SEG = 3; // start, end, next
const EXPR = 4; // range: NONE, start, end, type; chain: head, tail, end (of the tail when built), type
const NONE = -1;

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const n = new Int32Array(a.length * 2);
  n.set(a);
  return n;
}

/** Segments holds the bytes and the code of the expressions of one module. */
export class Segments {
  readonly w = new ByteWriter(1 << 16);
  private seg: Int32Array<ArrayBuffer> = new Int32Array(SEG << 12);
  private expr: Int32Array<ArrayBuffer> = new Int32Array(EXPR << 12);
  /** used[e] is 1 once the chain `e` is linked into another expression. */
  private used: Uint8Array<ArrayBuffer> = new Uint8Array(1 << 12);
  private segs = 0;
  private exprs = 0;
  /** Cold marks, ascending: buffer positions of cold `if`s. */
  private marks: Int32Array<ArrayBuffer> = new Int32Array(1 << 10);
  private nMarks = 0;
  /** The code being built: the range [from, to) while `h` is NONE, else the chain from segment h to segment t. */
  private h = NONE;
  private t = NONE;
  private from = 0;
  private to = 0;

  /** reset forgets every expression (the storage is kept). */
  reset(): void {
    this.w.len = 0;
    this.segs = 0;
    this.exprs = 0;
    this.nMarks = 0;
  }

  /** markCold records that a cold `if` begins at the end of the buffer (where the next byte will be written). */
  markCold(): void {
    this.addMark(this.w.len);
  }

  private addMark(at: number): void {
    if (this.nMarks === this.marks.length) this.marks = grown(this.marks);
    this.marks[this.nMarks++] = at;
  }

  /** firstByte is the first byte of the code of `e`, or -1 when it has none. */
  firstByte(e: Code): number {
    const E = this.expr;
    const S = this.seg;
    const o = e * EXPR;
    const buf = this.w.bytesNow;
    if (E[o] === NONE) return E[o + 1] < E[o + 2] ? buf[E[o + 1]] : -1;
    const tail = E[o + 1];
    for (let s = E[o]; ; s = S[s * SEG + 2]) {
      const last = s === tail;
      const end = last ? E[o + 2] : S[s * SEG + 1];
      if (S[s * SEG] < end) return buf[S[s * SEG]];
      if (last) return -1;
    }
  }

  /** newSeg adds the segment [start, end) and returns it. */
  private newSeg(start: number, end: number): number {
    const s = this.segs++;
    if ((s + 1) * SEG > this.seg.length) this.seg = grown(this.seg);
    const S = this.seg;
    S[s * SEG] = start;
    S[s * SEG + 1] = end;
    S[s * SEG + 2] = NONE;
    return s;
  }

  /** chain turns the range being built into a chain of one segment. */
  private chain(): void {
    this.h = this.t = this.newSeg(this.from, this.to);
  }

  /** fresh starts empty code at the end of the buffer (an expression without operands). */
  fresh(): void {
    this.h = NONE;
    this.from = this.to = this.w.len;
  }

  /** take starts the code with the code of `e`. */
  take(e: Code): void {
    const E = this.expr;
    const o = e * EXPR;
    this.h = E[o];
    if (this.h === NONE) {
      this.from = E[o + 1];
      this.to = E[o + 2];
    } else if (this.used[e]) {
      this.h = NONE;
      this.from = this.w.len;
      this.copyOf(e);
      this.to = this.w.len;
    } else {
      this.used[e] = 1;
      this.t = E[o + 1];
    }
  }

  /** then appends the code of `e`. */
  then(e: Code): void {
    const E = this.expr;
    const o = e * EXPR;
    const head = E[o];
    if (head === NONE) {
      this.thenRange(E[o + 1], E[o + 2]);
    } else if (this.used[e]) {
      const from = this.w.len;
      this.copyOf(e);
      this.thenRange(from, this.w.len);
    } else {
      this.used[e] = 1;
      if (this.h === NONE) this.chain();
      const S = this.seg;
      const t = this.t;
      const tail = E[o + 1];
      if (S[t * SEG + 1] === S[head * SEG]) {
        S[t * SEG + 1] = S[head * SEG + 1];
        S[t * SEG + 2] = S[head * SEG + 2];
        this.t = head === tail ? t : tail;
      } else {
        S[t * SEG + 2] = head;
        this.t = tail;
      }
    }
  }

  private thenRange(from: number, to: number): void {
    if (this.h === NONE) {
      if (this.to === from) {
        this.to = to;
        return;
      }
      this.chain();
    }
    const t = this.t;
    if (this.seg[t * SEG + 1] === from) {
      this.seg[t * SEG + 1] = to;
    } else {
      const s = this.newSeg(from, to); // may grow this.seg
      this.seg[t * SEG + 2] = s;
      this.t = s;
    }
  }

  /** open makes the code end at the end of the buffer, so that what is written next extends it (see `mark`). */
  open(): ByteWriter {
    const len = this.w.len;
    if (this.h === NONE) {
      if (this.to === len) return this.w;
      this.chain();
    }
    const t = this.t;
    if (this.seg[t * SEG + 1] !== len) {
      const s = this.newSeg(len, len); // may grow this.seg
      this.seg[t * SEG + 2] = s;
      this.t = s;
    }
    return this.w;
  }

  /** mark ends the code after what `open` let write (before appending more code to it). */
  mark(): void {
    if (this.h === NONE) this.to = this.w.len;
    else this.seg[this.t * SEG + 1] = this.w.len;
  }

  /** done ends the code after what `open` let write, as an expression of type `ty`. */
  done(ty: number): Code {
    this.mark();
    return this.joined(ty);
  }

  /** joined ends the code where its last operand ended (no bytes of its own after it). */
  joined(ty: number): Code {
    const e = this.exprs++;
    if ((e + 1) * EXPR > this.expr.length) this.expr = grown(this.expr);
    const E = this.expr;
    const o = e * EXPR;
    E[o + 3] = ty;
    if (this.h === NONE) {
      E[o] = NONE;
      E[o + 1] = this.from;
      E[o + 2] = this.to;
      return e;
    }
    if (e >= this.used.length) {
      const u = new Uint8Array(Math.max(this.used.length * 2, e + 1));
      u.set(this.used);
      this.used = u;
    }
    E[o] = this.h;
    E[o + 1] = this.t;
    E[o + 2] = this.seg[this.t * SEG + 1];
    this.used[e] = 0;
    return e;
  }

  /** type is the type `e` was built with. */
  type(e: Code): number {
    return this.expr[e * EXPR + 3];
  }

  /** size is the length of the code of `e`. */
  size(e: Code): number {
    const S = this.seg;
    const E = this.expr;
    const o = e * EXPR;
    if (E[o] === NONE) return E[o + 2] - E[o + 1];
    const tail = E[o + 1];
    let n = 0;
    for (let s = E[o]; ; s = S[s * SEG + 2]) {
      const last = s === tail;
      n += (last ? E[o + 2] : S[s * SEG + 1]) - S[s * SEG];
      if (last) return n;
    }
  }

  /**
   * writeTo appends the code of `e` to `out` (a writer other than the store's) and pushes the position in `out` of
   * each cold mark in it onto `cold`.
   */
  writeTo(e: Code, out: ByteWriter, cold: number[]): void {
    const at = out.claim(this.size(e));
    this.copyTo(e, out.bytesNow, at, cold);
  }

  /** copyTo copies the code of `e` into `dst` from `at` on, its cold marks to `cold`; it returns where the copy ends. */
  private copyTo(e: Code, dst: Uint8Array, at: number, cold: number[] | undefined): number {
    const S = this.seg;
    const E = this.expr;
    const o = e * EXPR;
    if (E[o] === NONE) return this.copyRange(E[o + 1], E[o + 2], dst, at, cold);
    const tail = E[o + 1];
    for (let s = E[o]; ; s = S[s * SEG + 2]) {
      const last = s === tail;
      at = this.copyRange(S[s * SEG], last ? E[o + 2] : S[s * SEG + 1], dst, at, cold);
      if (last) return at;
    }
  }

  /**
   * copyRange copies buffer[from, to) to dst at `at` and returns where the copy ends; the marks in the range go to
   * `cold` as positions in dst, or, without it (a copy inside the buffer, which lands at its end), are marked again.
   */
  private copyRange(from: number, to: number, dst: Uint8Array, at: number, cold: number[] | undefined): number {
    const src = this.w.bytesNow;
    const n = this.nMarks;
    if (n > 0 && this.marks[n - 1] >= from) {
      const end = n; // marks a copy inside the buffer adds come after every mark of the source range
      for (let k = lowerBound(this.marks, end, from); k < end && this.marks[k] < to; k++) {
        const moved = at + this.marks[k] - from;
        if (cold) cold.push(moved);
        else this.addMark(moved);
      }
    }
    if (to - from > 32) {
      dst.set(src.subarray(from, to), at);
      return at + to - from;
    }
    for (let i = from; i < to; i++) dst[at++] = src[i];
    return at;
  }

  /** copyOf appends a copy of the code of the chain `e` to the buffer. */
  private copyOf(e: Code): void {
    const at = this.w.claim(this.size(e));
    this.copyTo(e, this.w.bytesNow, at, undefined);
  }
}

/** lowerBound is the first k < n with a[k] >= v (n when none), a[0..n) ascending. */
function lowerBound(a: Int32Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

