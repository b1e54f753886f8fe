/**
 * The code store of the direct emitter: one byte buffer, written in the order expressions are built, and the
 * expressions as chains of segments of it. Wasm is a stack machine, so an operator's code is its operands' code
 * followed by its opcode: building it links the operands' chains (a segment that ends where the next begins is
 * extended instead, so operands built in order, the usual case, stay one segment) and appends the opcode to the last
 * segment, or to a new one when other code was written after it. No byte is copied until the module is assembled.
 *
 * Each expression is used once (as with binaryen). One used again is copied first, so that its chain is never linked
 * twice. Segments and expressions live in typed arrays that are reused from one compilation to the next.
 */
import { ByteWriter } from './bytes.js';

/** Code is an index into the expression table. */
export type Code = number;

const SEG = 3; // start, end, next
const EXPR = 4; // head, tail, end (of the tail segment when built), type
const NONE = -1;
/** KEEP_BYTES bounds the buffer a finished compilation leaves for the next one. */
const KEEP_BYTES = 1 << 22;

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const n = new Int32Array(a.length * 2);
  n.set(a);
  return n;
}

/** Segments holds the bytes and the chains of the expressions of one module. */
export class Segments {
  readonly w = new ByteWriter(1 << 16);
  private seg: Int32Array<ArrayBuffer> = new Int32Array(SEG << 12);
  private expr: Int32Array<ArrayBuffer> = new Int32Array(EXPR << 12);
  private used: Uint8Array<ArrayBuffer> = new Uint8Array(1 << 12);
  private segs = 0;
  private exprs = 0;
  /** The chain being built: its first and last segment. */
  private h = 0;
  private t = 0;

  /** reset forgets every expression (the storage is kept). */
  reset(): void {
    this.w.len = 0;
    this.segs = 0;
    this.exprs = 0;
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

  /** fresh starts a new chain at the end of the buffer (an expression without operands). */
  fresh(): void {
    const len = this.w.len;
    this.h = this.t = this.newSeg(len, len);
  }

  /** take starts the chain with the code of `e`. */
  take(e: Code): void {
    if (this.used[e]) {
      this.h = this.t = this.copyOf(e);
      return;
    }
    this.used[e] = 1;
    this.h = this.expr[e * EXPR];
    this.t = this.expr[e * EXPR + 1];
  }

  /** then appends the code of `e` to the chain. */
  then(e: Code): void {
    let head: number;
    let tail: number;
    if (this.used[e]) {
      head = tail = this.copyOf(e);
    } else {
      this.used[e] = 1;
      head = this.expr[e * EXPR];
      tail = this.expr[e * EXPR + 1];
    }
    const S = this.seg;
    const t = this.t;
    if (S[t * SEG + 1] === S[head * SEG]) {
      S[t * SEG + 1] = S[head * SEG + 1];
      S[t * SEG + 2] = S[head * SEG + 2];
      this.t = head === tail ? t : tail;
    } else {
      S[t * SEG + 2] = head;
      this.t = tail;
    }
  }

  /** open makes the chain end at the end of the buffer, so that what is written next extends it (see `mark`). */
  open(): ByteWriter {
    const len = this.w.len;
    const t = this.t;
    if (this.seg[t * SEG + 1] !== len) {
      const s = this.newSeg(len, len);
      this.seg[t * SEG + 2] = s;
      this.t = s;
    }
    return this.w;
  }

  /** mark ends the chain after what `open` let write (before linking more code to it). */
  mark(): void {
    this.seg[this.t * SEG + 1] = this.w.len;
  }

  /** done ends the chain after what `open` let write, as an expression of type `ty`. */
  done(ty: number): Code {
    const end = this.w.len;
    this.seg[this.t * SEG + 1] = end;
    return this.close(end, ty);
  }

  /** joined ends the chain where its last operand ended (no bytes of its own after it). */
  joined(ty: number): Code {
    return this.close(this.seg[this.t * SEG + 1], ty);
  }

  private close(end: number, ty: number): Code {
    const e = this.exprs++;
    if ((e + 1) * EXPR > this.expr.length) this.expr = grown(this.expr);
    if (e >= this.used.length) {
      const u = new Uint8Array(this.used.length * 2);
      u.set(this.used);
      this.used = u;
    }
    const E = this.expr;
    E[e * EXPR] = this.h;
    E[e * EXPR + 1] = this.t;
    E[e * EXPR + 2] = end;
    E[e * EXPR + 3] = ty;
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
    const tail = this.expr[e * EXPR + 1];
    let n = this.expr[e * EXPR + 2] - S[tail * SEG];
    for (let s = this.expr[e * EXPR]; s !== tail; s = S[s * SEG + 2]) n += S[s * SEG + 1] - S[s * SEG];
    return n;
  }

  /** writeTo appends the code of `e` to `out`. */
  writeTo(e: Code, out: ByteWriter): void {
    const buf = this.w.view();
    const S = this.seg;
    const tail = this.expr[e * EXPR + 1];
    for (let s = this.expr[e * EXPR]; s !== tail; s = S[s * SEG + 2]) out.range(buf, S[s * SEG], S[s * SEG + 1]);
    out.range(buf, S[tail * SEG], this.expr[e * EXPR + 2]);
  }

  /** copyOf copies the code of an expression used before to one new segment at the end of the buffer. */
  private copyOf(e: Code): number {
    const from = this.w.len;
    const S = this.seg;
    const tail = this.expr[e * EXPR + 1];
    for (let s = this.expr[e * EXPR]; s !== tail; s = S[s * SEG + 2]) this.w.copyWithin(S[s * SEG], S[s * SEG + 1]);
    this.w.copyWithin(S[tail * SEG], this.expr[e * EXPR + 2]);
    return this.newSeg(from, this.w.len);
  }
}

let spare: Segments | undefined;

/** acquireSegments returns an empty store, reusing the one a finished compilation released. */
export function acquireSegments(): Segments {
  const s = spare ?? new Segments();
  spare = undefined;
  s.reset();
  return s;
}

/** releaseSegments hands a store back for the next compilation (unless its buffer grew very large). */
export function releaseSegments(s: Segments): void {
  if (s.w.capacity <= KEEP_BYTES) spare = s;
}
