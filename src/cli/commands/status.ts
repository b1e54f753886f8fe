/**
 * `bpftime-vm status`: a session's agents (processes, how the agent entered, hooks, syscall mechanism), programs
 * (faults: kind, pc, process, reason) and attachments with their hit counts, read from its segment.
 */
import { sessionName } from '../../native/load.js';
import { summarize } from '../../native/stream.js';
import type { Parsed } from '../args.js';
import { summaryJson, summaryLines } from '../native-text.js';
import { EXIT, type Output } from '../output.js';
import { openSession, readyNative } from './live-common.js';

/** statusCommand implements `status`. */
export async function statusCommand(parsed: Parsed, out: Output): Promise<number> {
  const name = sessionName(parsed.flags.session as string | undefined);
  await readyNative(out);
  const session = openSession(name, true);
  try {
    const info = session.info();
    const summary = summarize({ session });
    const state = info.stale ? `stale: its control plane (pid ${info.creatorPid}) is gone` : info.state === 'ended' ? 'ended' : `held by pid ${info.creatorPid}`;
    if (out.json) out.data({ ...summaryJson(summary), state: info.stale ? 'stale' : info.state, creator_pid: info.creatorPid, size: info.size, heap_free: info.heapFree, log_lost: info.logLost });
    else {
      const [head, ...rest] = summaryLines(summary);
      out.text([`${head} (${state}; ${(info.size / 1048576).toFixed(0)} MiB, ${(info.heapFree / 1048576).toFixed(1)} MiB free)`, ...rest].join('\n'));
    }
    return EXIT.ok;
  } finally {
    session.close();
  }
}
