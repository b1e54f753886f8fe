/**
 * What the CLI says when a file cannot be read or written: the reason in words (`no such file`, `is a directory`,
 * `permission denied`) rather than Node's `EISDIR: illegal operation on a directory, read`, as invalid input
 * (exit code 3) that names the path.
 */
import { createRequire } from 'node:module';
import { LoadError } from '../errors.js';

// Through `require`, as in stdio.ts: an ES module import of node:fs would load fs/promises and the stream stack.
const fs: typeof import('node:fs') = createRequire(import.meta.url)('node:fs');

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** fileErrorReason words a file system error for a message; unknown codes keep Node's message. */
export function fileErrorReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return (code && REASONS[code]) ?? (e as Error).message;
}

/** writeOutput writes a command's `-o/--output` file, reporting failure as `cannot write PATH: REASON`. */
export function writeOutput(path: string, body: string | Uint8Array): void {
  try {
    fs.writeFileSync(path, body);
  } catch (e) {
    // ENOENT on a write is a missing directory on the path (or a file system that makes no files there).
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : fileErrorReason(e);
    throw new LoadError('io', `cannot write ${path}: ${reason}`, { section: path }, { cause: e });
  }
}
