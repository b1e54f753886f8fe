/**
 * The assembler for the bpf_conformance syntax: one instruction per line, `#` comments, `label:` lines, jump targets as
 * labels or `+N`/`-N` slot offsets, an implicit `exit` label on the first `exit`, immediates in hex when they contain
 * `0x` and decimal otherwise. It also accepts everything `format.ts` prints (pseudo lddw, kfunc calls, `.insn`).
 */
import { AsmError } from '../errors.js';
import { fail, imm32, intIn, jumpOff16, LineError, lockOperands, memOperand, off16, PLAIN_LINE, register, splitOperands } from './asm-syntax.js';
import { ATOMIC_OP_CODES, type AtomicOp } from './forms.js';
import { LDDW_PSEUDO_NAMES } from './format.js';
import { insn, type Insn } from './insn.js';
import { decodeMnemonic, SIZE_BITS, type Mnemonic } from './mnemonics.js';
import * as op from './opcodes.js';

export { parseInteger } from './asm-syntax.js';

/** Assembled is the output of `assembleWithLines`: slots and, per slot, the 1-based source line. */
export interface Assembled {
  insns: Insn[];
  lines: number[];
}

const PSEUDO_BY_NAME = new Map(Object.entries(LDDW_PSEUDO_NAMES).map(([k, v]) => [v, Number(k)]));
// Module constants: a regular expression literal in a function body makes a new RegExp object at every evaluation.
const LABEL_DEF = /^([A-Za-z_.$][\w.$]*):/;
const LABEL_NAME = /^[A-Za-z_.$][\w.$]*$/;
const COMMENT = /(#|\/\/).*$/;
const WORDS = /\s+/;
const WHITE_SPACE = /\s/;
const ATOMIC_OPERATION = /^(fetch\s+)?([a-z]+?)(32)?\s+(\[.*\])$/;
const PLUS = 43;
const MINUS = 45;
const PERCENT = 37;

/** want checks the number of operands of a mnemonic. */
function want(mnemonic: string, operands: string[], n: number): void {
  if (operands.length !== n) fail(`${mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, got ${operands.length}`);
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
  readonly mnemonics = new Map<string, Mnemonic | undefined>();
  implicitExit: number | undefined;
  line = 0;

  private emit(ins: Insn): void {
    this.insns.push(ins);
    this.lines.push(this.line);
  }

  /** label defines a label at the next slot. */
  label(name: string): void {
    if (this.labels.has(name)) {
      throw new AsmError('duplicate-label', `line ${this.line}: duplicate label "${name}"`, { line: this.line });
    }
    this.labels.set(name, this.insns.length);
  }

  /** target resolves `+N`/`-N` now, or records a label for the fix-up pass. */
  private target(text: string, field: 'off' | 'imm'): number {
    const t = text.trim();
    const sign = t.charCodeAt(0);
    if (sign === PLUS || sign === MINUS) return field === 'off' ? jumpOff16(t) : imm32(t);
    if (!LABEL_NAME.test(t)) fail(`invalid jump target "${t}"`);
    this.targets.push({ slot: this.insns.length, field, label: t, line: this.line });
    return 0;
  }

  /** mnemonic decodes a spelling, once per spelling in the text. */
  private mnemonic(name: string): Mnemonic | undefined {
    let m = this.mnemonics.get(name);
    if (m === undefined && !this.mnemonics.has(name)) this.mnemonics.set(name, (m = decodeMnemonic(name)));
    return m;
  }

  /** statement assembles one instruction from its lowercase mnemonic and its trimmed operands. */
  statement(mnemonic: string, operands: string[]): void {
    const m = this.mnemonic(mnemonic);
    if (m === undefined) return fail(`unknown mnemonic "${mnemonic}"`);
    switch (m.kind) {
      // The usual kinds first: a switch on strings compares them in order.
      case 'alu':
        return this.alu(mnemonic, m, operands);
      case 'jcond': {
        want(mnemonic, operands, 3);
        const code = m.code;
        const dst = register(operands[0]);
        const isReg = operands[1].charCodeAt(0) === PERCENT;
        const off = this.target(operands[2], 'off');
        if (isReg) return this.emit(insn(code | op.SRC_X, dst, register(operands[1]), off));
        return this.emit(insn(code | op.SRC_K, dst, 0, off, imm32(operands[1])));
      }
      case 'exit':
        want(mnemonic, operands, 0);
        if (this.implicitExit === undefined) this.implicitExit = this.insns.length;
        return this.emit(insn(op.OP_EXIT));
      case 'call':
        return this.call(operands);
      case 'lock':
        return this.atomic(operands);
      case 'lddw':
        return this.lddw(operands);
      case '.insn': {
        want(mnemonic, operands, 5);
        const [o, d, s, f, i] = operands;
        return this.emit(insn(Number(intIn(o, 'opcode', 0n, 255n)), Number(intIn(d, 'dst', 0n, 15n)),
          Number(intIn(s, 'src', 0n, 15n)), off16(f), imm32(i)));
      }
      case 'ja':
        want(mnemonic, operands, 1);
        if (m.is32) return this.emit(insn(op.OP_JA32, 0, 0, 0, this.target(operands[0], 'imm')));
        return this.emit(insn(op.OP_JA, 0, 0, this.target(operands[0], 'off')));
      case 'movsx': {
        want(mnemonic, operands, 2);
        if (!m.is64 && m.bits === 32) fail('movsx3232 is not an instruction');
        const code = (m.is64 ? op.CLASS_ALU64 : op.CLASS_ALU) | op.ALU_MOV | op.SRC_X;
        return this.emit(insn(code, register(operands[0]), register(operands[1]), m.bits));
      }
      case 'end':
        want(mnemonic, operands, 1);
        return this.emit(insn(m.code, register(operands[0]), 0, 0, m.bits));
      case 'ldx': {
        want(mnemonic, operands, 2);
        if (m.signed && m.size === 'dw') fail('ldxsdw is not an instruction');
        const { base, off } = memOperand(operands[1]);
        const mode = m.signed ? op.MODE_MEMSX : op.MODE_MEM;
        return this.emit(insn(op.CLASS_LDX | mode | SIZE_BITS[m.size], register(operands[0]), base, off));
      }
      case 'stx': {
        want(mnemonic, operands, 2);
        const { base, off } = memOperand(operands[0]);
        return this.emit(insn(op.CLASS_STX | op.MODE_MEM | SIZE_BITS[m.size], base, register(operands[1]), off));
      }
      case 'st': {
        want(mnemonic, operands, 2);
        const { base, off } = memOperand(operands[0]);
        return this.emit(insn(op.CLASS_ST | op.MODE_MEM | SIZE_BITS[m.size], base, 0, off, imm32(operands[1])));
      }
      case 'ldabs':
        want(mnemonic, operands, 1);
        return this.emit(insn(op.CLASS_LD | op.MODE_ABS | SIZE_BITS[m.size], 0, 0, 0, imm32(operands[0])));
      case 'ldind':
        want(mnemonic, operands, 2);
        return this.emit(insn(op.CLASS_LD | op.MODE_IND | SIZE_BITS[m.size], 0, register(operands[0]), 0, imm32(operands[1])));
      case 'ldacq': {
        want(mnemonic, operands, 2);
        const { base, off } = memOperand(operands[1]);
        return this.emit(insn(op.CLASS_STX | op.MODE_ATOMIC | SIZE_BITS[m.size], register(operands[0]), base, off, op.ATOMIC_LOAD_ACQ));
      }
      case 'strel': {
        want(mnemonic, operands, 2);
        const { base, off } = memOperand(operands[0]);
        return this.emit(insn(op.CLASS_STX | op.MODE_ATOMIC | SIZE_BITS[m.size], base, register(operands[1]), off, op.ATOMIC_STORE_REL));
      }
    }
  }

  private alu(mnemonic: string, m: Extract<Mnemonic, { kind: 'alu' }>, operands: string[]): void {
    if (m.op === 'neg') {
      if (operands.length !== 1) fail(`neg takes 1 operand, got ${operands.length}`);
      return this.emit(insn(m.code | op.SRC_K, register(operands[0])));
    }
    if (operands.length !== 2) fail(`${mnemonic} takes 2 operands, got ${operands.length}`);
    const dst = register(operands[0]);
    if (operands[1].charCodeAt(0) === PERCENT) return this.emit(insn(m.code | op.SRC_X, dst, register(operands[1]), m.signed));
    return this.emit(insn(m.code | op.SRC_K, dst, 0, m.signed, imm32(operands[1])));
  }

  private call(operands: string[]): void {
    if (operands.length !== 1) fail(`call takes 1 operand, got ${operands.length}`);
    const words = operands[0].trim().split(WORDS);
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
    const m = ATOMIC_OPERATION.exec(operands[0].trim());
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
    const words = operands[1].trim().split(WORDS);
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
    // Indexed: `for...of` makes an iterator result per target in the interpreter, where a command assembles.
    for (let i = 0; i < this.targets.length; i++) {
      const t = this.targets[i];
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

/** assembleWithLines assembles text and keeps the source line of every slot. */
export function assembleWithLines(text: string): Assembled {
  const a = new Assembler();
  const srcLines = text.split(/\r?\n/);
  for (let n = 0; n < srcLines.length; n++) {
    a.line = n + 1;
    const src = srcLines[n];
    let mnemonic: string;
    let operands: string[];
    const plain = PLAIN_LINE.exec(src);
    // Each group read once, by index: destructuring would run the iterator protocol in the interpreter.
    const plainMnemonic = plain?.[2];
    if (plain !== null && plainMnemonic !== 'lock') {
      const label = plain[1];
      if (label !== undefined) a.label(label);
      if (plainMnemonic === undefined) continue;
      const o1 = plain[3];
      const o2 = plain[4];
      const o3 = plain[5];
      mnemonic = plainMnemonic;
      operands = o3 !== undefined ? [o1, o2, o3] : o2 !== undefined ? [o1, o2] : o1 !== undefined ? [o1] : [];
    } else {
      let body = (src.includes('#') || src.includes('//') ? src.replace(COMMENT, '') : src).trim();
      const label = body.includes(':') ? LABEL_DEF.exec(body) : null;
      if (label) {
        a.label(label[1]);
        body = body.slice(label[0].length).trim();
      }
      if (!body) continue;
      const sp = body.search(WHITE_SPACE);
      mnemonic = (sp < 0 ? body : body.slice(0, sp)).toLowerCase();
      const rest = sp < 0 ? '' : body.slice(sp + 1);
      operands = mnemonic === 'lock' ? lockOperands(rest) : splitOperands(rest);
    }
    try {
      a.statement(mnemonic, operands);
    } catch (e) {
      if (e instanceof LineError) throw new AsmError('syntax', `line ${a.line}: ${e.message}`, { line: a.line });
      throw e;
    }
  }
  a.resolve();
  return { insns: a.insns, lines: a.lines };
}

/** assemble assembles text into instruction slots. */
export function assemble(text: string): Insn[] {
  return assembleWithLines(text).insns;
}
