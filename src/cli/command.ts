/** The shape shared by every CLI subcommand. */
import type { CommandSpec, Parsed } from './args.js';
import type { Output } from './output.js';

/** Command is a subcommand: its declaration and what it does; it returns the exit code. */
export interface Command {
  spec: CommandSpec;
  run(parsed: Parsed, out: Output): number | Promise<number>;
}
