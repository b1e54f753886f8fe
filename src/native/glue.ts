/**
 * The C glue of a compiled program (native-hooks/include/bpftime_prog_abi.h): one translation unit that includes
 * wasm2c's output and implements the module's imports on top of `struct bpftime_exec_abi` (helpers through the
 * runtime's table by id, refill, trap, tail call, callx, the lddw globals, the memory), defines the three wasm2c
 * runtime functions the module needs (so that no wasm-rt-impl.c, with its signal handlers, is linked), and exports
 * `bpftime_prog_desc`. Being one unit with the module, the import wrappers inline into the program's code.
 */
import { TEXT_BASE } from '../memory/guest-memory.js';
import { PSEUDO_MAP_FD, PSEUDO_MAP_IDX, PSEUDO_MAP_IDX_VALUE, PSEUDO_MAP_VALUE } from '../isa/opcodes.js';
import type { ContextLayout } from '../loader/contexts.js';
import type { Manifest } from '../runtime/export.js';
import { LoadError } from '../errors.js';
import { ATOMIC_OPS } from '../jit-wasm/abi.js';

/** MODULE_NAME is the wasm2c module name (`-n`): symbols are Z_<name>Z_..., files <name>.c and <name>.h. */
export const MODULE_NAME = 'prog';

const SOURCES: Record<string, number> = { map_fd: PSEUDO_MAP_FD, map_value: PSEUDO_MAP_VALUE, map_idx: PSEUDO_MAP_IDX, map_idx_value: PSEUDO_MAP_IDX_VALUE };
const GLOBALS = ['pc', 'fp', 'ctl', 'budget', 'stack_limit', 'pkt_start', 'pkt_len', 'ret_hi'] as const;

/** GlueInput is what the glue needs to know about the program besides its manifest. */
export interface GlueInput {
  manifest: Manifest;
  program: string;
  section: string;
  /** The context layout of the program's type (where function arguments are); raw when unknown. */
  context?: ContextLayout;
  /** The program never reads r1 before writing it (readsContext), so the runtime need not copy the context. */
  ctxUnread?: boolean;
  /** The verifier accepted the program (BPFTIME_DESC_VERIFIED: the runtime may trust its helper arguments). */
  verified?: boolean;
}

/** contextFields renders the descriptor's context description: kind, argument and return value offsets. */
function contextFields(layout: ContextLayout | undefined): string[] {
  if (layout?.kind !== 'pt_regs') return ['\t.ctx_kind = BPFTIME_CTX_RAW,'];
  const off = (reg: string): number => layout.fields.find((f) => f.name === reg)!.offset;
  return [
    '\t.ctx_kind = BPFTIME_CTX_PT_REGS,',
    `\t.ctx_nargs = ${layout.args!.length},`,
    `\t.ctx_arg_off = { ${layout.args!.map(off).join(', ')} },`,
    `\t.ctx_ret_off = ${off(layout.ret!)},`,
  ];
}

const cString = (s: string): string => JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\x${h}`);
const regs = (prefix: string): string => [1, 2, 3, 4, 5].map((r) => `${prefix}${r}`).join(', ');
const X = '((struct bpftime_exec_abi *)(void *)(self))';

/** importModules lists the modules a module imports from, as wasm2c orders its instantiate parameters (by name). */
export function importModules(manifest: Manifest): string[] {
  const mods: string[] = [];
  if (manifest.services.length > 0 || manifest.lddw.length > 0) mods.push('bpf');
  if (manifest.memory) mods.push('env');
  if (manifest.helpers.length > 0) mods.push('helper');
  return mods;
}

function helperImport(name: string, id: number): string {
  const halves = [1, 2, 3, 4, 5].map((r) => `u32 a${r}, u32 h${r}`).join(', ');
  const args = [1, 2, 3, 4, 5].map((r) => `(u64)h${r} << 32 | a${r}`).join(', ');
  return [
    `u32 Z_helperZ_${name}(struct Z_helper_instance_t *self, ${halves}) {`,
    `\tu64 r0 = ${X}->helpers[${id}]((struct bpftime_exec *)(void *)self, ${args});`,
    `\t((Z_${MODULE_NAME}_instance_t *)${X}->inst)->w2c_ret_hi = (u32)(r0 >> 32);`,
    '\treturn (u32)r0;',
    '}',
  ].join('\n');
}

/** atomicImport performs the atomic read-modify-writes (ATOMIC_OPS) with the compiler's __atomic builtins. */
function atomicImport(self: string, exec: string): string {
  const cases = Object.entries(ATOMIC_OPS).flatMap(([op, code]) => [4, 8].map((size) => {
    const t = size === 8 ? 'u64' : 'u32';
    const body = op === 'cmpxchg'
      ? `{ ${t} e = (${t})expected; __atomic_compare_exchange_n((${t} *)p, &e, (${t})value, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); return e; }`
      : op === 'xchg' ? `return __atomic_exchange_n((${t} *)p, (${t})value, __ATOMIC_SEQ_CST);`
      : `return __atomic_fetch_${op}((${t} *)p, (${t})value, __ATOMIC_SEQ_CST);`;
    return `\tcase ${code | (size << 8)}: ${body}`;
  }));
  return [
    `u64 Z_bpfZ_atomic(${self}, u32 kind, u32 addr, u64 value, u64 expected) {`,
    `\tu8 *p = ((wasm_rt_memory_t *)${X}->memory)->data + addr;`,
    '\tswitch (kind) {',
    ...cases,
    '\t}',
    `\t${X}->trap(${exec}, BPFTIME_TRAP_WASM, 0, kind);`,
    '}',
  ].join('\n');
}

function serviceImport(service: string): string {
  const self = 'struct Z_bpf_instance_t *self';
  const exec = '(struct bpftime_exec *)(void *)self';
  switch (service) {
    case 'bpf.refill':
      return `u64 Z_bpfZ_refill(${self}, u64 addr, u32 size, u32 write, u32 pc) {\n\treturn ${X}->refill(${exec}, addr, size, write, pc);\n}`;
    case 'bpf.trap':
      return `void Z_bpfZ_trap(${self}, u32 kind, u32 pc, u64 value) {\n\t${X}->trap(${exec}, kind, pc, value);\n}`;
    case 'bpf.tail_call':
      return `u64 Z_bpfZ_tail_call(${self}, u64 r1, u64 r2, u64 r3, u64 r4, u64 r5, u64 r10) {\n\treturn ${X}->tail_call(${exec}, ${regs('r')}, r10);\n}`;
    case 'bpf.callx':
      return [
        `u64 Z_bpfZ_callx(${self}, u32 pc, u64 target, u64 r1, u64 r2, u64 r3, u64 r4, u64 r5) {`,
        `\tif (target < BPFTIME_HELPER_ID_COUNT && ${X}->helpers[target]) return ${X}->helpers[target](${exec}, ${regs('r')});`,
        `\t${X}->trap(${exec}, BPFTIME_TRAP_CALLX, pc, target);`,
        '}',
      ].join('\n');
    case 'bpf.atomic':
      return atomicImport(self, exec);
  }
  throw new LoadError('native-glue', `the module imports ${service}, which the native runtime does not provide`);
}

/** renderGlue returns the C source of the glue for one program. */
export function renderGlue(input: GlueInput): string {
  const { manifest: m } = input;
  const inst = `Z_${MODULE_NAME}_instance_t`;
  const out: string[] = [
    `/* Generated by bpftime-vm (src/native/glue.ts) for program ${input.program.replace(/\*\//g, '')}: do not edit. */`,
    `#include "${MODULE_NAME}.c"`,
    '#include <stddef.h>',
    '#include "bpftime_helpers.gen.h"',
    '#include "bpftime_prog_abi.h"',
    '',
    'extern __attribute__((visibility("default"))) struct bpftime_prog_desc bpftime_prog_desc;',
    '',
    '/* The wasm2c runtime functions the module calls (wasm-rt-impl.c is not linked). */',
    'bool wasm_rt_is_initialized(void) { return true; }',
    'uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {',
    '\tstatic uint32_t next;',
    '\t(void)params, (void)results;',
    '\treturn ++next;',
    '}',
    'void wasm_rt_trap(wasm_rt_trap_t trap) { bpftime_prog_desc.wasm_trap((int)trap); }',
    '',
  ];
  if (m.memory) out.push(`wasm_rt_memory_t *Z_envZ_memory(struct Z_env_instance_t *self) { return (wasm_rt_memory_t *)${X}->memory; }`, '');
  for (const s of m.services) out.push(serviceImport(s), '');
  for (const h of m.helpers) out.push(helperImport(h.import.slice(h.import.indexOf('.') + 1), h.id), '');
  m.lddw.forEach((l, k) => out.push(`u64 *Z_bpfZ_${l.import.slice(l.import.indexOf('.') + 1)}(struct Z_bpf_instance_t *self) { return (u64 *)&${X}->lddw[${k}]; }`));
  for (const f of m.functions) {
    out.push(`static u64 entry_${f.pc}(void *inst, u64 r1, u64 r2, u64 r3, u64 r4, u64 r5, u64 r10) { return Z_${MODULE_NAME}Z_${f.export}(inst, ${regs('r')}, r10); }`);
  }
  const params = importModules(m).map((mod) => `(struct Z_${mod}_instance_t *)(void *)x`);
  out.push(
    '',
    `static void instantiate(void *inst, struct bpftime_exec *x) { Z_${MODULE_NAME}_instantiate(inst${params.map((p) => `, ${p}`).join('')}); }`,
    `static void free_instance(void *inst) { Z_${MODULE_NAME}_free(inst); }`,
    `static void init_module(void) { Z_${MODULE_NAME}_init_module(); }`,
    '',
    `static const uint32_t helper_ids[] = { ${m.helpers.map((h) => h.id).join(', ') || '0'} };`,
    `static const char *const helper_names[] = { ${m.helpers.map((h) => cString(h.import.slice(h.import.indexOf('.') + 1))).join(', ') || 'NULL'} };`,
    `static const struct bpftime_lddw_desc lddw[] = { ${m.lddw.map((l) => {
      const source = SOURCES[l.source];
      if (source === undefined) throw new LoadError('native-glue', `map reference at pc ${l.pc}: unsupported source ${l.source}`);
      return `{ ${l.pc}, ${source}, ${l.index}, ${l.offset ?? 0}, ${cString(l.map ?? `#${l.index}`)} }`;
    }).join(', ') || '{ 0 }'} };`,
    `static const struct bpftime_fn_desc fns[] = { ${[...m.functions].sort((a, b) => a.pc - b.pc).map((f) => `{ ${f.pc}, entry_${f.pc} }`).join(', ')} };`,
    '',
    '__attribute__((visibility("default"))) struct bpftime_prog_desc bpftime_prog_desc = {',
    '\t.abi_version = BPFTIME_PROG_ABI_VERSION,',
    `\t.instance_size = sizeof(${inst}),`,
    `\t.name = ${cString(input.program)},`,
    `\t.section = ${cString(input.section)},`,
    `\t.insns = ${m.insns},`,
    `\t.nhelpers = ${m.helpers.length},`,
    '\t.helper_ids = helper_ids,',
    '\t.helper_names = helper_names,',
    `\t.nlddw = ${m.lddw.length},`,
    '\t.lddw = lddw,',
    `\t.nfns = ${m.functions.length},`,
    '\t.fns = fns,',
    `\t.text_base = 0x${TEXT_BASE.toString(16)}ull,`,
    ...contextFields(input.context),
    `\t.ctx_unread = ${input.ctxUnread ? 1 : 0},`,
    `\t.flags = ${[input.verified ? 'BPFTIME_DESC_VERIFIED' : '', m.selfTraps ? 'BPFTIME_DESC_SELF_TRAPS' : ''].filter((f) => f).join(' | ') || '0'},`,
    ...GLOBALS.map((g) => `\t.off_${g} = offsetof(${inst}, w2c_${g}),`),
    '\t.init_module = init_module,',
    '\t.instantiate = instantiate,',
    '\t.free_instance = free_instance,',
    '};',
    '',
  );
  return out.join('\n');
}
