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

  /**
   * verifyPath returns what `verify` of a raw program loads when it runs: the ES module cli.js imports for it
   * (src/cli/commands/verify-run.ts) with its static graph, and the script that module compiles with the V8 code cache
   * (dist/verify.cjs, the verify command, the assembler and the verifier in one file; src/cli/code-cache.ts).
   */
  function verifyPath(): { modules: Map<string, string>; script: string; sources: string[] } {
    const cli = graph.get('cli.js')!;
    const chunk = /import\("\.\/(verify-run-[^"]+\.js)"\)/.exec(cli)?.[1];
    expect(chunk).toBeDefined();
    const modules = staticGraph(chunk!);
    const script = readFileSync(join(ROOT, 'dist', 'verify.cjs'), 'utf8');
    const sources = [...modules.values(), script].flatMap((t) => [...t.matchAll(/^\/\/ ((?:src|conformance)\/\S+\.ts)$/gm)].map((m) => m[1]));
    return { modules, script, sources };
  }

  it('verifies a raw program without loading the kernel helpers, the maps or the loader', () => {
    // Objects and --type import the rest on demand, through src/cli/commands/verify-deps.ts (left to the ES modules).
    const { modules, script, sources } = verifyPath();
    expect(sources).toContain('src/verifier/explore.ts');
    expect(sources.filter((s) => /^src\/(helpers\/(kernel|maps|packet)\/|memory\/|vm\/|jit-wasm\/|runtime\/collection|loader\/(collection|btf\/parse|maps|link))/.test(s))).toEqual([]);
    // The script: 208 kB when it replaced the verify chunk and its 11 modules (231 kB, 2026-12-06). The error classes
    // and the output are the CLI's (one copy: `instanceof` picks exit codes), not bundled again.
    expect(Buffer.byteLength(script)).toBeLessThan(240_000);
    const scriptSources = [...script.matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map((m) => m[1]);
    expect(scriptSources).toContain('src/cli/commands/verify.ts');
    expect(scriptSources.filter((s) => s === 'src/errors.ts' || s.startsWith('src/cli/output') || s.startsWith('src/cli/stdio'))).toEqual([]);
    // Each ES module costs the loader ~1.7 M instructions (~1 ms) to resolve, read, compile and link whatever its size
    // (bench/RESULTS.md, "the process around the verification"): the verify path is one script and the ES module
    // that runs it, with the cache directory's chunk (src/runtime/cache-dir.ts, shared with the other caches), the
    // dynamic imports' (verify-deps.ts, shared with verify.ts as the ES module that objects run) and the errors' and
    // output's chunks, which cli.js has loaded already. 5 files where there were 12.
    expect(modules.size).toBeLessThanOrEqual(5);
  });

  it('runs the verify script without import(): code compiled by vm.Script has no module loader', () => {
    const { script } = verifyPath();
    expect(script).not.toMatch(/\bimport\s*\(/);
    expect(script).not.toMatch(/import\.meta/);
    expect(script.startsWith('(function (require, module, exports, __importMetaUrl) {')).toBe(true);
  });

  it('verifies without touching process.stdout or process.stderr (a file or pipe would load Node\'s stream stack)', () => {
    const { modules, script } = verifyPath();
    // Split the bundles into their source files (esbuild's `// path` markers); only src/cli/stdio.ts may name the
    // streams, for a pipe that pushes back (EAGAIN).
    const sections = [...graph.values(), ...modules.values(), script].flatMap((t) => t.split(/^(?=\/\/ (?:src|conformance)\/\S+\.ts$)/m));
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
