/** The shape shared by every CLI subcommand. */
import type { CommandSpec, Parsed } from './args.js';
import type { Output } from './output.js';

/** Command is a subcommand: its declaration and what it does; it returns the exit code. */
export interface Command {
  spec: CommandSpec;
  run(parsed: Parsed, out: Output): number | Promise<number>;
  /**
   * exitsAtOnce declares that the command leaves nothing running when it returns (no server, child process, timer or
   * write of its own in flight): the CLI then ends the process right after it, without V8's teardown (see main.ts).
   */
  exitsAtOnce?: boolean;
}
