/**
 * `bpftime-vm playground [FILE...]`: serves the web playground (dist/playground/, built by `npm run build`) on
 * 127.0.0.1 and prints its URL. The objects named on the command line join the built-in examples, the browser bundle
 * the page imports (dist/browser.js) is served as /browser.js, and binaryen's module as /binaryen.js for wasm-opt. Local only, read only: nothing outside those files is
 * reachable, and the command stops on SIGINT or SIGTERM.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoadError, UsageError } from '../../errors.js';
import { isElf } from '../../loader/elf.js';
import type { Parsed } from '../args.js';
import { readFile } from '../input.js';
import { EXIT, type Output } from '../output.js';

/** DEFAULT_PORT is where the playground listens unless --port says otherwise (the next free one if taken). */
export const DEFAULT_PORT = 8119;
const PORT_TRIES = 10;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.o': 'application/octet-stream',
};

/** playgroundDir finds dist/playground/ of this package, from the bundle (dist/) or the sources (src/cli/commands/). */
export function playgroundDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'bpftime-vm') {
      const out = join(dir, 'dist', 'playground');
      if (!existsSync(join(out, 'index.html'))) throw new UsageError('no-playground', `the playground is not built (${out} is missing): run npm run build`);
      return out;
    }
  }
  throw new UsageError('no-playground', 'cannot find the bpftime-vm package that holds the playground');
}

/** userObjects checks the objects given on the command line and names them for the examples list. */
function userObjects(paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of paths) {
    if (!isElf(readFile(p))) throw new LoadError('not-elf', `${p}: not an ELF file`, { section: p });
    const name = basename(p);
    if (out.has(name)) throw new UsageError('bad-argument', `two objects named ${name}: ${out.get(name)} and ${p}`);
    out.set(name, resolve(p));
  }
  return out;
}

function serve(root: string, objects: Map<string, string>, binaryen: string | undefined): Server {
  const builtIn = JSON.parse(readFileSync(join(root, 'examples', 'index.json'), 'utf8')) as string[];
  const examples = JSON.stringify([...objects.keys(), ...builtIn.filter((n) => !objects.has(n))]);
  return createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const send = (code: number, type: string, body: string | Buffer) => res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/examples/index.json') return send(200, TYPES['.json'], examples);
    let file: string | undefined;
    if (path === '/binaryen.js') file = binaryen;
    // The page imports the runtime from the browser bundle one folder up, which is / here (the root of the URL space).
    else if (path === '/browser.js') file = join(root, '..', 'browser.js');
    else if (path.startsWith('/examples/') && objects.has(path.slice('/examples/'.length))) file = objects.get(path.slice('/examples/'.length));
    else {
      const inside = resolve(root, '.' + (path.endsWith('/') ? path + 'index.html' : path));
      if (inside.startsWith(root + sep)) file = inside;
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) return send(404, 'text/plain', `not found: ${path}\n`);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    const onError = (e: Error) => fail(e);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      ok((server.address() as { port: number }).port);
    });
  });
}

/** playgroundCommand implements `bpftime-vm playground`. */
export async function playgroundCommand(parsed: Parsed, out: Output): Promise<number> {
  const root = playgroundDir();
  const objects = userObjects(parsed.positionals);
  let binaryen: string | undefined;
  try {
    binaryen = createRequire(import.meta.url).resolve('binaryen');
  } catch {
    out.note('note: binaryen is not installed: the wasm-opt backend will report it in the page');
  }
  const server = serve(root, objects, binaryen);
  const asked = parsed.flags.port as number | undefined;
  let port = -1;
  for (let k = 0; port < 0; k++) {
    try {
      port = await listen(server, asked ?? DEFAULT_PORT + k);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && asked === undefined && k + 1 < PORT_TRIES) continue;
      throw new UsageError('port', `cannot listen on 127.0.0.1:${asked ?? DEFAULT_PORT + k}: ${code ?? String(e)}${code === 'EADDRINUSE' ? ' (choose another with --port, 0 for any free port)' : ''}`);
    }
  }
  const url = `http://127.0.0.1:${port}/`;
  if (out.json) out.data({ url, root, examples: JSON.parse(JSON.stringify([...objects.keys()])) as string[] });
  else out.text(`bpftime-vm playground: ${url}  (Ctrl-C to stop)`);
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((ok) => (stop = ok));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await stopped;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
  return EXIT.ok;
}
