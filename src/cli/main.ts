/**
 * The `bpftime-vm` command line: `bpftime-vm <command> [arguments] [options]`, commands in the spirit of bpftool,
 * `-j/--json` and `-p/--pretty` everywhere, errors on stderr, exit codes that say what went wrong.
 */
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { commandHelp, overviewHelp, parseArgs } from './args.js';
import { COMMANDS } from './commands-list.js';
import { EXIT, Output } from './output.js';

const PROGRAM = 'bpftime-vm';

/** main runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const wantsJson = argv.includes('-j') || argv.includes('--json') || argv.includes('-p') || argv.includes('--pretty');
  const out = new Output({ json: wantsJson, pretty: argv.includes('-p') || argv.includes('--pretty') });
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest.join(' ')) : undefined;
      out.text(topic ? commandHelp(topic.spec, PROGRAM) : overviewHelp(PROGRAM, COMMANDS.map((c) => c.spec), VERSION));
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === 'version') {
      if (out.json) out.data({ version: VERSION });
      else out.text(`${PROGRAM} ${VERSION}`);
      return EXIT.ok;
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
      return EXIT.ok;
    }
    return await cmd.run(parsed, new Output(parsed.flags));
  } catch (e) {
    return out.error(e);
  }
}

// Output goes through ./stdio.ts, which also ends the command quietly when its stdout is closed (`... | head`).
const code = await main(process.argv.slice(2));
process.exitCode = code;
