/**
 * Writing the CLI's stdout and stderr with `fs.writeSync` on fds 1 and 2 rather than `process.stdout`/`stderr`: for a
 * file or a pipe those getters make Node load its stream stack (`net`, the streams, ~20 internal modules), which a
 * command that prints its result once does not need (bench/RESULTS.md, "the process around the verification").
 * A blocking pipe or a file takes each write whole (a slow reader only makes it wait). A non-blocking pipe (a parent
 * shared its own non-blocking end) answers EAGAIN when full: the unwritten rest and every later write of that fd then
 * go through Node's stream, in order (on Linux Node makes a stdio pipe blocking again and writes it synchronously;
 * elsewhere the stream queues, and main.ts then lets the event loop drain it: `allWritten`). A closed stdout (`bpftime-vm ... | head`) ends the command quietly with exit code 0, as other
 * Unix tools do; a closed stderr drops the diagnostics and keeps the command's exit code.
 */
import { createRequire } from 'node:module';

// Node's fs through `require` rather than `import ... from 'node:fs'`: in Node 20 an ES module importing a built-in gets
// a namespace built from all of its exports, and reading `fs.promises` for it loads `fs/promises` with the stream stack
// (19 internal modules) that a short command never uses. The CLI's input reading (input.ts, files.ts) does the same.
const fs: typeof import('node:fs') = createRequire(import.meta.url)('node:fs');

/** Per fd (1, 2): set once a write met EAGAIN, from then on that fd's output goes through Node's stream. */
const streamed: Record<1 | 2, boolean> = { 1: false, 2: false };
/** Per fd: set when the reader closed it (EPIPE); later writes are dropped. */
const closed: Record<1 | 2, boolean> = { 1: false, 2: false };

/** writeStdout writes text or bytes to stdout, all of it, before returning (see the module comment for EAGAIN). */
export function writeStdout(data: string | Uint8Array): void {
  write(1, data);
}

/** writeStderr writes text or bytes to stderr, all of it, before returning. */
export function writeStderr(data: string | Uint8Array): void {
  write(2, data);
}

/** allWritten reports whether every write so far went out synchronously (none waits in Node's stream). */
export function allWritten(): boolean {
  return !streamed[1] && !streamed[2];
}

function write(fd: 1 | 2, data: string | Uint8Array): void {
  if (closed[fd]) return;
  if (streamed[fd]) return void streamOf(fd).write(data);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        streamed[fd] = true;
        streamOf(fd).write(bytes.subarray(done));
        return;
      }
      if (code === 'EPIPE') return readerGone(fd);
      throw e;
    }
  }
}

function readerGone(fd: 1 | 2): void {
  closed[fd] = true;
  if (fd === 1) process.exit(0);
}

/** streamOf returns Node's stream for the fd, with the closed-pipe rule of this module for its asynchronous errors. */
function streamOf(fd: 1 | 2): NodeJS.WriteStream {
  const stream = fd === 1 ? process.stdout : process.stderr;
  if (stream.listenerCount('error') === 0) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      readerGone(fd);
    });
  }
  return stream;
}
