/**
 * `bpftime-vm verify FILE`: run the verifier on an object's programs or on raw bytecode and print the verdict. A raw
 * program without a kernel type loads only the assembler and the verifier with the uBPF test helpers; the loader and
 * the kernel helper set (their implementations, maps and packet code) are imported when an object or `--type` needs
 * them (bench/RESULTS.md, "Verifier"), through ./verify-deps.ts. The CLI runs this module as a script with a V8 code
 * cache (dist/verify.cjs, ../code-cache.ts): it must not `import()` anything itself.
 */
import { UsageError, type VerifierError } from '../../errors.js';
import { ubpfTestHelpers } from '../../helpers/ubpf-test.js';
import { MAP_TYPES, type ProgramSpec } from '../../loader/spec.js';
import type { Btf } from '../../loader/btf/parse.js';
import type { MapInfo } from '../../verifier/env.js';
import { programType } from '../../verifier/program-types.js';
import { verifyWithHelpers, type VerifyResult } from '../../verifier/verify.js';
import type { Command } from '../command.js';
import { isElfFile, readFile, readProgramFile } from '../input.js';
import { EXIT, rejectionDetails, type Output } from '../output.js';
import { kernelHelperSet, objectSupport } from './verify-deps.js';
import { tieringOptions } from '../tiering.js';

/** parseMapOption reads `TYPE:KEY:VALUE:ENTRIES` (TYPE a bpftool map type name or a number). */
export function parseMapOption(text: string, index: number): MapInfo {
  const parts = text.split(':');
  if (parts.length !== 4) throw new UsageError('bad-option', `--map expects TYPE:KEY:VALUE:ENTRIES, got "${text}"`);
  const [typeText, ...nums] = parts;
  const byName = Object.entries(MAP_TYPES).find(([, n]) => n === typeText);
  const type = byName ? Number(byName[0]) : /^\d+$/.test(typeText) ? Number(typeText) : NaN;
  if (!Number.isInteger(type) || !MAP_TYPES[type]) throw new UsageError('bad-option', `--map: unknown map type "${typeText}"`);
  const [keySize, valueSize, maxEntries] = nums.map((n) => {
    if (!/^\d+$/.test(n)) throw new UsageError('bad-option', `--map: "${n}" in "${text}" is not a size`);
    return Number(n);
  });
  return { name: `map${index}`, type, keySize, valueSize, maxEntries };
}

interface Verdict {
  name: string;
  section?: string;
  type: string;
  result: VerifyResult;
}

const statsLine = (r: VerifyResult): string => {
  const s = r.stats;
  return `${s.insnsProcessed} instructions processed, ${s.statesExplored} states explored, ${s.statesPruned} pruned, ${s.loopsWidened} loop heads widened, ${s.stackDepth} bytes of stack, ${s.ms.toFixed(1)} ms`;
};

function errorLines(e: VerifierError): string[] {
  return [e.message, ...rejectionDetails(e)].map((l) => `  ${l}`);
}

function print(out: Output, file: string, verdicts: Verdict[], verbose: boolean): void {
  if (out.json) {
    out.data({
      file,
      programs: verdicts.map((v) => ({
        name: v.name,
        ...(v.section ? { section: v.section } : {}),
        type: v.type,
        verdict: v.result.ok ? 'accepted' : 'rejected',
        ...(v.result.error ? { error: v.result.error.toJSON() } : {}),
        stats: v.result.stats,
        ...(verbose && v.result.log ? { log: v.result.log } : {}),
      })),
    });
    return;
  }
  for (const v of verdicts) {
    if (verbose && v.result.log) for (const l of v.result.log) out.text(l);
    const what = `${v.name}${v.section ? ` (${v.section}, ${v.type})` : ` (${v.type})`}`;
    out.text(`${what}: ${v.result.ok ? 'accepted' : 'rejected'}`);
    if (v.result.error) for (const l of errorLines(v.result.error)) out.text(l);
    if (verbose || v.result.ok) out.text(`  ${statsLine(v.result)}`);
  }
}

/** verifyFile implements `verify` (declared in ../commands-list.ts). */
export const verifyFile: Command['run'] = async ({ flags, positionals }, out) => {
  const path = positionals[0];
  const verbose = flags.verbose === true;
  const privileged = flags.privileged === true;
  const verdicts: Verdict[] = [];
  if (isElfFile(readFile(path))) {
    for (const f of ['type', 'map']) if (flags[f] !== undefined) throw new UsageError('bad-option', `--${f} applies to raw programs only (an object's sections and maps give them)`);
    const { loadObject, pickProgram, verifySpec, readsKernelPointers } = await objectSupport();
    const { spec, targetBtf } = loadObject(path, { btf: flags.btf as string | undefined, kconfig: flags.kconfig as string | undefined });
    // BTF-typed kernel pointers and kfuncs are typed from the target kernel's BTF, read only when a program needs it.
    const kernelTypes = (p: ProgramSpec): { targetBtf?: Btf } => {
      const btf = readsKernelPointers(p) || (p.ksyms ?? []).length > 0 ? targetBtf() : undefined;
      return btf ? { targetBtf: btf } : {};
    };
    const progs = flags.prog !== undefined || flags.section !== undefined ? [pickProgram(spec.programs, flags)] : spec.programs;
    for (const p of progs) verdicts.push({ name: p.name, section: p.section, type: p.type, result: verifySpec(p, spec.maps, { log: verbose, privileged, ...kernelTypes(p), ...tieringOptions() }) });
  } else {
    for (const f of ['prog', 'section', 'btf', 'kconfig']) if (flags[f] !== undefined) throw new UsageError('bad-option', `--${f} applies to ELF objects only`);
    const file = readProgramFile(path);
    const maps = ((flags.map as string[] | undefined) ?? []).map(parseMapOption);
    const type = (flags.type as string | undefined) ?? 'raw';
    const helpers = programType(type).raw ? ubpfTestHelpers() : await kernelHelperSet();
    verdicts.push({ name: file.path, type, result: verifyWithHelpers(file.insns, { type, maps, log: verbose, privileged, section: file.path, helpers, ...tieringOptions() }) });
  }
  print(out, path, verdicts, verbose);
  return verdicts.every((v) => v.result.ok) ? EXIT.ok : EXIT.failure;
};
