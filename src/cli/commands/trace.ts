/**
 * `bpftime-vm trace prog.o -- COMMAND ARGS`: load and start in one. The object is loaded into a session of its own,
 * the command runs under the agent (syscall hooks installed from its start when a program traces syscalls), the
 * programs' output is printed while it runs, and when it exits the maps and hit counts are printed, the session
 * ends, and the command's exit code is bpftime-vm's.
 */
import { UsageError, VerifierError } from '../../errors.js';
import { startTraced, waitExit } from '../../native/agent.js';
import { sessionName } from '../../native/load.js';
import type { Parsed } from '../args.js';
import type { Output } from '../output.js';
import { forwardSignals, registered } from './live-common.js';
import { finish, follow, loadedJson, loadSession, refusedLoad } from './native-session.js';

/** traceCommand implements `trace`. */
export async function traceCommand(parsed: Parsed, out: Output): Promise<number> {
  const [file, command, ...args] = parsed.positionals;
  if (!command) throw new UsageError('missing-argument', '"trace" needs COMMAND: the program to run (after --)');
  const name = sessionName((parsed.flags.session as string | undefined) ?? `bpftime-vm-trace-${process.pid}`);
  let s;
  try {
    s = await loadSession(file, name, parsed.flags, out);
  } catch (e) {
    // A rejected program: nothing is started, the exit code is 3 (not the command's).
    if (e instanceof VerifierError) return refusedLoad(e, out);
    throw e;
  }
  const verbose = parsed.flags.verbose === true;
  if (out.json && verbose) out.data(loadedJson(s));
  let code: number;
  try {
    // With --json, stdout carries JSON only: the command's standard output goes to standard error.
    const child = startTraced(command, args, name, s.load.syscalls ? 'start' : 'auto', out.json ? ['inherit', 2, 'inherit'] : 'inherit');
    const unhook = forwardSignals(child);
    try {
      code = await follow(s, out, waitExit(child), verbose);
    } finally {
      unhook();
    }
    if (!registered(s.load.session, child.pid)) {
      out.note(`bpftime-vm: warning: no agent ran in ${command} (pid ${child.pid}): a static or setuid program does not load LD_PRELOAD libraries; nothing was traced there`);
    }
    finish(s, out, { command: [command, ...args], pid: child.pid, exit_code: code });
  } catch (e) {
    s.load.session.end();
    s.load.session.close();
    throw e;
  }
  return code;
}
