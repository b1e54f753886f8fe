/**
 * Printing for the CLI: text or JSON (`-j`, `-p`), errors to stderr as `bpftime-vm: error: ...` or
 * `{"error": {...}}`, and the mapping from error kinds to exit codes. Everything goes through ./stdio.ts (synchronous
 * writes, no stream unless a pipe pushes back), so what a command prints is in order and complete when it returns.
 */
import { AsmError, BpfError, ExecError, LoadError, NotSupportedError, UsageError, VerifierError } from '../errors.js';
import { writeStderr, writeStdout } from './stdio.js';

/** EXIT codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2, input: 3, unsupported: 4 } as const;

/** jsonReplacer prints BigInts as decimal strings and typed arrays as hex, so JSON stays exact. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

/** exitCodeOf maps an error to the CLI's exit code. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof NotSupportedError) return EXIT.unsupported;
  if (e instanceof VerifierError) return EXIT.failure;
  if (e instanceof AsmError || e instanceof LoadError) return EXIT.input;
  if (e instanceof ExecError) return EXIT.failure;
  if (isFsError(e)) return EXIT.input;
  return EXIT.failure;
}

function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e;
}

/** Output prints results and errors in the mode the user chose. */
export class Output {
  readonly json: boolean;
  readonly pretty: boolean;

  constructor(flags: { json?: unknown; pretty?: unknown }) {
    this.pretty = flags.pretty === true;
    this.json = this.pretty || flags.json === true;
  }

  /** text prints a line (or lines) to stdout in text mode. */
  text(s: string): void {
    writeStdout(s.endsWith('\n') ? s : s + '\n');
  }

  /** data prints a JSON document to stdout. */
  data(value: unknown): void {
    writeStdout(JSON.stringify(value, jsonReplacer, this.pretty ? 2 : undefined) + '\n');
  }

  /** note prints a diagnostic line to stderr (text mode only). */
  note(s: string): void {
    if (!this.json) writeStderr(s + '\n');
  }

  /** bytes prints raw bytes to stdout (`asm --format bin`). */
  bytes(b: Uint8Array): void {
    writeStdout(b);
  }

  /** error reports an error on stderr and returns the exit code to use. */
  error(e: unknown): number {
    const code = exitCodeOf(e);
    if (this.json) {
      const body =
        e instanceof BpfError
          ? e.toJSON()
          : { kind: 'Error', code: isFsError(e) ? e.code : 'internal', message: e instanceof Error ? e.message : String(e) };
      writeStderr(JSON.stringify({ error: body }, jsonReplacer, this.pretty ? 2 : undefined) + '\n');
    } else {
      const message = e instanceof Error ? e.message : String(e);
      writeStderr(`bpftime-vm: error: ${message}\n`);
      if (e instanceof ExecError && e.code === 'budget') {
        writeStderr('hint: raise the budget with --budget N (0 for no limit)\n');
      }
      if (!(e instanceof BpfError) && !isFsError(e) && e instanceof Error && process.env.BPFTIME_VM_DEBUG) {
        writeStderr(`${e.stack}\n`);
      }
    }
    return code;
  }
}

/** rejectionDetails lists what explains a verifier rejection beyond its message: the C source line, the registers, the
 * path (`verify`, and `load`/`trace` refusing a program, print them after the message). */
export function rejectionDetails(e: VerifierError): string[] {
  const out: string[] = [];
  if (e.location.source) out.push(`source: ${e.location.source}`);
  for (const [r, v] of Object.entries(e.regs)) out.push(`${r} = ${v}`);
  if (e.path.length) out.push(`path: ${e.path.join(', ')}`);
  return out;
}
