/**
 * The C header that gives the native syscall hooks (native-hooks/src/syscall/tracefs.c) the built-in layout of
 * syscall tracepoint records, generated from the layouts the TypeScript side defines (src/loader/contexts.ts), so the
 * layout is written once. test/native-syscall.test.ts checks that the checked-in header matches (UPDATE_GOLDEN=1
 * rewrites it).
 */
import { SYS_ENTER, SYS_EXIT, type ContextLayout } from '../loader/contexts.js';

/** SYSCALL_LAYOUT_HEADER is the header's path relative to the repository root. */
export const SYSCALL_LAYOUT_HEADER = 'native-hooks/include/bpftime_syscall_layout.gen.h';

function field(layout: ContextLayout, name: string): { offset: number; size: number } {
  const f = layout.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${layout.name} has no field ${name}`);
  return f;
}

/** syscallLayoutHeader returns the text of SYSCALL_LAYOUT_HEADER. */
export function syscallLayoutHeader(): string {
  const def = (name: string, v: number) => `#define ${name} ${v}`;
  const lines = [
    '/* Generated from src/loader/contexts.ts by src/native/syscall-layout.ts: do not edit (test/native-syscall.test.ts',
    ' * checks it; UPDATE_GOLDEN=1 rewrites it). The built-in layout of syscall tracepoint records, used when tracefs is',
    ' * not mounted. */',
    '#ifndef BPFTIME_SYSCALL_LAYOUT_GEN_H',
    '#define BPFTIME_SYSCALL_LAYOUT_GEN_H',
    def('BPFTIME_TP_COMMON_TYPE_OFF', field(SYS_ENTER, 'common_type').offset),
    def('BPFTIME_TP_COMMON_PID_OFF', field(SYS_ENTER, 'common_pid').offset),
    def('BPFTIME_SYS_ENTER_SIZE', SYS_ENTER.size),
    def('BPFTIME_SYS_ENTER_ID_OFF', field(SYS_ENTER, 'id').offset),
    def('BPFTIME_SYS_ENTER_ID_SIZE', field(SYS_ENTER, 'id').size),
    def('BPFTIME_SYS_ENTER_ARGS_OFF', field(SYS_ENTER, 'args[0]').offset),
    def('BPFTIME_SYS_EXIT_SIZE', SYS_EXIT.size),
    def('BPFTIME_SYS_EXIT_ID_OFF', field(SYS_EXIT, 'id').offset),
    def('BPFTIME_SYS_EXIT_ID_SIZE', field(SYS_EXIT, 'id').size),
    def('BPFTIME_SYS_EXIT_RET_OFF', field(SYS_EXIT, 'ret').offset),
    '#endif',
    '',
  ];
  return lines.join('\n');
}
