/**
 * The BTF layer of the loader: `.BTF` types, `.BTF.ext` function/line/CO-RE records, value formatting and CO-RE
 * relocation. Everything here is pure data in, data out; errors are LoadErrors with `BTF: `, `BTF.ext: ` or `CO-RE: `
 * messages.
 */
export * from './types.js';
export { Btf, MAX_RESOLVE_DEPTH, POINTER_SIZE } from './btf.js';
export { parseBtf, BTF_MAGIC } from './parse.js';
export * from './ext.js';
export { formatValue, formatTypeC, jsonInt, type FormattedValue } from './format.js';
export {
  calcCoreRelo,
  patchCoreInsn,
  CORE_POISON_IMM,
  type CorePatch,
  type CoreReloInput,
  type CoreResult,
  type CoreResultOk,
  type CoreResultFail,
} from './core.js';
export { essentialName } from './core-compat.js';
export { fixupDatasecs, type DatasecSource } from './datasec.js';
