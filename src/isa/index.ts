/** The ISA layer: encoding constants, instruction forms, codec, assembler, disassembler, conformance gating. */
export * from './opcodes.js';
export * from './insn.js';
export * from './forms.js';
export * from './format.js';
export * from './assembler.js';
export * from './disassembler.js';
export * from './validate.js';
export * from './conformance-groups.js';
