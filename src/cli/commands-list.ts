/** The subcommands of bpftime-vm, in help order. */
import type { Command } from './command.js';
import { asmCommand } from './commands/asm.js';
import { compileCommand } from './commands/compile.js';
import { conformanceCommand } from './commands/conformance.js';
import { disasmCommand } from './commands/disasm.js';
import { mapShowCommand, progDumpCommand, progShowCommand } from './commands/prog.js';
import { runCommand } from './commands/run.js';
import { verifyCommand } from './commands/verify.js';

/** COMMANDS lists the subcommands in help order. */
export const COMMANDS: readonly Command[] = [runCommand, verifyCommand, progShowCommand, progDumpCommand, mapShowCommand, disasmCommand, asmCommand, compileCommand, conformanceCommand];
