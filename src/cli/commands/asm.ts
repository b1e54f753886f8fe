/** `bpftime-vm asm FILE`: assemble text into raw bytecode. */
import { writeFileSync } from 'node:fs';
import { encodeProgram } from '../../isa/index.js';
import type { Command } from '../command.js';
import { readProgramFile } from '../input.js';
import { EXIT } from '../output.js';

const toHex = (b: Uint8Array): string =>
  [...b].map((x, i) => x.toString(16).padStart(2, '0') + ((i + 1) % 8 === 0 ? '\n' : ' ')).join('');

export const asmCommand: Command = {
  spec: {
    name: 'asm',
    summary: 'assemble bpf_conformance-syntax assembly into raw bytecode',
    args: [{ name: 'file', description: '.asm/.s file (or a .data file, whose asm section is used)' }],
    options: [
      { name: 'output', short: 'o', kind: 'string', value: 'OUT', description: 'write bytecode to OUT (default: hex on stdout)' },
      { name: 'format', kind: 'string', value: 'FMT', choices: ['bin', 'hex'], description: 'output encoding (default: bin with -o, hex on stdout)' },
    ],
  },
  run({ flags, positionals }, out) {
    const file = readProgramFile(positionals[0]);
    const bytes = encodeProgram(file.insns);
    const format = (flags.format as string | undefined) ?? (flags.output ? 'bin' : 'hex');
    const body = format === 'hex' ? toHex(bytes) : bytes;
    if (flags.output) writeFileSync(String(flags.output), body);
    if (out.json) {
      out.data({ file: file.path, output: flags.output ?? null, format, slots: file.insns.length, bytes: bytes.length, ...(flags.output ? {} : { hex: Buffer.from(bytes).toString('hex') }) });
    } else if (!flags.output) {
      if (format === 'bin') process.stdout.write(bytes);
      else out.text(toHex(bytes));
    } else {
      out.note(`wrote ${bytes.length} bytes (${file.insns.length} slots) to ${flags.output}`);
    }
    return EXIT.ok;
  },
};
