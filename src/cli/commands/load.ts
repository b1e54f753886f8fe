/**
 * `bpftime-vm load prog.o`: the control plane of a session. Compiles the object's attachable programs for the agent,
 * creates the session with its maps and attachments, then prints what programs send (trace_printk lines, ring and
 * perf buffer records) while processes started with `bpftime-vm start` or attached with `bpftime-vm attach` run
 * them. Ctrl-C (or SIGTERM) prints the maps and the attachments' hit counts and ends the session: agents detach. A
 * program the verifier rejects is not loaded (exit code 3).
 */
import { VerifierError } from '../../errors.js';
import { sessionName } from '../../native/load.js';
import type { Parsed } from '../args.js';
import { EXIT, type Output } from '../output.js';
import { finish, follow, loadedJson, loadSession, refusedLoad } from './native-session.js';

/** loadFile implements `load`. */
export async function loadFile(parsed: Parsed, out: Output): Promise<number> {
  const name = sessionName(parsed.flags.session as string | undefined);
  let s;
  try {
    s = await loadSession(parsed.positionals[0], name, parsed.flags, out);
  } catch (e) {
    if (e instanceof VerifierError) return refusedLoad(e, out);
    throw e;
  }
  if (out.json) out.data(loadedJson(s));
  else {
    const session = name === '/bpftime-vm' ? '' : ` --session ${name.slice(1)}`;
    out.note(`session ${name}: ${s.load.programs.map((p) => `${p.name} (${p.attachment.describe})`).join(', ')}`);
    out.note(`run processes with \`bpftime-vm start${session} -- COMMAND\` or \`bpftime-vm attach${session} PID\`; Ctrl-C ends the session`);
  }
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await follow(s, out, stopped, parsed.flags.verbose === true);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  finish(s, out);
  return EXIT.ok;
}
