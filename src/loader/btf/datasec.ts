/**
 * Completing DATASEC types from the ELF file, as libbpf's btf_fixup_datasec does: clang leaves a section's size and
 * its variables' offsets at 0 in object files (the linker would fill them), so the loader takes them from the section
 * headers and the symbol table. The DATASEC records of `btf` are updated in place.
 */
import type { Btf } from './btf.js';
import { btfError } from './errors.js';
import { BtfKind, kindName } from './types.js';

/** Sections whose DATASEC describes externs, sized and placed by the loader rather than by ELF symbols. */
const EXTERN_SECTIONS = ['.kconfig', '.ksyms'];

/** DatasecSource is what fixupDatasecs needs from the ELF file. */
export interface DatasecSource {
  /** Size of the ELF section named `name`, or undefined when there is none. */
  sectionSize(name: string): number | undefined;
  /** Value (offset in its section) of the data symbol `name`, or undefined when there is none. */
  symbolOffset(name: string): number | undefined;
}

/**
 * fixupDatasecs sets the size of every DATASEC whose size is 0 and, for those, the offsets of their variables; it then
 * sorts each section's variables by offset. Extern sections are only sorted. A global variable without a symbol is a
 * LoadError; static ones keep their offset when the symbol table does not list them.
 */
export function fixupDatasecs(btf: Btf, elf: DatasecSource): void {
  btf.types.forEach((t, id) => {
    if (t.kind !== BtfKind.DATASEC) return;
    if (!EXTERN_SECTIONS.includes(t.name) && t.size === 0) {
      const size = elf.sectionSize(t.name);
      if (!size) throw btfError(`type ${id}: section ${t.name} has no size in the ELF file`);
      t.size = size;
      t.vars.forEach((v, i) => {
        const vt = btf.type(v.type);
        if (vt.kind !== BtfKind.VAR) {
          throw btfError(`type ${id}: section ${t.name}: variable ${i} is a ${kindName(vt.kind)}, not a VAR`);
        }
        if (vt.linkage === 'extern') return;
        const offset = elf.symbolOffset(vt.name);
        if (offset === undefined) {
          if (vt.linkage !== 'global') return;
          throw btfError(`type ${id}: section ${t.name}: variable ${vt.name} has no ELF symbol`);
        }
        v.offset = offset;
      });
    }
    t.vars.sort((a, b) => a.offset - b.offset);
  });
}
