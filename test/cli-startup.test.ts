// `bpftime-vm --help` must start fast (issue 11: under 100 ms installed; bench/RESULTS.md, "Start-up"): the modules
// the CLI bundle loads before any command runs are only the command declarations, never the loader, the
// interpreter, the JIT or binaryen, which commands import when they run. Checked on the built dist/ (esbuild marks
// each bundled source file with a `// path` comment), so a heavy static import added anywhere fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/** staticGraph returns the files dist/<entry> loads before running: itself and its static imports, transitively. */
function staticGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(join(ROOT, 'dist', file), 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"\.\/([^"]+)"/gm)) visit(m[1]);
    for (const m of text.matchAll(/^import\s*"\.\/([^"]+)"/gm)) visit(m[1]);
  };
  visit(entry);
  return seen;
}

describe('CLI start-up', () => {
  const graph = staticGraph('cli.js');
  const sources = [...graph.values()].flatMap((t) => [...t.matchAll(/^\/\/ ((?:src|conformance)\/\S+\.ts)$/gm)].map((m) => m[1]));

  it('loads only the command declarations before a command runs', () => {
    expect(sources.length).toBeGreaterThan(3);
    expect(sources.filter((s) => !/^src\/(cli\/(main|args|output|stdio|commands-list|option-specs)|errors|version|runtime\/backend-names|vm\/limits)\.ts$/.test(s))).toEqual([]);
  });

  it('reads less than 40 kB of JavaScript for --help', () => {
    const bytes = [...graph.values()].reduce((n, t) => n + Buffer.byteLength(t), 0);
    expect(bytes).toBeLessThan(40_000);
  });

  it('verifies a raw program without loading the kernel helpers, the maps or the loader', () => {
    // The verify command's module, as cli.js imports it when the command runs; its static graph is what a raw
    // program's verification loads (objects and --type import the rest on demand).
    const cli = graph.get('cli.js')!;
    const chunk = /import\("\.\/(verify-[^"]+\.js)"\)/.exec(cli)?.[1];
    expect(chunk).toBeDefined();
    const verify = staticGraph(chunk!);
    const loaded = [...verify.values()].flatMap((t) => [...t.matchAll(/^\/\/ ((?:src|conformance)\/\S+\.ts)$/gm)].map((m) => m[1]));
    expect(loaded).toContain('src/verifier/explore.ts');
    expect(loaded.filter((s) => /^src\/(helpers\/(kernel|maps|packet)\/|memory\/|vm\/|jit-wasm\/|runtime\/collection|loader\/(collection|btf\/parse|maps|link))/.test(s))).toEqual([]);
    // 231 kB after the nested-loop and cold-exploration work of 2026-12-06 (the verifier's own code grew ~2 kB).
    expect([...verify.values()].reduce((n, t) => n + Buffer.byteLength(t), 0)).toBeLessThan(240_000);
    // Each ES module costs the loader ~1.7 M instructions (~1 ms) to resolve, read, compile and link whatever its
    // size (bench/RESULTS.md, "the process around the verification"): 12 files, with the ones cli.js shares.
    expect(verify.size).toBeLessThanOrEqual(12);
  });

  it('verifies without touching process.stdout or process.stderr (a file or pipe would load Node\'s stream stack)', () => {
    const cli = graph.get('cli.js')!;
    const verify = staticGraph(/import\("\.\/(verify-[^"]+\.js)"\)/.exec(cli)![1]);
    // Split the bundles into their source files (esbuild's `// path` markers); only src/cli/stdio.ts may name the
    // streams, for a pipe that pushes back (EAGAIN).
    const sections = [...graph.values(), ...verify.values()].flatMap((t) => t.split(/^(?=\/\/ (?:src|conformance)\/\S+\.ts$)/m));
    const touching = sections.filter((t) => /process\.(stdout|stderr)/.test(t)).map((t) => /^\/\/ (\S+)/.exec(t)?.[1]);
    expect([...new Set(touching)]).toEqual(['src/cli/stdio.ts']);
  });

  it('leaves binaryen to node_modules: imported by name when wasm-opt needs it, not bundled', () => {
    const files = readdirSync(join(ROOT, 'dist')).filter((f) => f.endsWith('.js'));
    const texts = files.map((f) => readFileSync(join(ROOT, 'dist', f), 'utf8'));
    expect(texts.filter((t) => t.includes('import("binaryen")'))).toHaveLength(1);
    // binaryen is ~15 MB of JavaScript: no file near that means it was not inlined (the browser bundle, one file with
    // the whole runtime, is the largest at ~0.55 MB).
    expect(Math.max(...texts.map((t) => t.length))).toBeLessThan(1_500_000);
  });
});
