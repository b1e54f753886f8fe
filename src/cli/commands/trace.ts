/**
 * `bpftime-vm trace prog.o -- COMMAND ARGS`: load and start in one. The object is loaded into a session of its own,
 * the command runs under the agent (syscall hooks installed from its start when a program traces syscalls), the
 * programs' output is printed while it runs, and when it exits the maps and hit counts are printed, the session
 * ends, and the command's exit code is bpftime-vm's.
 */
import { UsageError, VerifierError } from '../../errors.js';
import { sessionName } from '../../native/load.js';
import { traceCommand as runTraced } from '../../native/trace.js';
import type { Parsed } from '../args.js';
import { printEvent } from '../native-text.js';
import type { Output } from '../output.js';
import { forwardSignals } from './live-common.js';
import { finish, loadedJson, loadSession, refusedLoad } from './native-session.js';

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
  let unhook: () => void = () => undefined;
  try {
    const r = await runTraced(s.load, s.stream, command, args, {
      // With --json, stdout carries JSON only: the command's standard output goes to standard error.
      stdio: out.json ? ['inherit', 2, 'inherit'] : 'inherit',
      onEvent: (ev) => printEvent(out, ev, verbose),
      onStart: (child) => (unhook = forwardSignals(child)),
    });
    unhook();
    if (!r.agent) {
      out.note(`bpftime-vm: warning: no agent ran in ${command} (pid ${r.pid}): a static or setuid program does not load LD_PRELOAD libraries; nothing was traced there`);
    }
    finish(s, out, { command: [command, ...args], pid: r.pid, exit_code: r.exitCode });
    return r.exitCode;
  } catch (e) {
    unhook();
    s.load.session.end();
    s.load.session.close();
    throw e;
  }
}
