/**
 * The string section of a BTF blob: NUL-terminated names addressed by byte offset. Kernel BTF holds about two
 * megabytes of them, so when the section is plain ASCII (as compilers and pahole produce) it is decoded once and names
 * are sliced out of that one string; otherwise each name is decoded as UTF-8 on first use and cached.
 */

const NUL = 0;
const ASCII_LIMIT = 0x80;

/** StringTable returns the string at a byte offset of a BTF string section. */
export class StringTable {
  readonly length: number;
  readonly #bytes: Uint8Array;
  readonly #ascii: string | undefined;
  readonly #cache = new Map<number, string>();

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.length = bytes.length;
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] >= ASCII_LIMIT) {
        ascii = false;
        break;
      }
    }
    // ASCII decodes to one character per byte, so character offsets equal byte offsets.
    this.#ascii = ascii ? new TextDecoder().decode(bytes) : undefined;
  }

  /**
   * at returns the NUL-terminated string at `offset`, or undefined when the offset is outside the section. A string
   * running to the end of the section without a NUL ends there (the parser rejects such sections anyway).
   */
  at(offset: number): string | undefined {
    if (offset < 0 || offset >= this.length) return undefined;
    if (this.#ascii !== undefined) {
      const end = this.#ascii.indexOf('\0', offset);
      return this.#ascii.slice(offset, end < 0 ? this.length : end);
    }
    let s = this.#cache.get(offset);
    if (s === undefined) {
      let end = offset;
      while (end < this.length && this.#bytes[end] !== NUL) end++;
      s = new TextDecoder().decode(this.#bytes.subarray(offset, end));
      this.#cache.set(offset, s);
    }
    return s;
  }
}
