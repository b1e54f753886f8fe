/**
 * The `bpftime-vm` command line: `bpftime-vm <command> [arguments] [options]`, commands in the spirit of bpftool,
 * `-j/--json` and `-p/--pretty` everywhere, errors on stderr, exit codes that say what went wrong.
 */
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { commandHelp, overviewHelp, parseArgs } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands-list.js';
import { EXIT, Output } from './output.js';
import { allWritten } from './stdio.js';

const PROGRAM = 'bpftime-vm';

/**
 * main runs the CLI on `argv` (without node and script) and returns the exit code, and whether the process may end
 * right away: after help, the version or an error found before a command ran, and after a command that declares
 * `exitsAtOnce`.
 */
export async function main(argv: readonly string[]): Promise<{ code: number; exitAtOnce: boolean }> {
  const wantsJson = argv.includes('-j') || argv.includes('--json') || argv.includes('-p') || argv.includes('--pretty');
  const out = new Output({ json: wantsJson, pretty: argv.includes('-p') || argv.includes('--pretty') });
  const [name, ...rest] = argv;
  let running: Command | undefined;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest.join(' ')) : undefined;
      out.text(topic ? commandHelp(topic.spec, PROGRAM) : overviewHelp(PROGRAM, COMMANDS.map((c) => c.spec), VERSION));
      return { code: name === undefined ? EXIT.usage : EXIT.ok, exitAtOnce: true };
    }
    if (name === '--version' || name === 'version') {
      if (out.json) out.data({ version: VERSION });
      else out.text(`${PROGRAM} ${VERSION}`);
      return { code: EXIT.ok, exitAtOnce: true };
    }
    // Object-verb commands (`prog show`) take two words.
    const two = COMMANDS.find((c) => c.spec.name === `${name} ${rest[0]}`);
    const cmd = two ?? COMMANDS.find((c) => c.spec.name === name);
    if (!cmd) {
      const verbs = COMMANDS.filter((c) => c.spec.name.startsWith(name + ' ')).map((c) => c.spec.name);
      const verbError = rest[0] === undefined || rest[0].startsWith('-') ? `"${name}" needs a verb` : `unknown verb "${rest[0]}" for "${name}"`;
      throw new UsageError('unknown-command', verbs.length ? `${verbError}: ${verbs.join(', ')}` : `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.spec.name).join(', ')}`);
    }
    const parsed = parseArgs(cmd.spec, two ? rest.slice(1) : rest);
    if (parsed.flags.help) {
      out.text(commandHelp(cmd.spec, PROGRAM));
      return { code: EXIT.ok, exitAtOnce: true };
    }
    running = cmd;
    const code = await cmd.run(parsed, new Output(parsed.flags));
    return { code, exitAtOnce: cmd.exitsAtOnce === true };
  } catch (e) {
    // An error before a command ran (usage) leaves nothing behind; one from a command only if the command says so.
    return { code: out.error(e), exitAtOnce: running === undefined || running.exitsAtOnce === true };
  }
}

// Output goes through ./stdio.ts, which also ends the command quietly when its stdout is closed (`... | head`).
const { code, exitAtOnce } = await main(process.argv.slice(2));
// A natural exit disposes the V8 isolate: it waits for TurboFan's background compilations still running and unmaps
// the heap page by page. From the output to the exit of `verify` of the generated 1000-instruction program: 40 ms, 31
// with process.exit (an earlier series: 110 and 44); of a 2-instruction program 11 and 8 (20 and 11); medians of 25
// alternating runs at load 5 (bench/RESULTS.md, "the process around the verification"). Only once everything is
// written: output waiting in Node's stream (a pipe that pushed back) needs the event loop to drain it.
if (exitAtOnce && allWritten()) process.exit(code);
process.exitCode = code;
