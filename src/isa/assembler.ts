/**
 * The assembler for the bpf_conformance syntax: one instruction per line, `#` comments, `label:` lines, jump targets as
 * labels or `+N`/`-N` slot offsets, an implicit `exit` label on the first `exit`, immediates in hex when they contain
 * `0x` and decimal otherwise. It also accepts everything `format.ts` prints (pseudo lddw, kfunc calls, `.insn`).
 */
import { AsmError } from '../errors.js';
import { ALU_OP_CODES, ATOMIC_OP_CODES, JMP_COND_CODES, type AluOp, type AtomicOp, type JmpCond } from './forms.js';
import { LDDW_PSEUDO_NAMES } from './format.js';
import { insn, type Insn } from './insn.js';
import * as op from './opcodes.js';

/** Assembled is the output of `assembleWithLines`: slots and, per slot, the 1-based source line. */
export interface Assembled {
  insns: Insn[];
  lines: number[];
}

const SIZE_BITS: Record<string, number> = { b: op.SIZE_B, h: op.SIZE_H, w: op.SIZE_W, dw: op.SIZE_DW };
const PSEUDO_BY_NAME = new Map(Object.entries(LDDW_PSEUDO_NAMES).map(([k, v]) => [v, Number(k)]));

// The ALU and conditional jump mnemonics with their width suffix (`add`, `add32`, `add64`; `jeq`, `jeq32`), looked up
// whole: the same set the patterns `([a-z]+?)(32|64)?` and `(j[a-z]+?)(32)?` accept with a known operation. A command
// assembles once, in V8's interpreter, where a chain of regular expressions per line and BigInt immediates were most of
// the cost (~1300 lines: 13-16 ms cold before, 6-7 after these fast paths at load 5.7; bench/RESULTS.md, "the process
// around the verification").
const ALU_MNEMONICS = new Map<string, [AluOp, '32' | '64' | undefined]>();
for (const name of Object.keys(ALU_OP_CODES) as AluOp[]) {
  for (const suffix of [undefined, '32', '64'] as const) ALU_MNEMONICS.set(name + (suffix ?? ''), [name, suffix]);
}
const JMP_MNEMONICS = new Map<string, [JmpCond, boolean]>();
for (const name of Object.keys(JMP_COND_CODES) as JmpCond[]) {
  JMP_MNEMONICS.set(name, [name, false]);
  JMP_MNEMONICS.set(`${name}32`, [name, true]);
}
/** A decimal of at most 9 digits: exact as a Number and within 32 bits, so `field` needs no BigInt for it. */
const SMALL_DECIMAL = /^[+-]?\d{1,9}$/;

class LineError extends Error {}
const fail = (msg: string): never => {
  throw new LineError(msg);
};

/** parseInteger parses `[+-]digits` or `[+-]0xhex` into a BigInt, the conformance rule for immediates. */
export function parseInteger(text: string): bigint | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|[0-9]+)$/i.exec(text.trim());
  if (!m) return undefined;
  const v = BigInt(m[2]);
  return m[1] === '-' ? -v : v;
}

function intIn(text: string, what: string, min: bigint, max: bigint): bigint {
  const v = parseInteger(text);
  if (v === undefined) return fail(`invalid ${what} "${text}"`);
  if (v < min || v > max) return fail(`${what} ${text.trim()} is out of range ${min}..${max}`);
  return v;
}

/**
 * field reads a signed field of `bits` bits as bpf_conformance's assembler does (since its 2026 range checks): a
 * decimal value must fit the signed range, a hex value may also spell the field's bit pattern (0xffffffff is -1 in
 * an immediate); nothing is truncated silently.
 */
function field(text: string, what: 'immediate' | 'offset' | 'jump offset', bits: 16 | 32): number {
  const t = text.trim();
  if (SMALL_DECIMAL.test(t)) {
    // In range: the value itself (`| 0` turns -0 into 0, as the BigInt path does); out of range: the path below words
    // the error.
    const n = Number(t);
    if (n >= -(2 ** (bits - 1)) && n < 2 ** (bits - 1)) return n | 0;
  }
  const v = parseInteger(text);
  if (v === undefined) return fail(`invalid ${what} "${text}"`);
  const half = 1n << BigInt(bits - 1);
  const unsignedHex = /^\+?0x/i.test(text.trim());
  if (v < -half || v >= (unsignedHex ? 2n * half : half)) {
    const hint = unsignedHex || what === 'jump offset' ? '' : v >= half && v < 2n * half ? ` (write 0x${v.toString(16)} for the bit pattern)` : '';
    return fail(`${what} ${text.trim()} does not fit in a signed ${bits}-bit field${hint}`);
  }
  return Number(BigInt.asIntN(bits, v));
}

const imm32 = (t: string): number => field(t, 'immediate', 32);
const off16 = (t: string): number => field(t, 'offset', 16);
const jumpOff16 = (t: string): number => field(t, 'jump offset', 16);

function register(text: string): number {
  const m = /^%r(\d+)$/i.exec(text.trim());
  if (!m || Number(m[1]) > 15) return fail(`invalid register "${text}"`);
  return Number(m[1]);
}

function memOperand(text: string): { base: number; off: number } {
  const m = /^\[\s*(%r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+)\s*)?\]$/i.exec(text.trim());
  if (!m) return fail(`invalid memory operand "${text}", expected [%rN+off]`);
  const off = m[2] ? off16(m[2] + m[3]) : 0;
  return { base: register(m[1]), off };
}

/** A pending jump: the slot, which field holds the target, and the label or numeric offset. */
interface Target {
  slot: number;
  field: 'off' | 'imm';
  label: string;
  line: number;
}

class Assembler {
  readonly insns: Insn[] = [];
  readonly lines: number[] = [];
  readonly labels = new Map<string, number>();
  readonly targets: Target[] = [];
  implicitExit: number | undefined;
  line = 0;

  private emit(ins: Insn): void {
    this.insns.push(ins);
    this.lines.push(this.line);
  }

  /** target resolves `+N`/`-N` now, or records a label for the fix-up pass. */
  private target(text: string, field: 'off' | 'imm'): number {
    const t = text.trim();
    if (/^[+-]/.test(t)) return field === 'off' ? jumpOff16(t) : imm32(t);
    if (!/^[A-Za-z_.$][\w.$]*$/.test(t)) fail(`invalid jump target "${t}"`);
    this.targets.push({ slot: this.insns.length, field, label: t, line: this.line });
    return 0;
  }

  statement(mnemonic: string, operands: string[]): void {
    const want = (n: number): void => {
      if (operands.length !== n) fail(`${mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, got ${operands.length}`);
    };
    let m: RegExpExecArray | null;
    if (mnemonic === 'exit') {
      want(0);
      if (this.implicitExit === undefined) this.implicitExit = this.insns.length;
      return this.emit(insn(op.OP_EXIT));
    }
    if (mnemonic === 'call') return this.call(operands);
    if (mnemonic === 'lock') return this.atomic(operands);
    if (mnemonic === 'lddw') return this.lddw(operands);
    if (mnemonic === '.insn') {
      want(5);
      const [o, d, s, f, i] = operands;
      return this.emit(insn(Number(intIn(o, 'opcode', 0n, 255n)), Number(intIn(d, 'dst', 0n, 15n)),
        Number(intIn(s, 'src', 0n, 15n)), off16(f), imm32(i)));
    }
    if ((m = /^(ja)(32)?$/.exec(mnemonic))) {
      want(1);
      if (m[2]) return this.emit(insn(op.OP_JA32, 0, 0, 0, this.target(operands[0], 'imm')));
      return this.emit(insn(op.OP_JA, 0, 0, this.target(operands[0], 'off')));
    }
    const jmp = JMP_MNEMONICS.get(mnemonic);
    if (jmp) {
      want(3);
      const cls = jmp[1] ? op.CLASS_JMP32 : op.CLASS_JMP;
      const code = cls | JMP_COND_CODES[jmp[0]];
      const dst = register(operands[0]);
      const isReg = operands[1].trim().startsWith('%');
      const off = this.target(operands[2], 'off');
      if (isReg) return this.emit(insn(code | op.SRC_X, dst, register(operands[1]), off));
      return this.emit(insn(code | op.SRC_K, dst, 0, off, imm32(operands[1])));
    }
    if ((m = /^movsx(8|16|32)(32|64)$/.exec(mnemonic))) {
      want(2);
      const is64 = m[2] === '64';
      if (!is64 && m[1] === '32') fail('movsx3232 is not an instruction');
      const code = (is64 ? op.CLASS_ALU64 : op.CLASS_ALU) | op.ALU_MOV | op.SRC_X;
      return this.emit(insn(code, register(operands[0]), register(operands[1]), Number(m[1])));
    }
    if ((m = /^(le|be|bswap|swap)(16|32|64)$/.exec(mnemonic))) {
      want(1);
      const code =
        m[1] === 'le'
          ? op.CLASS_ALU | op.ALU_END | op.END_TO_LE
          : m[1] === 'be'
            ? op.CLASS_ALU | op.ALU_END | op.END_TO_BE
            : op.CLASS_ALU64 | op.ALU_END | op.END_TO_LE;
      return this.emit(insn(code, register(operands[0]), 0, 0, Number(m[2])));
    }
    const alu = ALU_MNEMONICS.get(mnemonic);
    if (alu) return this.alu(alu[0], alu[1], operands);
    if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(mnemonic))) {
      want(2);
      if (m[1] && m[2] === 'dw') fail('ldxsdw is not an instruction');
      const { base, off } = memOperand(operands[1]);
      const mode = m[1] ? op.MODE_MEMSX : op.MODE_MEM;
      return this.emit(insn(op.CLASS_LDX | mode | SIZE_BITS[m[2]], register(operands[0]), base, off));
    }
    if ((m = /^st(x?)(b|h|w|dw)$/.exec(mnemonic))) {
      want(2);
      const { base, off } = memOperand(operands[0]);
      if (m[1]) return this.emit(insn(op.CLASS_STX | op.MODE_MEM | SIZE_BITS[m[2]], base, register(operands[1]), off));
      return this.emit(insn(op.CLASS_ST | op.MODE_MEM | SIZE_BITS[m[2]], base, 0, off, imm32(operands[1])));
    }
    if ((m = /^ld(abs|ind)(b|h|w)$/.exec(mnemonic))) {
      if (m[1] === 'abs') {
        want(1);
        return this.emit(insn(op.CLASS_LD | op.MODE_ABS | SIZE_BITS[m[2]], 0, 0, 0, imm32(operands[0])));
      }
      want(2);
      return this.emit(insn(op.CLASS_LD | op.MODE_IND | SIZE_BITS[m[2]], 0, register(operands[0]), 0, imm32(operands[1])));
    }
    if ((m = /^(ldacq|strel)(b|h|w|dw)$/.exec(mnemonic))) {
      want(2);
      const code = op.CLASS_STX | op.MODE_ATOMIC | SIZE_BITS[m[2]];
      if (m[1] === 'ldacq') {
        const { base, off } = memOperand(operands[1]);
        return this.emit(insn(code, register(operands[0]), base, off, op.ATOMIC_LOAD_ACQ));
      }
      const { base, off } = memOperand(operands[0]);
      return this.emit(insn(code, base, register(operands[1]), off, op.ATOMIC_STORE_REL));
    }
    fail(`unknown mnemonic "${mnemonic}"`);
  }

  private alu(name: AluOp, suffix: string | undefined, operands: string[]): void {
    const cls = suffix === '32' ? op.CLASS_ALU : op.CLASS_ALU64;
    const signed = name === 'sdiv' || name === 'smod' ? 1 : 0;
    const code = cls | ALU_OP_CODES[name];
    if (name === 'neg') {
      if (operands.length !== 1) fail(`neg takes 1 operand, got ${operands.length}`);
      return this.emit(insn(code | op.SRC_K, register(operands[0])));
    }
    if (operands.length !== 2) fail(`${name}${suffix ?? ''} takes 2 operands, got ${operands.length}`);
    const dst = register(operands[0]);
    if (operands[1].trim().startsWith('%')) return this.emit(insn(code | op.SRC_X, dst, register(operands[1]), signed));
    return this.emit(insn(code | op.SRC_K, dst, 0, signed, imm32(operands[1])));
  }

  private call(operands: string[]): void {
    if (operands.length !== 1) fail(`call takes 1 operand, got ${operands.length}`);
    const words = operands[0].trim().split(/\s+/);
    const [mode, arg] = words.length === 1 ? ['helper', words[0]] : words;
    if (words.length > 2) fail(`invalid call operand "${operands[0]}"`);
    if (mode === 'helper' && arg.startsWith('%')) return this.emit(insn(op.OP_CALLX, register(arg)));
    if (mode === 'helper') return this.emit(insn(op.OP_CALL, 0, op.CALL_HELPER, 0, imm32(arg)));
    if (mode === 'local') return this.emit(insn(op.OP_CALL, 0, op.CALL_LOCAL, 0, this.target(arg, 'imm')));
    if (mode === 'kfunc' || mode === 'runtime') return this.emit(insn(op.OP_CALL, 0, op.CALL_KFUNC, 0, imm32(arg)));
    fail(`unknown call mode "${mode}", expected helper, local, kfunc or runtime`);
  }

  private atomic(operands: string[]): void {
    // `lock [fetch] op [mem], %rS`: the first operand holds the words before the memory operand.
    if (operands.length !== 2) fail(`lock takes an operation, a memory operand and a register`);
    const m = /^(fetch\s+)?([a-z]+?)(32)?\s+(\[.*\])$/.exec(operands[0].trim());
    if (!m || !Object.hasOwn(ATOMIC_OP_CODES, m[2])) fail(`invalid atomic operation "${operands[0].trim()}"`);
    const name = m![2] as AtomicOp;
    const fetch = m![1] !== undefined || name === 'xchg' || name === 'cmpxchg';
    const { base, off } = memOperand(m![4]);
    const code = m![3] ? op.OP_ATOMIC_W : op.OP_ATOMIC_DW;
    const imm = ATOMIC_OP_CODES[name] | (fetch ? op.ATOMIC_FETCH : 0);
    return this.emit(insn(code, base, register(operands[1]), off, imm));
  }

  private lddw(operands: string[]): void {
    if (operands.length < 2 || operands.length > 3) fail(`lddw takes 2 or 3 operands, got ${operands.length}`);
    const dst = register(operands[0]);
    const words = operands[1].trim().split(/\s+/);
    if (words.length === 1 && operands.length === 2) {
      const v = intIn(words[0], 'immediate', -(2n ** 63n), 2n ** 64n - 1n);
      const u = BigInt.asUintN(64, v);
      this.emit(insn(op.OP_LDDW, dst, 0, 0, Number(BigInt.asIntN(32, u))));
      return this.emit(insn(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n))));
    }
    const pseudo = PSEUDO_BY_NAME.get(words[0]);
    if (pseudo === undefined || words.length !== 2) fail(`invalid lddw operand "${operands[1].trim()}"`);
    const first = pseudo === op.PSEUDO_FUNC ? this.target(words[1], 'imm') : imm32(words[1]);
    const second = operands.length === 3 ? imm32(operands[2]) : 0;
    this.emit(insn(op.OP_LDDW, dst, pseudo, 0, first));
    this.emit(insn(0, 0, 0, 0, second));
  }

  resolve(): void {
    for (const t of this.targets) {
      const at = this.labels.get(t.label) ?? (t.label === 'exit' ? this.implicitExit : undefined);
      if (at === undefined) throw new AsmError('unknown-label', `line ${t.line}: unknown label "${t.label}"`, { line: t.line });
      const rel = at - (t.slot + 1);
      if (t.field === 'off' && (rel < -32768 || rel > 32767)) {
        throw new AsmError('range', `line ${t.line}: label "${t.label}" is ${rel} slots away, beyond a 16-bit offset`, {
          line: t.line,
        });
      }
      this.insns[t.slot][t.field] = rel;
    }
  }
}

/** splitOperands splits the text after a mnemonic on commas that are outside brackets. */
function splitOperands(text: string): string[] {
  if (text.trim() === '') return [];
  // Without brackets every comma splits.
  if (!text.includes('[') && !text.includes(']')) return text.split(',').map((s) => s.trim());
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

/** assembleWithLines assembles text and keeps the source line of every slot. */
export function assembleWithLines(text: string): Assembled {
  const a = new Assembler();
  const srcLines = text.split(/\r?\n/);
  for (let n = 0; n < srcLines.length; n++) {
    a.line = n + 1;
    const src = srcLines[n];
    let body = (src.includes('#') || src.includes('//') ? src.replace(/(#|\/\/).*$/, '') : src).trim();
    const label = body.includes(':') ? /^([A-Za-z_.$][\w.$]*):/.exec(body) : null;
    if (label) {
      if (a.labels.has(label[1])) {
        throw new AsmError('duplicate-label', `line ${a.line}: duplicate label "${label[1]}"`, { line: a.line });
      }
      a.labels.set(label[1], a.insns.length);
      body = body.slice(label[0].length).trim();
    }
    if (!body) continue;
    const sp = body.search(/\s/);
    const mnemonic = (sp < 0 ? body : body.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? '' : body.slice(sp + 1);
    try {
      a.statement(mnemonic, mnemonic === 'lock' ? lockOperands(rest) : splitOperands(rest));
    } catch (e) {
      if (e instanceof LineError) throw new AsmError('syntax', `line ${a.line}: ${e.message}`, { line: a.line });
      throw e;
    }
  }
  a.resolve();
  return { insns: a.insns, lines: a.lines };
}

/** lockOperands keeps `[fetch] op [mem]` together as the first operand and the source register as the second. */
function lockOperands(rest: string): string[] {
  const close = rest.lastIndexOf(']');
  if (close < 0) return [rest];
  const tail = rest.slice(close + 1).replace(/^\s*,/, '');
  return [rest.slice(0, close + 1), tail.trim()].filter((s) => s !== '');
}

/** assemble assembles text into instruction slots. */
export function assemble(text: string): Insn[] {
  return assembleWithLines(text).insns;
}
