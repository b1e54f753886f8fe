/**
 * Option declarations shared by several commands, kept free of imports so that `commands-list.ts` (what `--help` and
 * usage errors load) stays small.
 */
import type { OptionSpec } from './args.js';

/** CONFIGURE_OPTIONS are the options that configure an object before load, like a libbpf skeleton's user space. */
export const CONFIGURE_OPTIONS: OptionSpec[] = [
  { name: 'set', kind: 'string', value: 'NAME=VALUE', repeatable: true, description: 'object: set a .rodata/.data/.bss/.kconfig global before load, typed by its BTF (integers, bools, enums, strings, lists)' },
  { name: 'map-size', kind: 'string', value: 'MAP=N', repeatable: true, description: 'object: set a map\'s max_entries before load (maps declared with max_entries 0 need it)' },
  { name: 'map-value-size', kind: 'string', value: 'MAP=BYTES', repeatable: true, description: 'object: set a map\'s value size before load (stack trace maps sized by stack depth)' },
  { name: 'type', kind: 'string', value: 'TYPE', description: 'object: force the program type of every program: a kernel name (socket_filter, kprobe, tracepoint, xdp, sched_cls, ...) or a libbpf section name (tp/syscalls/sys_enter_openat, fentry/FUNC)' },
];

/** CGROUP_OPTION declares `--cgroup`. */
export const CGROUP_OPTION: OptionSpec = {
  name: 'cgroup',
  kind: 'string',
  value: 'MAP[I]=CGROUP',
  repeatable: true,
  description: 'object: put a cgroup (a cgroup v2 path, or its id) at index I (default 0) of a cgroup array map, as a tool\'s cgroup filter option does',
};
