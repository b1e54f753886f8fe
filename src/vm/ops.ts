/**
 * Internal operation ids of the interpreter. `prepare.ts` maps every instruction form (with its variant fields: width,
 * source, signedness, byte order, atomic operation) to one of these dense ids, so the interpreter's loop is one flat
 * switch with no second-level decoding. The production bundle inlines these constants into literal case labels
 * (esbuild `minifySyntax`): left as the `var` bindings plain bundling produces, the same switch measured 2.6-3.6x
 * slower (`npm run bench -- interp`, column var-labels).
 */

// ALU64, immediate (imm sign-extended to 64 bits) then register source.
export const ADD64_K = 1;
export const SUB64_K = 2;
export const MUL64_K = 3;
export const DIV64_K = 4;
export const SDIV64_K = 5;
export const OR64_K = 6;
export const AND64_K = 7;
export const LSH64_K = 8;
export const RSH64_K = 9;
export const MOD64_K = 10;
export const SMOD64_K = 11;
export const XOR64_K = 12;
export const MOV64_K = 13;
export const ARSH64_K = 14;
export const ADD64_X = 15;
export const SUB64_X = 16;
export const MUL64_X = 17;
export const DIV64_X = 18;
export const SDIV64_X = 19;
export const OR64_X = 20;
export const AND64_X = 21;
export const LSH64_X = 22;
export const RSH64_X = 23;
export const MOD64_X = 24;
export const SMOD64_X = 25;
export const XOR64_X = 26;
export const MOV64_X = 27;
export const ARSH64_X = 28;
export const NEG64 = 29;

// ALU (32-bit, result zero-extended).
export const ADD32_K = 31;
export const SUB32_K = 32;
export const MUL32_K = 33;
export const DIV32_K = 34;
export const SDIV32_K = 35;
export const OR32_K = 36;
export const AND32_K = 37;
export const LSH32_K = 38;
export const RSH32_K = 39;
export const MOD32_K = 40;
export const SMOD32_K = 41;
export const XOR32_K = 42;
export const MOV32_K = 43;
export const ARSH32_K = 44;
export const ADD32_X = 45;
export const SUB32_X = 46;
export const MUL32_X = 47;
export const DIV32_X = 48;
export const SDIV32_X = 49;
export const OR32_X = 50;
export const AND32_X = 51;
export const LSH32_X = 52;
export const RSH32_X = 53;
export const MOD32_X = 54;
export const SMOD32_X = 55;
export const XOR32_X = 56;
export const MOV32_X = 57;
export const ARSH32_X = 58;
export const NEG32 = 59;

// Sign-extending moves and byte-order operations.
export const MOVSX8_32 = 61;
export const MOVSX16_32 = 62;
export const MOVSX8_64 = 63;
export const MOVSX16_64 = 64;
export const MOVSX32_64 = 65;
export const LE16 = 66;
export const LE32 = 67;
export const LE64 = 68;
export const BE16 = 69;
export const BE32 = 70;
export const BE64 = 71;
export const BSWAP16 = 72;
export const BSWAP32 = 73;
export const BSWAP64 = 74;

// Jumps: JA, then conditionals as 64-bit/32-bit x immediate/register.
export const JA = 80;
export const JEQ_K = 81;
export const JGT_K = 82;
export const JGE_K = 83;
export const JSET_K = 84;
export const JNE_K = 85;
export const JSGT_K = 86;
export const JSGE_K = 87;
export const JLT_K = 88;
export const JLE_K = 89;
export const JSLT_K = 90;
export const JSLE_K = 91;
export const JEQ_X = 92;
export const JGT_X = 93;
export const JGE_X = 94;
export const JSET_X = 95;
export const JNE_X = 96;
export const JSGT_X = 97;
export const JSGE_X = 98;
export const JLT_X = 99;
export const JLE_X = 100;
export const JSLT_X = 101;
export const JSLE_X = 102;
export const JEQ32_K = 103;
export const JGT32_K = 104;
export const JGE32_K = 105;
export const JSET32_K = 106;
export const JNE32_K = 107;
export const JSGT32_K = 108;
export const JSGE32_K = 109;
export const JLT32_K = 110;
export const JLE32_K = 111;
export const JSLT32_K = 112;
export const JSLE32_K = 113;
export const JEQ32_X = 114;
export const JGT32_X = 115;
export const JGE32_X = 116;
export const JSET32_X = 117;
export const JNE32_X = 118;
export const JSGT32_X = 119;
export const JSGE32_X = 120;
export const JLT32_X = 121;
export const JLE32_X = 122;
export const JSLT32_X = 123;
export const JSLE32_X = 124;

// Calls and exit.
export const CALL_HELPER = 130;
export const CALL_LOCAL = 131;
export const CALLX = 132;
export const EXIT = 133;

// Loads and stores.
export const LD_IMM64 = 140;
export const LDABS_B = 141;
export const LDABS_H = 142;
export const LDABS_W = 143;
export const LDIND_B = 144;
export const LDIND_H = 145;
export const LDIND_W = 146;
export const LDX_B = 147;
export const LDX_H = 148;
export const LDX_W = 149;
export const LDX_DW = 150;
export const LDXS_B = 151;
export const LDXS_H = 152;
export const LDXS_W = 153;
export const ST_B = 154;
export const ST_H = 155;
export const ST_W = 156;
export const ST_DW = 157;
export const STX_B = 158;
export const STX_H = 159;
export const STX_W = 160;
export const STX_DW = 161;

// Atomics (read-modify-write; 32-bit forms zero-extend fetched values).
export const AADD_W = 170;
export const AOR_W = 171;
export const AAND_W = 172;
export const AXOR_W = 173;
export const AFADD_W = 174;
export const AFOR_W = 175;
export const AFAND_W = 176;
export const AFXOR_W = 177;
export const AXCHG_W = 178;
export const ACMPXCHG_W = 179;
export const AADD_DW = 180;
export const AOR_DW = 181;
export const AAND_DW = 182;
export const AXOR_DW = 183;
export const AFADD_DW = 184;
export const AFOR_DW = 185;
export const AFAND_DW = 186;
export const AFXOR_DW = 187;
export const AXCHG_DW = 188;
export const ACMPXCHG_DW = 189;

/** FELL_OFF is the sentinel placed after the last slot: reaching it is a fault. */
export const FELL_OFF = 200;
/** LDDW_HI marks the second slot of a lddw; jumps never land there (validated), so it is never executed. */
export const LDDW_HI = 201;
/** POISON is an instruction a failed CO-RE relocation invalidated: executing it is a fault that names the relocation. */
export const POISON = 202;
