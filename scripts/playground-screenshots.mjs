// Takes the playground screenshots in docs/ (README shows them): `npm run build && make -C examples` first, then
// `node scripts/playground-screenshots.mjs`. Drives Debian's chromium (CHROMIUM_PATH overrides) with playwright-core
// against `bpftime-vm playground`, as test/browser.test.ts does.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const server = spawn(process.execPath, [join(root, 'bin', 'bpftime-vm'), 'playground', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((ok, fail) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) ok(JSON.parse(out).url);
  });
  server.on('exit', (code) => fail(new Error(`bpftime-vm playground exited with ${code}`)));
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const open = async (example) => {
    await page.goto(`${url}?example=${example}`);
    await page.waitForSelector('body[data-ready]');
  };

  // counter.bpf.o: a run, then a traced run stepped to its third instruction.
  await open('counter.bpf.o');
  await page.fill('#args', '3,4');
  await page.click('#run');
  await page.click('#trace');
  await page.waitForSelector('#step');
  for (let i = 0; i < 3; i++) await page.click('#step-next');
  await page.screenshot({ path: join(root, 'docs', 'playground.png') });

  // events.bpf.o: ring and perf buffer records decoded with BTF, host facts from the form, on wasm-fast.
  await open('events.bpf.o');
  await page.selectOption('#backend', 'wasm-fast');
  await page.fill('#args', '1,2,3');
  await page.fill('#syscall', '257');
  await page.fill('#host', 'pid=4242,comm=curl');
  await page.click('#run');
  await page.waitForSelector('#records');
  await page.screenshot({ path: join(root, 'docs', 'playground-events.png') });

  // An error, located: the instruction budget runs out and the listing marks where.
  await open('counter.bpf.o');
  await page.fill('#args', '3,4');
  await page.fill('#budget', '12');
  await page.click('#run');
  await page.waitForSelector('#errors .error');
  await page.screenshot({ path: join(root, 'docs', 'playground-error.png') });

  // The verifier panel on a rejection: counter.bpf.o with its null check (pc 12, jeq %r0, 0, +2) testing r6 instead,
  // as test/helpers.ts's uncheckedCounter makes it.
  const bytes = readFileSync(join(root, 'examples', 'counter.bpf.o'));
  bytes[bytes.indexOf(Buffer.from('1500020000000000', 'hex')) + 1] = 0x06;
  await page.setInputFiles('#file', { name: 'unchecked.bpf.o', mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForSelector('#verifier-error');
  await page.locator('#panel-verifier').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(root, 'docs', 'playground-verifier.png') });
  console.log('wrote docs/playground.png, docs/playground-events.png, docs/playground-error.png, docs/playground-verifier.png');
} finally {
  await browser.close();
  server.kill();
}
