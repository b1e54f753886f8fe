/**
 * A growable byte buffer with the WebAssembly encodings: unsigned and signed LEB128 (32- and 64-bit), names
 * (length-prefixed UTF-8) and length-prefixed sections.
 */

const encoder = new TextEncoder();
const S32_MIN = -(2 ** 31);
const S32_LIMIT = 2 ** 31;

/** ByteWriter appends bytes to a buffer that grows as needed. */
export class ByteWriter {
  private buf: Uint8Array;
  /** Bytes written so far. */
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** u8 appends one byte. */
  u8(b: number): void {
    if (this.len === this.buf.length) this.room(1);
    this.buf[this.len++] = b;
  }

  /** bytes appends a byte sequence. */
  bytes(src: ArrayLike<number>): void {
    this.room(src.length);
    if (src.length < 16) for (let i = 0; i < src.length; i++) this.buf[this.len + i] = src[i];
    else this.buf.set(src, this.len);
    this.len += src.length;
  }

  /** claim counts `n` more bytes as written and returns where they start; the caller fills them through `bytesNow`. */
  claim(n: number): number {
    this.room(n);
    const at = this.len;
    this.len += n;
    return at;
  }

  /** bytesNow is the buffer itself, valid until the next write that grows it. */
  get bytesNow(): Uint8Array {
    return this.buf;
  }

  /** capacity is the size of the buffer. */
  get capacity(): number {
    return this.buf.length;
  }

  /** u32 appends an unsigned LEB128 (up to 2^32 - 1). */
  u32(v: number): void {
    if (v >>> 0 < 0x80) {
      this.u8(v);
      return;
    }
    do {
      const b = v & 0x7f;
      v >>>= 7;
      this.u8(v === 0 ? b : b | 0x80);
    } while (v !== 0);
  }

  /** s32 appends a signed LEB128 of a 32-bit (or any safe, in range) integer. */
  s32(v: number): void {
    if (v >= -0x40 && v < 0x40) {
      this.u8(v & 0x7f);
      return;
    }
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.u8(b);
        return;
      }
      this.u8(b | 0x80);
    }
  }

  /** s64 appends a signed LEB128 of a 64-bit integer given as a signed bigint. */
  s64(v: bigint): void {
    const n = Number(v);
    if (n >= S32_MIN && n < S32_LIMIT) {
      this.s32(n);
      return;
    }
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
        this.u8(b);
        return;
      }
      this.u8(b | 0x80);
    }
  }

  /** name appends a length-prefixed UTF-8 string. */
  name(s: string): void {
    const b = encoder.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  /** sized appends what another writer holds, prefixed by its length (a section's or a function body's size). */
  sized(w: ByteWriter): void {
    this.u32(w.len);
    this.bytes(w.view());
  }

  /** section appends a module section: its id, then what `body` writes, prefixed by its size. */
  section(id: number, body: (w: ByteWriter) => void): void {
    const w = new ByteWriter(128);
    body(w);
    this.u8(id);
    this.sized(w);
  }

  /** view is the written bytes (a view, valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** finish returns a copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
