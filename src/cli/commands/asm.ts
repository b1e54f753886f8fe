/** `bpftime-vm asm FILE`: assemble text into raw bytecode. */
import { encodeProgram } from '../../isa/index.js';
import type { Command } from '../command.js';
import { writeOutput } from '../files.js';
import { readProgramFile } from '../input.js';
import { EXIT } from '../output.js';

const toHex = (b: Uint8Array): string =>
  [...b].map((x, i) => x.toString(16).padStart(2, '0') + ((i + 1) % 8 === 0 ? '\n' : ' ')).join('');

/** assembleFile implements `asm` (declared in ../commands-list.ts). */
export const assembleFile: Command['run'] = ({ flags, positionals }, out) => {
  const file = readProgramFile(positionals[0], { assembly: true });
  const bytes = encodeProgram(file.insns);
  const format = (flags.format as string | undefined) ?? (flags.output ? 'bin' : 'hex');
  const body = format === 'hex' ? toHex(bytes) : bytes;
  if (flags.output) writeOutput(String(flags.output), body);
  if (out.json) {
    out.data({ file: file.path, output: flags.output ?? null, format, slots: file.insns.length, bytes: bytes.length, ...(flags.output ? {} : { hex: Buffer.from(bytes).toString('hex') }) });
  } else if (!flags.output) {
    if (format === 'bin') out.bytes(bytes);
    else out.text(toHex(bytes));
  } else {
    out.note(`wrote ${bytes.length} bytes (${file.insns.length} slots) to ${flags.output}`);
  }
  return EXIT.ok;
};
