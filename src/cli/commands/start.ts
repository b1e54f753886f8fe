/**
 * `bpftime-vm start [--syscalls] -- COMMAND ARGS`: runs a command with the agent preloaded (LD_PRELOAD) in a
 * session that `bpftime-vm load` holds; the exit code is the command's.
 */
import { UsageError } from '../../errors.js';
import { startTraced, waitExit } from '../../native/agent.js';
import { sessionName } from '../../native/load.js';
import type { Parsed } from '../args.js';
import type { Output } from '../output.js';
import { forwardSignals, openSession, readyNative, registered } from './live-common.js';

/** startCommand implements `start`. */
export async function startCommand(parsed: Parsed, out: Output): Promise<number> {
  const [command, ...args] = parsed.positionals;
  if (!command) throw new UsageError('missing-argument', '"start" needs COMMAND: the program to run (after --)');
  const name = sessionName(parsed.flags.session as string | undefined);
  await readyNative(out);
  const session = openSession(name);
  try {
    const child = startTraced(command, args, name, parsed.flags.syscalls ? 'start' : 'auto', out.json ? ['inherit', 2, 'inherit'] : 'inherit');
    const unhook = forwardSignals(child);
    let code: number;
    try {
      code = await waitExit(child);
    } finally {
      unhook();
    }
    const ran = registered(session, child.pid);
    if (!ran) out.note(`bpftime-vm: warning: no agent ran in ${command} (pid ${child.pid}): a static or setuid program does not load LD_PRELOAD libraries`);
    if (out.json) out.data({ event: 'exit', session: name, command: [command, ...args], pid: child.pid, exit_code: code, agent: ran });
    return code;
  } finally {
    session.close();
  }
}
