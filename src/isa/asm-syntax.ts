/**
 * The lexical layer of the assembler (./assembler.ts): lines, operand lists, registers and integers of the
 * bpf_conformance syntax, each failing with the message the assembler reports for its line. A command assembles its
 * file once, in V8's interpreter and baseline compiler, where every property load, call and comparison costs tens of
 * machine instructions and a built-in (a regular expression, `indexOf`) does the same work on a whole string for
 * about as much as one of them: the usual forms take one match per line and a lookup per operand (bench/RESULTS.md,
 * "Cold assembly").
 */

/** LineError is a syntax error within one line; the assembler adds the line number. */
export class LineError extends Error {}

/** fail throws a LineError with `msg`. */
export const fail = (msg: string): never => {
  throw new LineError(msg);
};

const OPERAND = String.raw`[^\s,\[\]#/]+|\[[^\s,\[\]#/]+\]`;
const NEXT_OPERAND = String.raw`[ \t]*,[ \t]*(${OPERAND})`;

/**
 * PLAIN_LINE matches a line as programs are written (`label:`, `add %r1, 2`, `stxdw [%r10-8], %r1  # spill`): an
 * optional label, a lowercase mnemonic, up to three operands without white space or brackets inside (a memory
 * operand whole), an optional comment. Its groups are the label, the mnemonic and the operands exactly as the general
 * reading in ./assembler.ts finds them, in one match instead of a dozen string operations per line. `lock` lines
 * are excluded by their caller (their operands are read differently).
 */
export const PLAIN_LINE = new RegExp(
  String.raw`^[ \t]*(?:([A-Za-z_.$][\w.$]*):)?[ \t]*(?:([a-z][a-z0-9]*)(?:[ \t]+(${OPERAND})(?:${NEXT_OPERAND}(?:${NEXT_OPERAND})?)?)?)?[ \t]*(?:(?:#|//).*)?$`,
);

/** splitOperands splits the text after a mnemonic on commas that are outside brackets. */
export function splitOperands(text: string): string[] {
  if (text.trim() === '') return [];
  // Without brackets every comma splits.
  if (!text.includes('[') && !text.includes(']')) {
    const out = text.split(',');
    for (let i = 0; i < out.length; i++) out[i] = out[i].trim();
    return out;
  }
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** lockOperands keeps `[fetch] op [mem]` together as the first operand and the source register as the second. */
export function lockOperands(rest: string): string[] {
  const close = rest.lastIndexOf(']');
  if (close < 0) return [rest];
  const tail = rest.slice(close + 1).replace(/^\s*,/, '');
  return [rest.slice(0, close + 1), tail.trim()].filter((s) => s !== '');
}

const REGISTER = /^%r(\d+)$/i;
/** The usual spellings of the registers, looked up whole before the pattern is tried. */
const REGISTER_NAMES = new Map(Array.from({ length: 16 }, (_, n) => [`%r${n}`, n]));

/** register reads `%rN` (or `%RN`), N decimal from 0 to 15. */
export function register(text: string): number {
  const n = REGISTER_NAMES.get(text);
  if (n !== undefined) return n;
  const m = REGISTER.exec(text.trim());
  if (!m || Number(m[1]) > 15) return fail(`invalid register "${text}"`);
  return Number(m[1]);
}

/** parseInteger parses `[+-]digits` or `[+-]0xhex` into a BigInt, the conformance rule for immediates. */
export function parseInteger(text: string): bigint | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|[0-9]+)$/i.exec(text.trim());
  if (!m) return undefined;
  const v = BigInt(m[2]);
  return m[1] === '-' ? -v : v;
}

/** intIn reads an integer of the range min..max, `what` naming it in the error. */
export function intIn(text: string, what: string, min: bigint, max: bigint): bigint {
  const v = parseInteger(text);
  if (v === undefined) return fail(`invalid ${what} "${text}"`);
  if (v < min || v > max) return fail(`${what} ${text.trim()} is out of range ${min}..${max}`);
  return v;
}

/** A decimal of at most 9 digits: exact as a Number and within 32 bits, so `field` needs no BigInt for it. */
const SMALL_DECIMAL = /^[+-]?\d{1,9}$/;
const UNSIGNED_HEX = /^\+?0x/i;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT16_MIN = -(2 ** 15);
const INT16_MAX = 2 ** 15 - 1;

/**
 * field reads a signed field of `bits` bits as bpf_conformance's assembler does (since its 2026 range checks): a
 * decimal value must fit the signed range, a hex value may also spell the field's bit pattern (0xffffffff is -1 in
 * an immediate); nothing is truncated silently.
 */
function field(text: string, what: 'immediate' | 'offset' | 'jump offset', bits: 16 | 32): number {
  if (SMALL_DECIMAL.test(text)) {
    // In range: the value itself (`| 0` turns -0 into 0, as the BigInt path does); out of range or with white space
    // around: the path below. The bounds are constants: `2 ** 31` here would be a new heap number per call in V8's
    // interpreter.
    const n = Number(text);
    if (bits === 32 ? n >= INT32_MIN && n <= INT32_MAX : n >= INT16_MIN && n <= INT16_MAX) return n | 0;
  }
  const t = text.trim();
  const v = parseInteger(text);
  if (v === undefined) return fail(`invalid ${what} "${text}"`);
  const half = 1n << BigInt(bits - 1);
  const unsignedHex = UNSIGNED_HEX.test(t);
  if (v < -half || v >= (unsignedHex ? 2n * half : half)) {
    const hint = unsignedHex || what === 'jump offset' ? '' : v >= half && v < 2n * half ? ` (write 0x${v.toString(16)} for the bit pattern)` : '';
    return fail(`${what} ${t} does not fit in a signed ${bits}-bit field${hint}`);
  }
  return Number(BigInt.asIntN(bits, v));
}

/** imm32 reads a 32-bit immediate. */
export const imm32 = (t: string): number => field(t, 'immediate', 32);
/** off16 reads a 16-bit memory offset. */
export const off16 = (t: string): number => field(t, 'offset', 16);
/** jumpOff16 reads a 16-bit jump offset. */
export const jumpOff16 = (t: string): number => field(t, 'jump offset', 16);

const MEM_OPERAND = /^\[\s*(%r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+)\s*)?\]$/i;

/** memOperand reads `[%rN]`, `[%rN+off]` or `[%rN-off]`. */
export function memOperand(text: string): { base: number; off: number } {
  const m = MEM_OPERAND.exec(text.trim());
  if (!m) return fail(`invalid memory operand "${text}", expected [%rN+off]`);
  const off = m[2] ? off16(m[2] + m[3]) : 0;
  return { base: register(m[1]), off };
}
