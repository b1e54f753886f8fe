/**
 * Applying CO-RE relocations (from .BTF.ext) to the decoded code sections, before linking: each relocation is
 * computed against the target BTF (src/loader/btf/core.ts) and patched into its instruction. A relocation that cannot
 * be resolved poisons its instruction, as libbpf does, and is recorded with the reason, so the program still loads
 * (the access may sit in dead code, e.g. behind bpf_core_field_exists) and fails only if the instruction runs.
 */
import type { Btf } from './btf/parse.js';
import { calcCoreRelo, patchCoreInsn } from './btf/core.js';
import type { BtfExt } from './btf/ext.js';
import type { CodeSection } from './link.js';

/** AppliedRelo is one relocation as applied to a section-relative instruction. */
export interface AppliedRelo {
  insn: number;
  kind: string;
  access: string;
  value: bigint;
  found: boolean;
  reason?: string;
}

/** CoreOutcome lists the applied relocations by ELF section name. */
export interface CoreOutcome {
  records: Map<string, AppliedRelo[]>;
}

/** applyCoreRelocations patches every code section in place and reports what it did. */
export function applyCoreRelocations(code: Map<number, CodeSection>, ext: BtfExt | undefined, local: Btf | undefined, targetBtf: () => Btf | undefined): CoreOutcome {
  const records = new Map<string, AppliedRelo[]>();
  if (!ext || !local) return { records };
  let target: Btf | undefined;
  let resolved = false;
  for (const cs of code.values()) {
    const relos = ext.coreRelos.get(cs.section.name);
    if (!relos?.length) continue;
    const out: AppliedRelo[] = [];
    if (!resolved) {
      target = targetBtf();
      resolved = true;
    }
    for (const r of relos) {
      const result = calcCoreRelo(local, { typeId: r.typeId, access: r.access, kind: r.kind, insn: r.insn }, target);
      const patch = patchCoreInsn(cs.insns, r.insn, result);
      const found = result.ok && !patch.poisoned;
      const access = result.ok && result.targetPath && result.targetPath !== result.accessPath ? `${result.accessPath} -> ${result.targetPath}` : result.accessPath;
      const rec: AppliedRelo = { insn: r.insn, kind: result.kindName, access, value: result.ok ? result.value : 0n, found };
      const reason = !result.ok ? result.reason : patch.reason;
      if (reason !== undefined) rec.reason = reason;
      out.push(rec);
    }
    records.set(cs.section.name, out);
  }
  return { records };
}
