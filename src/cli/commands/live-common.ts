/**
 * Helpers of the live-process commands (`load`, `start`, `attach`, `detach`, `status`, `trace`): the native layer
 * built or checked first, opening an existing session with errors that say what to do, and handing signals to a
 * target while it runs.
 */
import type { ChildProcess } from 'node:child_process';
import { UsageError } from '../../errors.js';
import { SegmentError } from '../../native/addon.js';
import { prepareNative } from '../../native/build.js';
import { NativeSession } from '../../native/session.js';
import type { Output } from '../output.js';

/**
 * readyNative is the first step of every live-process command: an installed package builds the native layer on its
 * first use (a line on stderr says so), a checkout checks that `make -C native-hooks` built it.
 */
export async function readyNative(out: Output): Promise<void> {
  await prepareNative({ progress: (line) => out.note(line) });
}

/**
 * openSession opens a running session: a missing one and a stale one (its control plane is gone) are UsageErrors
 * saying to run `bpftime-vm load`; `allowStale` opens a stale one anyway (status, detach).
 */
export function openSession(name: string, allowStale = false): NativeSession {
  try {
    return NativeSession.open(name, { allowStale });
  } catch (e) {
    if (e instanceof SegmentError && e.errno === 2) throw new UsageError('no-session', `no session ${name}: load programs into it first (bpftime-vm load prog.o${name === '/bpftime-vm' ? '' : ` --session ${name.slice(1)}`})`);
    if (e instanceof SegmentError && e.errno === 116) throw new UsageError('stale-session', `session ${name} is stale (its bpftime-vm load is gone): run bpftime-vm load again`);
    throw e;
  }
}

/**
 * forwardSignals passes SIGTERM and SIGHUP on to a target and keeps SIGINT from ending the command before the
 * target (the terminal sends Ctrl-C to the target too). Returns the function that removes the handlers.
 */
export function forwardSignals(child: ChildProcess): () => void {
  const pass = (sig: NodeJS.Signals) => () => {
    if (child.exitCode === null) child.kill(sig);
  };
  const term = pass('SIGTERM');
  const hup = pass('SIGHUP');
  const int = () => undefined;
  process.on('SIGTERM', term);
  process.on('SIGHUP', hup);
  process.on('SIGINT', int);
  return () => {
    process.off('SIGTERM', term);
    process.off('SIGHUP', hup);
    process.off('SIGINT', int);
  };
}

/** registered tells whether an agent ran in process `pid` (a static or setuid program never loads it). */
export function registered(session: NativeSession, pid: number | undefined): boolean {
  return session.agents().some((a) => a.pid === pid);
}
