/** `bpftime-vm disasm FILE`: an objdump-like listing, or plain assembly that `asm` reads back. */
import { disassemble, disassembleLines, listing } from '../../isa/index.js';
import type { Command } from '../command.js';
import { readProgramFile } from '../input.js';
import { EXIT } from '../output.js';

/** disassembleFile implements `disasm` (declared in ../commands-list.ts). */
export const disassembleFile: Command['run'] = ({ flags, positionals }, out) => {
  const file = readProgramFile(positionals[0]);
  if (out.json) {
    out.data({ file: file.path, slots: file.insns.length, instructions: disassembleLines(file.insns) });
  } else {
    out.text(flags.asm ? disassemble(file.insns) : listing(file.insns));
  }
  return EXIT.ok;
};
