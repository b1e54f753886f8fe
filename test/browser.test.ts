// The browser build and the web playground in a real browser (issue 11, point 5): Debian's chromium, headless,
// driven by playwright-core pointed at it (no browser download). One launch for the file. The bundle must give the
// same results as Node on every backend; the playground must open an example, run it, step through it, show errors
// in the page, and render something that is not blank (docs/ screenshots: scripts/playground-screenshots.mjs).
//
// binaryen (15 MB of JavaScript) takes seconds to load in a page, so the tests share one page, in order: the playground
// loads binaryen through its import map for wasm-opt, and the bundle, imported into the same page, gets the same module
// instance from the same URL instead of loading it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, uncheckedCounter } from './helpers.js';
import { CHROMIUM, CHROMIUM_SKIP, HAS_CHROMIUM, scratch } from './toolchain.js';

const COUNTER = join(ROOT, 'examples', 'counter.bpf.o');
const BINARYEN = createRequire(import.meta.url).resolve('binaryen');
/** Files the bundle test adds to the playground's origin, by request interception. */
const BUNDLE_FILES: Record<string, string> = {
  '/__bundle/browser.js': join(ROOT, 'dist', 'browser.js'),
  '/__bundle/run-counter.mjs': join(ROOT, 'test', 'fixtures', 'browser', 'run-counter.mjs'),
};

let browser: Browser;
let page: Page;
/** Uncaught errors of the page: every test insists there were none. */
const pageErrors: string[] = [];
let server: ChildProcess | undefined;
let playgroundUrl = '';

/** startPlayground runs `bpftime-vm playground --port 0 --json` and returns the URL it prints. */
function startPlayground(): Promise<string> {
  server = spawn(process.execPath, [CLI, 'playground', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) ok((JSON.parse(out) as { url: string }).url);
    });
    server!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    server!.on('exit', (code) => fail(new Error(`bpftime-vm playground exited with ${code}: ${err}`)));
  });
}

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  [browser, playgroundUrl] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args }), startPlayground()]);
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.route(`${playgroundUrl}__bundle/**`, (route) => {
    const f = BUNDLE_FILES[new URL(route.request().url()).pathname];
    return f ? route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(f) }) : route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${playgroundUrl}?example=counter.bpf.o`);
  await page.waitForSelector('body[data-ready]');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.kill();
});

/** imageStats measures a PNG in the page: the luminance variance and the number of distinct colours. */
async function imageStats(png: Buffer): Promise<{ variance: number; colours: number; width: number }> {
  return page.evaluate(async (src: string) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [img.width, img.height];
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    let sum = 0;
    let sq = 0;
    const colours = new Set<number>();
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      sum += y;
      sq += y * y;
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    const n = d.length / 4;
    return { variance: sq / n - (sum / n) ** 2, colours: colours.size, width: img.width };
  }, `data:image/png;base64,${png.toString('base64')}`);
}

describe.skipIf(!HAS_CHROMIUM)(`in Chromium${CHROMIUM_SKIP}`, () => {
  it('the playground opens an example, runs it, steps through it and is not blank', async () => {
    expect(await page.textContent('#object-name')).toContain('counter.bpf.o: 1 programs, 6 maps');
    expect(await page.locator('#programs-table tr[data-program="count_add"]').count()).toBe(2);
    expect(await page.textContent('#maps')).toContain('__u32 → __u64');
    expect(await page.textContent('#btf')).toContain('struct pt_regs');
    // The listing: C source lines between the instructions.
    expect(await page.textContent('#listing')).toContain('bpf_map_lookup_elem(&calls, &key)');
    expect(await page.textContent('#listing tr.insn[data-pc="0"]')).toContain('ldxdw %r6, [%r1+104]');

    await page.fill('#args', '3,4');
    await page.click('#run');
    await page.waitForSelector('#r0');
    expect(await page.textContent('#r0')).toBe('0x46');
    expect(await page.textContent('#printk')).toBe('add(3, 4): call 1');
    expect(await page.textContent('#map-dump')).toMatch(/calls\s*3\s*1/);

    await page.click('#trace');
    await page.waitForSelector('#step');
    for (let i = 0; i < 3; i++) await page.click('#step-next');
    expect(await page.textContent('#step-pos')).toMatch(/^step 3 of \d+: pc 2: /);
    expect(await page.textContent('#step-insn')).toContain('stxw [%r10-4], %r7');
    expect(await page.getAttribute('#listing tr.current', 'data-pc')).toBe('2');
    // pt_regs: rsi (the second argument, 4) at +104 went to r6 and rdi (3) at +112 to r7; step 3 stored r7.
    expect(await page.textContent('#regs tr[data-reg="6"]')).toContain('0x4');
    expect(await page.textContent('#regs tr[data-reg="7"]')).toContain('0x3');
    expect(await page.textContent('#store')).toMatch(/^stored 4 bytes at 0x[0-9a-f]+: 0x3$/);
    await page.click('#step-prev');
    expect(await page.getAttribute('#regs tr[data-reg="7"]', 'class')).toBe('changed');
    await page.click('#listing'); // out of the form: the arrow keys step
    await page.keyboard.press('ArrowRight');
    expect(await page.getAttribute('#listing tr.current', 'data-pc')).toBe('2');

    const shot = await page.screenshot();
    writeFileSync(join(scratch(), 'playground.png'), shot);
    const stats = await imageStats(shot);
    expect(stats.width).toBe(1440);
    expect(stats.variance).toBeGreaterThan(100);
    expect(stats.colours).toBeGreaterThan(50);
    expect(pageErrors).toEqual([]);
  });

  it('the playground runs on wasm-opt with binaryen served beside it', async () => {
    await page.selectOption('#backend', 'wasm-opt');
    await page.fill('#args', '3,4');
    await page.click('#run');
    await page.waitForSelector('#result:has-text("on wasm-opt")');
    expect(await page.textContent('#r0')).toBe('0x46');
    expect(pageErrors).toEqual([]);
  });

  it('the browser bundle runs counter.bpf.o on interp, wasm-fast and wasm-opt with the same results as Node', async () => {
    // A string, not a function: the test runner would rewrite a function's import() for Node.
    const inBrowser = (await page.evaluate(`(async () => {
      const lib = await import('/__bundle/browser.js');
      lib.setBinaryenSource(new URL('/binaryen.js', location.href).href);
      const { runCounter } = await import('/__bundle/run-counter.mjs');
      const bytes = new Uint8Array(await (await fetch('/examples/counter.bpf.o')).arrayBuffer());
      return runCounter(lib, bytes);
    })()`)) as string;
    const lib = await import('../dist/index.js' as string);
    const { runCounter } = await import('./fixtures/browser/run-counter.mjs' as string);
    const inNode = (await runCounter(lib, readFileSync(COUNTER))) as string;
    const results = JSON.parse(inBrowser);
    expect(Object.keys(results)).toEqual(['interp', 'wasm-fast', 'wasm-opt']);
    expect(results.interp).toMatchObject({ backend: 'interp', r0: ['70', '120', '1010'], trace: ['add(3, 4): call 1', 'add(3, 9): call 2', 'add(100, 1): call 3'] });
    expect(results['wasm-opt'].backend).toBe('wasm-opt');
    expect(inBrowser).toBe(inNode);
    expect(pageErrors).toEqual([]);
  });

  it('the playground shows errors in the page, located, and keeps the rest', async () => {
    await page.selectOption('#backend', 'interp');
    // Bad input: a usage error, with the same message as the CLI's --args.
    await page.fill('#args', '1,,2');
    await page.click('#run');
    await expect.poll(() => page.textContent('#errors')).toContain('args: empty value in "1,,2"');
    // A fault at run time: located at its instruction, which the listing marks.
    await page.fill('#args', '3,4');
    await page.fill('#budget', '5');
    await page.click('#run');
    await expect.poll(() => page.textContent('#errors')).toContain('instruction budget of 5 exhausted');
    expect(await page.textContent('#errors .error')).toContain('pc 5');
    expect(await page.getAttribute('#listing tr.fault', 'data-pc')).toBe('5');
    // A file that is not an object: the error names it, and the object shown before stays.
    await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an ELF object\n') });
    await expect.poll(() => page.textContent('#errors')).toContain('open notes.txt: LoadError');
    expect(await page.textContent('#listing')).toContain('ldxdw %r6, [%r1+104]');
    expect(pageErrors).toEqual([]);
  });

  it('the playground opens an object dropped on the page', async () => {
    await page.evaluate(`(async () => {
      const bytes = await (await fetch('/examples/counter.bpf.o')).arrayBuffer();
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.bpf.o'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await expect.poll(() => page.textContent('#object-name')).toContain('dropped.bpf.o: 1 programs');
    expect(await page.textContent('#errors')).toBe(''); // opening an object clears the errors about the previous one
    expect(pageErrors).toEqual([]);
  });

  it('the verifier panel shows the verdict, the state after each instruction, and a rejection located with its registers', async () => {
    // counter.bpf.o (dropped above): accepted, with its statistics, facts and state log.
    expect(await page.textContent('#verdict')).toMatch(/^accepted: \d+ instructions processed, \d+ states explored/);
    expect(await page.textContent('#verifier-facts')).toMatch(/^\d+ loads and stores proved in bounds .*every path ends/);
    expect(await page.textContent('#verifier-log tr.path')).toMatch(/^path from entry at pc 0: r1=ctx\(/);
    const first = page.locator('#verifier-log tr.insn[data-pc="0"]').first();
    expect(await first.textContent()).toMatch(/^0ldxdw %r6, \[%r1\+104\].*r6=scalar/);
    await page.locator('#verifier-log tr.insn[data-pc="2"]').first().click();
    expect(await page.getAttribute('#listing tr.current', 'data-pc')).toBe('2');
    // The same object with its null check testing another register: rejected at pc 13, marked in the listing.
    await page.setInputFiles('#file', { name: 'unchecked.bpf.o', mimeType: 'application/octet-stream', buffer: uncheckedCounter() });
    await expect.poll(() => page.textContent('#object-name')).toContain('unchecked.bpf.o: 1 programs');
    expect(await page.textContent('#verdict')).toMatch(/^rejected: /);
    expect(await page.textContent('#verifier-error')).toMatch(/^rejected \(null-deref\)pc 13: .*may be NULL/);
    expect(await page.textContent('#verifier-source')).toMatch(/^source: .*counter\.bpf\.c:\d+: /);
    expect(await page.textContent('#verifier-regs tr[data-reg="r0"]')).toMatch(/^r0map_value_or_null\(map=calls/);
    await expect.poll(() => page.getAttribute('#listing tr.fault', 'data-pc')).toBe('13');
    expect(await page.textContent('#verifier-log tr.note:last-child')).toMatch(/^rejected: pc 13: /);
    // Running it is refused with the same located error, in the page.
    await page.click('#run');
    await expect.poll(() => page.textContent('#errors')).toContain('VerifierError (null-deref)');
    // With verify warn it runs, every runtime check kept: the NULL the check misses faults at pc 13.
    await page.selectOption('#verify', 'warn');
    await page.fill('#budget', '');
    await page.click('#run');
    await expect.poll(() => page.textContent('#errors .error')).toContain('ExecError');
    expect(await page.textContent('#errors .error')).toContain('pc 13');
    await page.selectOption('#verify', 'strict');
    const shot = await page.screenshot();
    const stats = await imageStats(shot);
    expect(stats.variance).toBeGreaterThan(100);
    expect(pageErrors).toEqual([]);
  });
});
