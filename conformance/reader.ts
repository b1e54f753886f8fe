/**
 * Reader for bpf_conformance `.data` files, reproducing the official runner's parser: `#` starts a comment on every
 * line, removed first; then any line containing `--` is a directive (`asm`, `result`, `mem`, `raw`, `no register
 * offset`, ` c`, `error`, tested in that order; anything else makes the file skipped), blank lines (whitespace only
 * included) are ignored, the last line of `result` and `error` wins, a result containing `0x` is hex and decimal
 * otherwise, `raw` slots take precedence over `asm`.
 *
 * bpftime-vm extension: a comment line `# bpftime-vm: KEY VALUE` before the first directive sets a runner option
 * (`budget N`, `max-call-depth N`) for that file; the official parser ignores such comments.
 */
import { AsmError } from '../src/errors.js';
import { assemble, type Insn, insn as makeInsn } from '../src/isa/index.js';

/** ConformanceTest is one parsed `.data` file. */
export interface ConformanceTest {
  name: string;
  /** Assembly text (comments removed), when the file has an `asm` section. */
  asm: string;
  /** File line number (1-based) of each line of `asm`, to report assembler errors where they are. */
  asmLines: number[];
  /** Raw instruction slots from a `raw` section, as 64-bit little-endian values. */
  raw: bigint[];
  /** Input memory bytes. */
  mem: Uint8Array;
  /** Expected r0, when the file has a `result`. */
  result?: bigint;
  /** Expected error line, when the file has an `error` section. */
  error?: string;
  /** Why the official runner would skip the file before running it. */
  skip?: string;
  /** Runner options from `# bpftime-vm:` comments. */
  options: { budget?: number; maxCallDepth?: number };
}

type State = 'ignore' | 'asm' | 'raw' | 'result' | 'mem' | 'error';

/** parseNumber reads a leading integer the way the official runner's stoull does (hex when the text has `0x`). */
export function parseNumber(text: string): bigint | undefined {
  const t = text.trim();
  const hex = t.includes('0x');
  const m = hex ? /^([+-]?)0x([0-9a-f]+)/i.exec(t) : /^([+-]?)([0-9]+)/.exec(t);
  if (!m) return undefined;
  const v = BigInt(hex ? '0x' + m[2] : m[2]);
  return BigInt.asUintN(64, m[1] === '-' ? -v : v);
}

function directive(line: string): State | 'unknown' {
  if (line.includes('asm')) return 'asm';
  if (line.includes('result')) return 'result';
  if (line.includes('mem')) return 'mem';
  if (line.includes('raw')) return 'raw';
  if (line.includes('no register offset')) return 'ignore';
  if (line.includes(' c')) return 'ignore';
  if (line.includes('error')) return 'error';
  return 'unknown';
}

function parseOption(line: string, options: ConformanceTest['options']): void {
  const m = /^#\s*bpftime-vm:\s*([a-z-]+)\s+(\d+)\s*$/.exec(line.trim());
  if (!m) return;
  if (m[1] === 'budget') options.budget = Number(m[2]);
  if (m[1] === 'max-call-depth') options.maxCallDepth = Number(m[2]);
}

/** parseConformanceFile parses the text of one `.data` file. */
export function parseConformanceFile(name: string, text: string): ConformanceTest {
  let state: State = 'ignore';
  const asm: string[] = [];
  const asmLines: number[] = [];
  let mem = '';
  let raw = '';
  let result: string | undefined;
  let error: string | undefined;
  const options: ConformanceTest['options'] = {};
  let seenDirective = false;
  const test = (extra: Partial<ConformanceTest>): ConformanceTest => ({
    name,
    asm: asm.join('\n'),
    asmLines,
    raw: [],
    mem: new Uint8Array(0),
    options,
    ...extra,
  });
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (!seenDirective) parseOption(line, options);
    // A comment ends at the end of the line and is gone before anything else looks at it, directives included
    // (bpf_conformance#242, 2024): `# see --mem` is no directive, and comments add nothing to raw, mem or result.
    if (line.includes('#')) line = line.slice(0, line.indexOf('#'));
    if (line.includes('--')) {
      const d = directive(line);
      if (d === 'unknown') return test({ skip: `unknown directive "${line}"` });
      state = d;
      seenDirective = true;
      continue;
    }
    if (line.trim() === '') continue;
    switch (state) {
      case 'asm':
        asm.push(line);
        asmLines.push(n + 1);
        break;
      case 'result':
        result = line;
        break;
      case 'mem':
        mem += ' ' + line;
        break;
      case 'error':
        error = line;
        break;
      case 'raw':
        raw += ' ' + line;
        break;
      default:
        break;
    }
  }
  if (result === undefined && error === undefined) return test({ skip: 'no result or error in test file' });
  const out = test({ mem: parseMemory(mem), raw: parseRaw(raw) });
  if (result !== undefined) {
    const v = parseNumber(result);
    if (v === undefined) return test({ skip: `result "${result}" is not a number` });
    out.result = v;
  }
  if (error !== undefined) out.error = error;
  return out;
}

/** parseMemory reads whitespace-separated hex bytes, stopping at the first token that is not hex (as `>> std::hex`). */
export function parseMemory(text: string): Uint8Array {
  const out: number[] = [];
  for (const tok of text.split(/\s+/).filter(Boolean)) {
    const m = /^(?:0x)?([0-9a-f]+)/i.exec(tok);
    if (!m) break;
    out.push(parseInt(m[1], 16) & 0xff);
  }
  return Uint8Array.from(out);
}

function parseRaw(text: string): bigint[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => parseNumber(t) ?? 0n);
}

/** programOf returns the instruction slots of a test: its raw slots, or its assembled text. */
export function programOf(test: ConformanceTest): Insn[] {
  if (test.raw.length > 0) {
    return test.raw.map((v) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      const dv = new DataView(b.buffer);
      return makeInsn(b[0], b[1] & 0xf, b[1] >> 4, dv.getInt16(2, true), dv.getInt32(4, true));
    });
  }
  try {
    return assemble(test.asm);
  } catch (e) {
    if (!(e instanceof AsmError) || e.location.line === undefined) throw e;
    const line = test.asmLines[e.location.line - 1] ?? e.location.line;
    const why = e.message.replace(/^line \d+: /, '');
    throw new AsmError(e.code, `${test.name}: line ${line}: ${why}`, { section: test.name, line }, { cause: e });
  }
}
