/** `bpftime-vm disasm FILE`: an objdump-like listing, or plain assembly that `asm` reads back. */
import { disassemble, disassembleLines, listing } from '../../isa/index.js';
import type { Command } from '../command.js';
import { readProgramFile } from '../input.js';
import { EXIT } from '../output.js';

export const disasmCommand: Command = {
  spec: {
    name: 'disasm',
    summary: 'disassemble a program (listing with slot offsets and bytes, or plain assembly)',
    args: [{ name: 'file', description: 'raw bytecode (binary or hex text), .asm or .data file' }],
    options: [{ name: 'asm', kind: 'boolean', description: 'print plain assembly, one instruction per line (round-trips through asm)' }],
  },
  run({ flags, positionals }, out) {
    const file = readProgramFile(positionals[0]);
    if (out.json) {
      out.data({ file: file.path, slots: file.insns.length, instructions: disassembleLines(file.insns) });
    } else {
      out.text(flags.asm ? disassemble(file.insns) : listing(file.insns));
    }
    return EXIT.ok;
  },
};
