/**
 * The error hierarchy shared by every layer. This module imports nothing, so the bottom layer (`src/isa`) may use it.
 *
 * Messages are lowercase phrases joined by `: ` context prefixes, most general context first
 * (`line 4: invalid register %r12`, `pc 3: ldxdw %r0, [%r1+8]: read of 8 bytes at 0x2008 ...`).
 * Structured fields carry the same location for programs that want it (`--json`, tests).
 */

/** Where in the input an error happened. Every field is optional; set what is known. */
export interface ErrorLocation {
  /** ELF section, or file name for non-ELF input. */
  section?: string;
  /** Program name (ELF symbol) when known. */
  program?: string;
  /** Instruction index in 8-byte slots (the eBPF pc). */
  pc?: number;
  /** The instruction printed by the one formatter (`src/isa/format.ts`). */
  insn?: string;
  /** Source line (assembly line number, or C source from line_info). */
  line?: number;
  /** Source file name or source text for `line`. */
  source?: string;
}

/** BpfError is the base of every error bpftime-vm raises on purpose. `code` is a stable machine-readable kind. */
export class BpfError extends Error {
  readonly code: string;
  readonly location: ErrorLocation;

  constructor(code: string, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.location = location;
  }

  /** toJSON gives the shape printed by `--json` error output. */
  toJSON(): Record<string, unknown> {
    return { kind: this.name, code: this.code, message: this.message, ...this.location };
  }
}

/** AsmError reports text the assembler cannot accept; `location.line` is the 1-based line. */
export class AsmError extends BpfError {}

/** LoadError reports input that cannot become a program: malformed bytecode, ELF, BTF or relocations. */
export class LoadError extends BpfError {}

/**
 * VerifierError reports a program the static safety analysis rejects: `code` is the rule, the message says why in
 * plain words, `location` has pc, instruction and C source line; `regs` the states of the registers involved, `path`
 * the branch decisions that led there; `log` the full analysis log when one was asked for.
 */
export class VerifierError extends BpfError {
  log = '';
  /** Register states that explain the rejection, e.g. `{ r1: 'map_value(map=counts,off=4)' }`. */
  regs: Record<string, string> = {};
  /** Branch decisions on the way, oldest first (`pc 7: taken`). */
  path: string[] = [];

  override toJSON(): Record<string, unknown> {
    const out = super.toJSON();
    if (Object.keys(this.regs).length) out.regs = this.regs;
    if (this.path.length) out.path = this.path;
    return out;
  }
}

/** ExecError reports a fault while a program runs: bad memory access, budget, call depth, helper failure. */
export class ExecError extends BpfError {
  /** Guest address of a faulting memory access. */
  address?: number;
  /** Name of the memory region involved, when there is one. */
  region?: string;

  override toJSON(): Record<string, unknown> {
    const out = super.toJSON();
    if (this.address !== undefined) out.address = '0x' + this.address.toString(16);
    if (this.region !== undefined) out.region = this.region;
    return out;
  }
}

/** NotSupportedError reports a valid feature this build or backend does not implement. */
export class NotSupportedError extends BpfError {}

/** UsageError reports a bad command line or API argument. */
export class UsageError extends BpfError {}
