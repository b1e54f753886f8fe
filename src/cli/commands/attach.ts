/**
 * `bpftime-vm attach PID`: puts the agent into a running process (ptrace injection: bpftime-inject makes one of its
 * threads dlopen the agent and call bpftime_agent_main(SESSION)). `bpftime-vm detach [PID]`: asks the agents of a
 * session (all, or the one in PID) to remove their hooks, restoring the original code, and waits for them.
 */
import { ExecError, UsageError } from '../../errors.js';
import type { AgentEntry } from '../../native/addon.js';
import { injectAgent } from '../../native/agent.js';
import { sessionName } from '../../native/load.js';
import type { NativeSession } from '../../native/session.js';
import type { Parsed } from '../args.js';
import { EXIT, type Output } from '../output.js';
import { openSession } from './live-common.js';

/** How long detach waits for agents to report that their hooks are gone, and attach for them to be installed. */
const DETACH_WAIT_MS = 5000;
const ATTACH_WAIT_MS = 10_000;

function pidArg(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(text)) throw new UsageError('bad-argument', `PID must be a process id, got "${text}"`);
  return Number(text);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function agentOf(session: NativeSession, pid: number): AgentEntry | undefined {
  return session.agents().filter((a) => a.pid === pid).pop();
}

/** attachCommand implements `attach`. */
export async function attachCommand(parsed: Parsed, out: Output): Promise<number> {
  const pid = pidArg(parsed.positionals[0])!;
  const name = sessionName(parsed.flags.session as string | undefined);
  const session = openSession(name);
  try {
    injectAgent(pid, name);
    // The agent registered before the injector returned; its control thread installs the hooks right after.
    let a = agentOf(session, pid);
    for (const deadline = Date.now() + ATTACH_WAIT_MS; a?.state === 'starting' && Date.now() < deadline; a = agentOf(session, pid)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!a) throw new ExecError('attach-failed', `attach to pid ${pid}: the agent loaded but did not register in session ${name}`);
    if (a.state !== 'running') throw new ExecError('attach-failed', `attach to pid ${pid}: the agent is ${a.state}${a.message ? `: ${a.message}` : ''}`);
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
  const session = openSession(name, true);
  try {
    const live = (a: AgentEntry) => (a.state === 'running' || a.state === 'starting') && alive(a.pid);
    const targets = session.agents().filter((a) => live(a) && (pid === undefined || a.pid === pid));
    if (pid !== undefined && !targets.length) throw new UsageError('no-agent', `no agent of session ${name} runs in pid ${pid}`);
    for (const a of targets) session.requestDetach(a.id);
    const deadline = Date.now() + DETACH_WAIT_MS;
    let pending = targets;
    while (pending.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      const now = new Map(session.agents().map((a) => [a.id, a]));
      pending = pending.filter((a) => {
        const n = now.get(a.id);
        return n && n.pid === a.pid && n.state !== 'detached' && n.state !== 'failed' && alive(a.pid);
      });
    }
    const done = targets.filter((a) => !pending.includes(a));
    if (out.json) out.data({ session: name, detached: done.map((a) => ({ pid: a.pid, comm: a.comm })), pending: pending.map((a) => a.pid) });
    else {
      for (const a of done) out.text(`detached pid ${a.pid} (${a.comm}): hooks removed, original code restored`);
      if (!targets.length) out.text(`no agent runs in session ${name}`);
    }
    if (pending.length) throw new ExecError('detach-timeout', `pid ${pending.map((a) => a.pid).join(', ')}: the agent did not detach within ${DETACH_WAIT_MS / 1000} s`);
    return EXIT.ok;
  } finally {
    session.close();
  }
}
