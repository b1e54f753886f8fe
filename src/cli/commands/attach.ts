/**
 * `bpftime-vm attach PID`: puts the agent into a running process (ptrace injection: bpftime-inject makes one of its
 * threads dlopen the agent and call bpftime_agent_main(SESSION)). `bpftime-vm detach [PID]`: asks the agents of a
 * session (all, or the one in PID) to remove their hooks, restoring the original code, and waits for them. Both are
 * src/native/control.ts with the session opened and the outcome printed.
 */
import { ExecError, UsageError } from '../../errors.js';
import { attachProcess, detachAgents, DETACH_WAIT_MS } from '../../native/control.js';
import { sessionName } from '../../native/load.js';
import type { Parsed } from '../args.js';
import { EXIT, type Output } from '../output.js';
import { openSession, readyNative } from './live-common.js';

function pidArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new UsageError('bad-argument', `PID must be a process id, got "${text}"`);
  return Number(text);
}

/** attachCommand implements `attach`. */
export async function attachCommand(parsed: Parsed, out: Output): Promise<number> {
  const pid = pidArg(parsed.positionals[0])!;
  const name = sessionName(parsed.flags.session as string | undefined);
  await readyNative(out);
  const session = openSession(name);
  try {
    const a = await attachProcess(session, pid);
    if (out.json) out.data({ session: name, pid, comm: a.comm, agent: a.id, state: a.state, hooks: a.hooks, syscalls: a.syscalls });
    else out.text(`attached to pid ${pid} (${a.comm}): ${a.hooks} hook${a.hooks === 1 ? '' : 's'} installed${a.syscalls === 'none' ? '' : `, syscalls: ${a.syscalls}`}`);
    return EXIT.ok;
  } finally {
    session.close();
  }
}

/** detachCommand implements `detach`. */
export async function detachCommand(parsed: Parsed, out: Output): Promise<number> {
  const pid = pidArg(parsed.positionals[0]);
  const name = sessionName(parsed.flags.session as string | undefined);
  await readyNative(out);
  const session = openSession(name, true);
  try {
    const { detached, pending } = await detachAgents(session, pid);
    if (out.json) out.data({ session: name, detached: detached.map((a) => ({ pid: a.pid, comm: a.comm })), pending: pending.map((a) => a.pid) });
    else {
      for (const a of detached) out.text(`detached pid ${a.pid} (${a.comm}): hooks removed, original code restored`);
      if (!detached.length && !pending.length) out.text(`no agent runs in session ${name}`);
    }
    if (pending.length) throw new ExecError('detach-timeout', `pid ${pending.map((a) => a.pid).join(', ')}: the agent did not detach within ${DETACH_WAIT_MS / 1000} s`);
    return EXIT.ok;
  } finally {
    session.close();
  }
}
