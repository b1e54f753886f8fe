/**
 * Sessions for the shared-memory tests: unique segment names, sessions ended and closed after each test, and the
 * C peer (native-hooks/build/tests/shm/peer) as a second process acting on a session.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach } from 'vitest';
import { NativeSession, type SessionOptions } from '../src/native/session.js';
import { ROOT } from './helpers.js';

const run = promisify(execFile);

/** PEER is the C program that opens a session from another process (tests/shm/peer.c). */
export const PEER = join(ROOT, 'native-hooks/build/tests/shm/peer');

let serial = 0;

/** sessionName is a segment name unique to this process and call. */
export function sessionName(what: string): string {
  return `/bpftime-vt-${process.pid}-${what}-${serial++}`;
}

const open: NativeSession[] = [];

afterEach(() => {
  for (const s of open.splice(0)) {
    try {
      s.end();
    } catch {
      // already ended or replaced: closing is what matters
    }
    s.close();
  }
});

/** newSession creates a session that is ended and closed after the test. */
export function newSession(what: string, opts: SessionOptions = { size: 8 << 20 }): NativeSession {
  const s = NativeSession.create(sessionName(what), opts);
  open.push(s);
  return s;
}

/** track ends and closes a session after the test. */
export function track(s: NativeSession): NativeSession {
  open.push(s);
  return s;
}

/** PeerResult is the peer's JSON line: ok, or errno and error. */
export interface PeerResult {
  ok?: number;
  errno?: number;
  error?: string;
  id?: number;
  nospc?: number;
}

/** peer runs the C peer with arguments (as `uid` when given) and returns its JSON line. */
export async function peer(args: (string | number)[], uid?: number): Promise<PeerResult> {
  try {
    const { stdout } = await run(PEER, args.map(String), { uid, timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').pop() as string) as PeerResult;
  } catch (e) {
    const out = (e as { stdout?: string }).stdout?.trim();
    if (out) return JSON.parse(out.split('\n').pop() as string) as PeerResult;
    throw e;
  }
}

/** u32le encodes a little-endian u32. */
export const u32le = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);

/** u64le reads a little-endian u64 at an offset. */
export const u64le = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
