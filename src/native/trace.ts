/**
 * The one-command form, `bpftime-vm trace prog.o -- COMMAND` as a library call: a command run under the agent of a
 * loaded session (syscall hooks from its start when a program traces syscalls), its programs' output handed over as
 * it comes, until it exits.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { startTraced, waitExit } from './agent.js';
import type { NativeLoad } from './load.js';
import { followOutput, POLL_MS, type NativeEvent, type OutputStream } from './stream.js';

/** TraceOptions configures traceCommand. */
export interface TraceOptions {
  /** The command's standard streams (default: inherited). */
  stdio?: StdioOptions;
  /** Called with each trace_printk line, agent message and ring/perf buffer record. */
  onEvent?: (ev: NativeEvent) => void;
  /** Called once the command is started (to forward signals to it, for example). */
  onStart?: (child: ChildProcess) => void;
  pollMs?: number;
}

/** TraceResult is how the command ended, and whether the agent ran in it. */
export interface TraceResult {
  /** Its exit code (128 + the signal number when a signal ended it). */
  exitCode: number;
  pid: number | undefined;
  /** False when the agent never registered: a static or setuid program does not load LD_PRELOAD libraries. */
  agent: boolean;
}

/**
 * traceCommand runs `command` under the agent in the session of `load`, handing `stream`'s events to `onEvent`
 * until it exits. The maps and hit counts stay in the session for the caller to read (`stream.dumpMaps()`,
 * `summarize(load)`) before it ends the session.
 */
export async function traceCommand(load: NativeLoad, stream: OutputStream, command: string, args: readonly string[], opts: TraceOptions = {}): Promise<TraceResult> {
  const child = startTraced(command, args, load.session.name, load.syscalls ? 'start' : 'auto', opts.stdio ?? 'inherit');
  opts.onStart?.(child);
  const exitCode = await followOutput(stream, waitExit(child), opts.onEvent ?? (() => undefined), opts.pollMs ?? POLL_MS);
  return { exitCode, pid: child.pid, agent: load.session.agents().some((a) => a.pid === child.pid) };
}
