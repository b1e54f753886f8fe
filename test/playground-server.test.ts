// `bpftime-vm playground` as a server, without a browser: what it serves (the page, the browser bundle, binaryen, the
// examples and the objects given on the command line), what it refuses, and its errors.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, CLI, ROOT } from './helpers.js';

const COUNTER = join(ROOT, 'examples', 'counter.bpf.o');
let url = '';
const server = spawn(process.execPath, [CLI, 'playground', COUNTER, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  url = await new Promise<string>((ok, fail) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) ok((JSON.parse(out) as { url: string }).url);
    });
    server.on('exit', (code) => fail(new Error(`exited with ${code}`)));
  });
});
afterAll(() => void server.kill());

const get = async (path: string) => {
  const r = await fetch(url + path);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: Buffer.from(await r.arrayBuffer()) };
};

describe('bpftime-vm playground', () => {
  it('serves the page, its script, the browser bundle it imports and binaryen on 127.0.0.1', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get('');
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.body.toString()).toContain('<script type="module" src="playground.js">');
    expect((await get('playground.js')).body.toString()).toContain('from "../browser.js"');
    expect((await get('browser.js')).body.length).toBe(statSync(join(ROOT, 'dist', 'browser.js')).size);
    expect((await get('binaryen.js')).body.length).toBe(statSync(createRequire(import.meta.url).resolve('binaryen')).size);
  });

  it('lists the objects given on the command line with the built-in examples', async () => {
    const list = JSON.parse((await get('examples/index.json')).body.toString()) as string[];
    expect(list[0]).toBe('counter.bpf.o');
    expect(new Set(list).size).toBe(list.length);
    expect((await get('examples/counter.bpf.o')).body.length).toBe(statSync(COUNTER).size);
  });

  it('serves nothing outside its files', async () => {
    for (const p of ['../package.json', '%2e%2e/package.json', '..%2fpackage.json', 'examples/../../cli.js', 'nothing.js']) {
      expect((await get(p)).status, p).toBe(404);
    }
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  });

  it('refuses a file that is not an ELF object, and a port it cannot take', () => {
    const notElf = cli(['playground', join(ROOT, 'README.md')]);
    expect(notElf.code).toBe(3);
    expect(notElf.stderr).toContain('README.md: not an ELF file');
    const port = Number(new URL(url).port);
    const taken = cli(['playground', '--port', String(port)]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain(`cannot listen on 127.0.0.1:${port}: EADDRINUSE (choose another with --port, 0 for any free port)`);
  });
});
