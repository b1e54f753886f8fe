/**
 * Command-line options declared as data, parsed and turned into help text from the same declarations, so a flag
 * cannot exist without being documented.
 */
import { UsageError } from '../errors.js';

/** OptionSpec declares one flag. */
export interface OptionSpec {
  /** Long name without dashes, e.g. `cpu-version`. */
  name: string;
  /** One-letter alias without dash. */
  short?: string;
  kind: 'boolean' | 'string' | 'number';
  /** Placeholder shown in help for the value. */
  value?: string;
  description: string;
  /** Allowed values of a string option. */
  choices?: readonly string[];
  /** May be given more than once (values collect into an array). */
  repeatable?: boolean;
  /** Smallest value of a number option (default 0). */
  min?: number;
}

/** ArgSpec declares a positional argument. */
export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
  variadic?: boolean;
}

/** CommandSpec declares a subcommand: its arguments, options and help. */
export interface CommandSpec {
  name: string;
  summary: string;
  args: readonly ArgSpec[];
  options: readonly OptionSpec[];
  /** Extra paragraphs printed after the option list. */
  notes?: string;
}

/** Parsed holds parsed flags (by long name) and positionals. */
export interface Parsed {
  flags: Record<string, string | number | boolean | string[] | undefined>;
  positionals: string[];
}

/** GLOBAL_OPTIONS are accepted by every command. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', short: 'j', kind: 'boolean', description: 'print results (and errors, on stderr) as JSON' },
  { name: 'pretty', short: 'p', kind: 'boolean', description: 'print indented JSON (implies --json)' },
  { name: 'help', short: 'h', kind: 'boolean', description: 'show help for the command' },
];

function convert(spec: OptionSpec, raw: string): string | number {
  if (spec.kind === 'number') {
    const v = Number(raw.replace(/_/g, ''));
    const min = spec.min ?? 0;
    if (raw.trim() === '' || !Number.isFinite(v) || !Number.isInteger(v) || v < min) {
      throw new UsageError('bad-option', `--${spec.name} expects ${min === 0 ? 'a non-negative integer' : min === 1 ? 'a positive integer' : `an integer of at least ${min}`}, got "${raw}"`);
    }
    // Beyond 2^53 a Number is no longer the integer typed (1e23 reads as 99999999999999991611392): refuse it.
    if (!Number.isSafeInteger(v)) throw new UsageError('bad-option', `--${spec.name}: ${raw} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
    return v;
  }
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError('bad-option', `--${spec.name} expects one of ${spec.choices.join(', ')}, got "${raw}"`);
  }
  return raw;
}

/** parseArgs parses `argv` against a command's options plus the global ones. */
export function parseArgs(cmd: CommandSpec, argv: readonly string[]): Parsed {
  const specs = [...cmd.options, ...GLOBAL_OPTIONS];
  const flags: Parsed['flags'] = {};
  const positionals: string[] = [];
  const find = (name: string, short: boolean) => {
    const spec = specs.find((s) => (short ? s.short === name : s.name === name));
    if (!spec) throw new UsageError('bad-option', `unknown option ${short ? '-' : '--'}${name} for "${cmd.name}"`);
    return spec;
  };
  const set = (spec: OptionSpec, value: string | number | boolean) => {
    if (spec.repeatable) flags[spec.name] = [...((flags[spec.name] as string[]) ?? []), String(value)];
    else flags[spec.name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const long = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    const short = /^-([a-zA-Z])$/.exec(a);
    if (!long && !short) {
      positionals.push(a);
      continue;
    }
    const spec = long ? find(long[1], false) : find(short![1], true);
    if (spec.kind === 'boolean') {
      if (long?.[2] !== undefined) throw new UsageError('bad-option', `--${spec.name} takes no value`);
      set(spec, true);
      continue;
    }
    const value = long?.[2] ?? argv[++i];
    if (value === undefined) throw new UsageError('bad-option', `--${spec.name} needs a value`);
    set(spec, convert(spec, value));
  }
  if (!flags.help) checkPositionals(cmd, positionals);
  return { flags, positionals };
}

function checkPositionals(cmd: CommandSpec, positionals: string[]): void {
  const required = cmd.args.filter((a) => !a.optional).length;
  const variadic = cmd.args.some((a) => a.variadic);
  if (positionals.length < required) {
    const missing = cmd.args[positionals.length];
    throw new UsageError('missing-argument', `"${cmd.name}" needs ${missing.name.toUpperCase()}: ${missing.description}`);
  }
  if (!variadic && positionals.length > cmd.args.length) {
    throw new UsageError('extra-argument', `"${cmd.name}" takes at most ${cmd.args.length} argument(s), got "${positionals.join(' ')}"`);
  }
}

function optionLine(o: OptionSpec): [string, string] {
  const names = (o.short ? `-${o.short}, ` : '    ') + `--${o.name}` + (o.kind === 'boolean' ? '' : ` ${o.value ?? 'VALUE'}`);
  const choices = o.choices ? ` (${o.choices.join('|')})` : '';
  return [names, o.description + choices + (o.repeatable ? ' [repeatable]' : '')];
}

function table(rows: [string, string][]): string {
  const width = Math.min(34, Math.max(...rows.map((r) => r[0].length)) + 2);
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`).join('\n');
}

/** commandHelp renders the help of one command. */
export function commandHelp(cmd: CommandSpec, program: string): string {
  const args = cmd.args.map((a) => {
    const n = a.name.toUpperCase() + (a.variadic ? '...' : '');
    return a.optional ? `[${n}]` : n;
  });
  let out = `Usage: ${program} ${cmd.name} ${[...args, '[options]'].join(' ')}\n\n${cmd.summary}\n`;
  if (cmd.args.length) out += `\nArguments:\n${table(cmd.args.map((a) => [a.name.toUpperCase(), a.description]))}\n`;
  out += `\nOptions:\n${table([...cmd.options, ...GLOBAL_OPTIONS].map(optionLine))}\n`;
  if (cmd.notes) out += `\n${cmd.notes.trim()}\n`;
  return out;
}

/** overviewHelp renders the top-level help listing every command. */
export function overviewHelp(program: string, commands: readonly CommandSpec[], version: string): string {
  return (
    `${program} ${version}: a userspace eBPF runtime\n\n` +
    `Usage: ${program} <command> [arguments] [options]\n\nCommands:\n` +
    table(commands.map((c) => [c.name, c.summary])) +
    `\n\nGlobal options:\n${table([...GLOBAL_OPTIONS.map(optionLine), ['    --version', 'print the version']])}\n\n` +
    `Run "${program} <command> --help" for the options of a command.\n` +
    `Exit codes: 0 success, 1 program or test failure, 2 usage error, 3 invalid input, 4 not supported.\n`
  );
}
