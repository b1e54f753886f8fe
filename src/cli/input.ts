/**
 * Reading the CLI's inputs: program files (conformance `.data`, assembly, raw bytecode as binary or hex text) and
 * byte arguments given as a file name or as hex. This and the plugin are the only places that read files.
 */
import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import { parseConformanceFile, programOf, type ConformanceTest } from '../../conformance/reader.js';
import { AsmError, LoadError, UsageError } from '../errors.js';
import { assembleWithLines, decodeProgram, type Insn } from '../isa/index.js';
import { parseHex } from '../runtime/inputs.js';
import { fileErrorReason } from './files.js';

// Through `require`, as in stdio.ts: an ES module import of node:fs would load fs/promises and the stream stack.
const fs: typeof import('node:fs') = createRequire(import.meta.url)('node:fs');

/** ProgramFile is a program read from disk. */
export interface ProgramFile {
  path: string;
  format: 'data' | 'asm' | 'hex' | 'binary';
  insns: Insn[];
  /** Source line of each slot, for assembly input. */
  lines?: number[];
  /** The parsed test, for `.data` input (its memory and expected result). */
  test?: ConformanceTest;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/**
 * isElfFile reports whether a file's bytes start with the ELF magic: what `verify` asks before choosing the object
 * path, without loading the loader's ELF module for a raw program (the loader checks the rest of the header).
 */
export function isElfFile(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((m, i) => bytes[i] === m);
}

/** readFile reads a whole file, reporting a missing or unreadable file as invalid input. */
export function readFile(path: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(path));
  } catch (e) {
    throw new LoadError('io', `cannot read ${path}: ${fileErrorReason(e)}`, { section: path }, { cause: e });
  }
}

/** readBytesArg reads an option given as FILE or HEX: an existing file's bytes, otherwise hex text. */
export function readBytesArg(arg: string, what: string): Uint8Array {
  if (fs.existsSync(arg)) return readFile(arg);
  return parseHex(arg, what);
}

function looksLikeHexText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (!/[0-9a-fA-Fx\s,]/.test(c)) return false;
  }
  return true;
}

/** ReadOptions narrows what readProgramFile accepts. */
export interface ReadOptions {
  /** Only assembly: a `.data` file's program or text to assemble (what `asm` reads); binary bytecode is refused. */
  assembly?: boolean;
}

/** isText reports whether bytes look like text (no NUL and valid UTF-8), as assembly must. */
function isText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** readProgramFile loads a program from `.data`, `.asm`/`.s`, or raw bytecode (binary or hex text). */
export function readProgramFile(path: string, opts: ReadOptions = {}): ProgramFile {
  const bytes = readFile(path);
  const ext = extname(path).toLowerCase();
  if (isElfFile(bytes)) {
    // Only `disasm` and `asm` get here (run and compile load objects themselves): point to the command for objects.
    throw new LoadError('elf-object', `${path} is an ELF object: to see its programs' instructions, use "bpftime-vm prog dump ${path}"`, { section: path });
  }
  const text = () => new TextDecoder().decode(bytes);
  if (ext === '.data') {
    const test = parseConformanceFile(basename(path), text());
    if (test.skip) throw new LoadError('bad-data-file', `${path}: ${test.skip}`, { section: path });
    return { path, format: 'data', insns: programOf(test), test };
  }
  if (ext === '.asm' || ext === '.s' || (opts.assembly && isText(bytes))) {
    try {
      const { insns, lines } = assembleWithLines(text());
      return { path, format: 'asm', insns, lines };
    } catch (e) {
      if (!(e instanceof AsmError)) throw e;
      throw new AsmError(e.code, `${path}: ${e.message}`, { ...e.location, section: path }, { cause: e });
    }
  }
  if (opts.assembly) throw new LoadError('not-assembly', `${path} is not assembly text: asm reads .asm/.s files or the program of a .data file`, { section: path });
  if (looksLikeHexText(bytes)) return { path, format: 'hex', insns: decodeProgram(parseHex(text(), path), path) };
  return { path, format: 'binary', insns: decodeProgram(bytes, path) };
}
