/** The subcommands of bpftime-vm, in help order. */
import type { OptionSpec } from './args.js';
import type { Command } from './command.js';
import { asmCommand } from './commands/asm.js';
import { compileCommand } from './commands/compile.js';
import { conformanceCommand } from './commands/conformance.js';
import { disasmCommand } from './commands/disasm.js';
import { mapShowCommand, progDumpCommand, progShowCommand } from './commands/prog.js';
import { runCommand } from './commands/run.js';

// Live-process commands (docs/native.md): declared here, implemented in commands/{load,trace,start,attach,status}.ts
// and imported on first run, so the native layer is loaded only by the commands that use it.

const sessionOption: OptionSpec = { name: 'session', kind: 'string', value: 'NAME', description: 'session (shared-memory segment /NAME; default $BPFTIME_SESSION or bpftime-vm)' };

/** Options of the commands that load an object into a session. */
const sessionLoadOptions: OptionSpec[] = [
  { name: 'prog', kind: 'string', value: 'NAME', repeatable: true, description: 'attach only these programs (default: every program with a process attach point)' },
  { name: 'size', kind: 'number', value: 'BYTES', description: 'segment size, a multiple of 4096 (default 67108864, at most 2 GiB): the maps must fit' },
  { name: 'btf', kind: 'string', value: 'FILE', description: 'target BTF for CO-RE (ELF with .BTF or raw BTF; default /sys/kernel/btf/vmlinux)' },
  { name: 'kconfig', kind: 'string', value: 'FILE', description: 'kernel .config for __kconfig externs (default /boot/config-$(uname -r))' },
  { name: 'record-type', kind: 'string', value: 'MAP=STRUCT', repeatable: true, description: 'decode records of a ring/perf buffer map as this BTF struct' },
  { name: 'verbose', short: 'v', kind: 'boolean', description: 'also print the agents\' informational messages (hooks installed, syscall mechanism)' },
];

const SESSION_NOTES = `A session is one shared-memory segment (/dev/shm/NAME, mode 0600) holding the maps, the compiled programs, their
attachments and the agents' registrations. Another name makes a second session, independent of the first; a
process belongs to one session at a time. A session whose bpftime-vm died is stale: agents in it detach by
themselves, \`load\` replaces it, \`start\` and \`attach\` refuse it.`;

const loadCommand: Command = {
  spec: {
    name: 'load',
    summary: 'load an object into a session for live processes and print its output until Ctrl-C',
    args: [{ name: 'file', description: 'ELF object (clang -target bpf) with uprobe, uretprobe or syscall tracepoint programs' }],
    options: [sessionOption, ...sessionLoadOptions],
    notes: `Programs attach where their section names say: uprobe/BINARY:FUNC[+OFF], uretprobe/BINARY:FUNC,
tracepoint/syscalls/sys_enter_NAME and sys_exit_NAME, tracepoint/raw_syscalls/sys_enter|sys_exit,
raw_tracepoint/sys_enter|sys_exit. Processes run them once started with \`bpftime-vm start\` or attached with
\`bpftime-vm attach PID\`. Prints trace_printk lines and ring/perf buffer records as they arrive; Ctrl-C prints the
maps and the attachments' hit counts and ends the session (agents remove their hooks). With --json, one JSON
object per line: "loaded", then "trace", "record" and "agent" events, then "end".
${SESSION_NOTES}`,
  },
  run: async (parsed, out) => (await import('./commands/load.js')).loadFile(parsed, out),
};

const traceCommand: Command = {
  spec: {
    name: 'trace',
    summary: 'run a command with an object\'s programs attached; print their output, then the maps',
    args: [
      { name: 'file', description: 'ELF object with uprobe, uretprobe or syscall tracepoint programs' },
      { name: 'command', description: 'the command and its arguments, after --', variadic: true },
    ],
    options: [sessionOption, ...sessionLoadOptions],
    notes: `Equivalent to \`load\` and \`start\` in one: a session of its own (bpftime-vm-trace-PID unless --session),
the command under the agent (syscall hooks from its start when a program traces syscalls), output while it runs,
the maps and hit counts when it exits. The exit code is the command's. With --json the command's standard output
goes to standard error, so that standard output is JSON only.`,
  },
  run: async (parsed, out) => (await import('./commands/trace.js')).traceCommand(parsed, out),
};

const startCommand: Command = {
  spec: {
    name: 'start',
    summary: 'run a command with the agent preloaded, in a session that `load` holds',
    args: [{ name: 'command', description: 'the command and its arguments, after --', variadic: true }],
    options: [sessionOption, { name: 'syscalls', kind: 'boolean', description: 'install the syscall hooks at start (zpoline, else Syscall User Dispatch) even before syscall programs are loaded' }],
    notes: `The agent enters by LD_PRELOAD (dynamically linked programs; static and setuid ones do not load it) and
installs the session's attachments before main. Without --syscalls, syscall hooks are installed when the session
has syscall programs (at start) or gets them later (zpoline only). The exit code is the command's.
${SESSION_NOTES}`,
  },
  run: async (parsed, out) => (await import('./commands/start.js')).startCommand(parsed, out),
};

const attachCommand: Command = {
  spec: {
    name: 'attach',
    summary: 'inject the agent into a running process (ptrace) and attach the session\'s programs',
    args: [{ name: 'pid', description: 'process id of the target' }],
    options: [sessionOption],
    notes: `Needs the privilege to ptrace the process: root (CAP_SYS_PTRACE), or the same user where
kernel.yama.ptrace_scope is 0. One thread is stopped for a few milliseconds while it loads the agent; syscall
hooks are installed with zpoline (Syscall User Dispatch cannot cover threads that already run).`,
  },
  run: async (parsed, out) => (await import('./commands/attach.js')).attachCommand(parsed, out),
};

const detachCommand: Command = {
  spec: {
    name: 'detach',
    summary: 'remove the agents\' hooks (every process of the session, or PID), restoring the original code',
    args: [{ name: 'pid', description: 'process id (default: every agent of the session)', optional: true }],
    options: [sessionOption],
    notes: 'The processes keep running. A detached process can be attached again with `bpftime-vm attach PID`.',
  },
  run: async (parsed, out) => (await import('./commands/attach.js')).detachCommand(parsed, out),
};

const statusCommand: Command = {
  spec: {
    name: 'status',
    summary: 'show a session: agents, programs (faults), attachments and their hit counts',
    args: [],
    options: [sessionOption],
  },
  run: async (parsed, out) => (await import('./commands/status.js')).statusCommand(parsed, out),
};

/** COMMANDS lists the subcommands in help order. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  progShowCommand,
  progDumpCommand,
  mapShowCommand,
  disasmCommand,
  asmCommand,
  compileCommand,
  conformanceCommand,
  traceCommand,
  loadCommand,
  startCommand,
  attachCommand,
  detachCommand,
  statusCommand,
];
