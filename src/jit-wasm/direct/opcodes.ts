/**
 * The WebAssembly encoding constants the direct emitter writes (core spec, binary format): section ids, value and
 * block types, import/export kinds and the opcodes of the instructions the translation uses. Named once here, so no
 * bare encoding number appears elsewhere (STYLE.md rule 4, for Wasm as for eBPF).
 */

/** WASM_HEADER is the magic number and version 1. */
export const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** SECTION ids, in the order a module must contain them. */
export const SECTION = { type: 1, import: 2, function: 3, global: 6, export: 7, code: 10 } as const;
/** SECTION_CUSTOM is a custom section's id; it may stand anywhere (branch-hints.ts puts one before the code section). */
export const SECTION_CUSTOM = 0;

/** VAL are value types; EMPTY is the block type of a block without results; FUNC_TYPE starts a function type. */
export const VAL = { i32: 0x7f, i64: 0x7e } as const;
export const EMPTY = 0x40;
export const FUNC_TYPE = 0x60;

/** KIND is the external kind of an import or export. */
export const KIND = { func: 0, table: 1, memory: 2, global: 3 } as const;
/** FUNCREF is the reference type of a table of functions. */
export const FUNCREF = 0x70;
/** LIMITS_MIN_ONLY is the limits flag of a memory with a minimum and no maximum. */
export const LIMITS_MIN_ONLY = 0;
/** MUT is the mutability flag of a global. */
export const MUT = { const: 0, var: 1 } as const;

/** OP are the opcodes the emitter writes. */
export const OP = {
  unreachable: 0x00, nop: 0x01, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i64_store: 0x37, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;
