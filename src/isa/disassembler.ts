/**
 * The disassembler: plain assembly that the assembler reads back (round trip), or an llvm-objdump-like listing with
 * slot offsets, raw bytes and jump destinations. Slots that are not instructions print as `.insn` directives, so any
 * bytes can be listed.
 */
import { classify } from './forms.js';
import { formatInsn, isCleanSecondSlot } from './format.js';
import { encodeInsn, type Insn } from './insn.js';
import { jumpTarget } from './validate.js';
import { OP_LDDW } from './opcodes.js';

/** DisasmLine is one instruction of a disassembly. */
export interface DisasmLine {
  /** Slot index (pc). */
  pc: number;
  /** Number of slots (2 for lddw). */
  slots: number;
  /** Raw bytes of all slots, as hex pairs. */
  bytes: string[];
  /** The instruction text. */
  text: string;
  /** Absolute destination slot of a jump, local call or pseudo-func load. */
  target?: number;
}

function slotBytes(ins: Insn): string[] {
  const b = new Uint8Array(8);
  encodeInsn(ins, b, 0);
  return [...b].map((x) => x.toString(16).padStart(2, '0'));
}

/** disassembleLines decodes every instruction of a program into structured lines. */
export function disassembleLines(insns: readonly Insn[]): DisasmLine[] {
  const out: DisasmLine[] = [];
  for (let pc = 0; pc < insns.length; pc++) {
    const ins = insns[pc];
    const form = classify(ins);
    const isLddw = ins.opcode === OP_LDDW && form.kind !== 'invalid';
    const wide = isLddw && isCleanSecondSlot(insns[pc + 1]);
    const line: DisasmLine = {
      pc,
      slots: wide ? 2 : 1,
      bytes: wide ? [...slotBytes(ins), ...slotBytes(insns[pc + 1])] : slotBytes(ins),
      // A lddw without a well-formed second slot prints raw, so the listing still assembles back to these bytes.
      text: formatInsn(insns, pc),
    };
    if (form.kind !== 'invalid' && (wide || !isLddw)) {
      const target = jumpTarget(form, ins, pc);
      if (target !== undefined) line.target = target;
    }
    out.push(line);
    if (wide) pc++;
  }
  return out;
}

/** disassemble prints plain assembly, one instruction per line, that `assemble` turns back into the same slots. */
export function disassemble(insns: readonly Insn[]): string {
  return disassembleLines(insns)
    .map((l) => l.text + '\n')
    .join('');
}

/** listing prints an llvm-objdump-style listing: slot offset, bytes, instruction and jump destination. */
export function listing(insns: readonly Insn[]): string {
  const lines = disassembleLines(insns);
  const entries = new Set(
    lines.filter((l) => l.target !== undefined && /^(call local|lddw .*func)/.test(l.text)).map((l) => l.target),
  );
  let out = '';
  for (const l of lines) {
    if (l.pc !== 0 && entries.has(l.pc)) out += `\n<subprogram at ${l.pc}>:\n`;
    const arrow = l.target !== undefined ? `  # -> ${l.target}` : '';
    out += `${String(l.pc).padStart(8)}:\t${l.bytes.slice(0, 8).join(' ')}\t${l.text}${arrow}\n`;
    if (l.slots === 2) out += `${' '.repeat(9)}\t${l.bytes.slice(8).join(' ')}\n`;
  }
  return out;
}
