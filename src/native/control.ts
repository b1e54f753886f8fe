/**
 * Agents of a session in running processes, as `bpftime-vm attach` and `detach` drive them and a library user can:
 * put the agent into a process and wait until its hooks are installed; ask agents to leave and wait until their
 * hooks are gone (the original code restored).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExecError, UsageError } from '../errors.js';
import type { AgentEntry } from './addon.js';
import { injectAgent } from './agent.js';
import { processAlive } from './proc.js';
import type { NativeSession } from './session.js';

/** DETACH_WAIT_MS and ATTACH_WAIT_MS are how long agents get to remove their hooks, and to install them. */
export const DETACH_WAIT_MS = 5000;
export const ATTACH_WAIT_MS = 10_000;

function agentOf(session: NativeSession, pid: number): AgentEntry | undefined {
  return session.agents().filter((a) => a.pid === pid).pop();
}

/**
 * attachProcess injects the agent into process `pid` (ptrace: root or CAP_SYS_PTRACE; injectAgent's errors) in
 * `session` and waits until its hooks are installed; returns its registration. ExecError('attach-failed') when it
 * did not register, or ended in another state than running (its message).
 */
export async function attachProcess(session: NativeSession, pid: number, timeoutMs = ATTACH_WAIT_MS): Promise<AgentEntry> {
  injectAgent(pid, session.name);
  // The agent registered before the injector returned; its control thread installs the hooks right after.
  let a = agentOf(session, pid);
  for (const deadline = Date.now() + timeoutMs; a?.state === 'starting' && Date.now() < deadline; a = agentOf(session, pid)) await sleep(10);
  if (!a) throw new ExecError('attach-failed', `attach to pid ${pid}: the agent loaded but did not register in session ${session.name}`);
  if (a.state !== 'running') throw new ExecError('attach-failed', `attach to pid ${pid}: the agent is ${a.state}${a.message ? `: ${a.message}` : ''}`);
  return a;
}

/** DetachResult says which agents left and which did not within the time given. */
export interface DetachResult {
  detached: AgentEntry[];
  pending: AgentEntry[];
}

/**
 * detachAgents asks the live agents of `session` (all, or the one in process `pid`: UsageError('no-agent') when
 * there is none) to remove their hooks, and waits for them (an agent whose process ended counts as gone).
 */
export async function detachAgents(session: NativeSession, pid?: number, timeoutMs = DETACH_WAIT_MS): Promise<DetachResult> {
  const live = (a: AgentEntry) => (a.state === 'running' || a.state === 'starting') && processAlive(a.pid);
  const targets = session.agents().filter((a) => live(a) && (pid === undefined || a.pid === pid));
  if (pid !== undefined && !targets.length) throw new UsageError('no-agent', `no agent of session ${session.name} runs in pid ${pid}`);
  for (const a of targets) session.requestDetach(a.id);
  const deadline = Date.now() + timeoutMs;
  let pending = targets;
  while (pending.length && Date.now() < deadline) {
    await sleep(20);
    const now = new Map(session.agents().map((a) => [a.id, a]));
    pending = pending.filter((a) => {
      const n = now.get(a.id);
      return n && n.pid === a.pid && n.state !== 'detached' && n.state !== 'failed' && processAlive(a.pid);
    });
  }
  return { detached: targets.filter((a) => !pending.includes(a)), pending };
}
