/**
 * `bin/bpf-conformance-plugin`: bpftime-vm as a plugin of the official bpf_conformance runner. Protocol: the program
 * arrives on stdin as hex bytes; argv[1] holds the input memory as hex bytes unless it starts with `--` (the runner
 * omits it when there is no memory); remaining arguments are plugin options (`--backend NAME`, `--program HEX`,
 * `--budget N`). On success r0 is printed in hex and the exit code is 0; on failure one line describing the error is
 * printed and the exit code is 1.
 */
import { readFileSync } from 'node:fs';
import { BpfError } from '../src/errors.js';
import { ubpfTestHelpers } from '../src/helpers/ubpf-test.js';
import { decodeProgram } from '../src/isa/index.js';
import { loadOn, loadRaw } from '../src/runtime/backends.js';
import { parseMemory } from './reader.js';

function fail(message: string): never {
  process.stdout.write(message.replace(/\n/g, ' ') + '\n');
  process.exit(1);
}

function parseHexBytes(text: string, what: string): Uint8Array {
  const tokens = text.split(/\s+/).filter(Boolean);
  for (const t of tokens) if (!/^(0x)?[0-9a-f]{1,2}$/i.test(t)) fail(`invalid ${what}: "${t}" is not a hex byte`);
  return parseMemory(text);
}

async function main(argv: string[]): Promise<void> {
  let memory: Uint8Array = new Uint8Array(0);
  let i = 0;
  if (argv.length > 0 && !argv[0].startsWith('--')) memory = parseHexBytes(argv[i++], 'memory');
  let program: string | undefined;
  let backend = 'interp';
  let budget: number | undefined;
  for (; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? fail(`option ${a} needs a value`);
    if (a === '--program') program = value();
    else if (a === '--backend') backend = value();
    else if (a === '--budget') budget = Number(value());
    else if (a === '--elf') fail('ELF input (--elf) is not supported by this build yet');
    else if (a === '--debug') continue;
    else fail(`unknown option ${a}`);
  }
  const code = parseHexBytes(program ?? readFileSync(0, 'utf8'), 'program');
  try {
    // On wasm-opt binaryen is loaded only if the module cache lacks the program (src/runtime/wasm-cache.ts).
    const prog = await loadOn(backend, () => loadRaw(decodeProgram(code), { backend, helpers: ubpfTestHelpers() }));
    const { r0 } = prog.run({ input: memory.length ? memory : undefined, budget });
    process.stdout.write(r0.toString(16) + '\n');
  } catch (e) {
    fail(e instanceof BpfError ? e.message : `internal error: ${String(e)}`);
  }
}

await main(process.argv.slice(2));
