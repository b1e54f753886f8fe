/**
 * The subcommands of bpftime-vm, in help order: each declared as data (what parsing and `--help` need) with its
 * implementation in commands/ imported on first run. `bpftime-vm --help` and usage errors load only this file's
 * small graph, not the loader, the interpreter or the JIT (bench/RESULTS.md, "Start-up"); a new command keeps that
 * by importing nothing heavy here.
 */
import { BACKENDS } from '../runtime/backend-names.js';
import { DEFAULT_BUDGET } from '../vm/limits.js';
import type { OptionSpec } from './args.js';
import type { Command } from './command.js';
import { CGROUP_OPTION, CONFIGURE_OPTIONS, PACKET_OPTIONS } from './option-specs.js';

/** VERIFY_OPTION declares `--verify` (the modes of src/verifier/mode.ts, spelled out to keep this file light). */
const VERIFY_OPTION: OptionSpec = {
  name: 'verify',
  kind: 'string',
  value: 'MODE',
  choices: ['strict', 'warn', 'off'],
  description: 'verifier before loading: strict refuses a rejected program (default), warn loads it with a warning and every runtime check, off skips it',
};

/** Options of the commands that load an object. */
const objectOptions: OptionSpec[] = [
  { name: 'btf', kind: 'string', value: 'FILE', description: 'target BTF for CO-RE (ELF with .BTF or raw BTF; default /sys/kernel/btf/vmlinux)' },
  { name: 'kconfig', kind: 'string', value: 'FILE', description: 'kernel .config for __kconfig externs' },
  ...CONFIGURE_OPTIONS,
];

const runCommand: Command = {
  spec: {
    name: 'run',
    summary: 'run a program (ELF object, .data, .asm, raw bytecode) and print r0',
    args: [{ name: 'file', description: 'ELF object (clang -target bpf), conformance .data file, .asm/.s assembly, or raw bytecode (binary or hex text)' }],
    options: [
      { name: 'mem', kind: 'string', value: 'FILE|HEX', description: 'input memory (raw programs: r1 points to it, r2 holds its length; objects: the packet)' },
      { name: 'prog', kind: 'string', value: 'NAME', description: 'object: the program to run (needed when the object has several)' },
      { name: 'section', kind: 'string', value: 'SEC', description: 'object: run the program of this ELF section' },
      { name: 'args', kind: 'string', value: 'A,B,...', repeatable: true, description: 'object: function or syscall arguments (pt_regs argument registers, u64 array, tracepoint args)' },
      { name: 'ret', kind: 'string', value: 'V', description: 'object: return value of the probed function or syscall (uretprobe, fexit, sys_exit)' },
      { name: 'syscall', kind: 'number', value: 'NR', description: 'object: syscall number of a syscall tracepoint context' },
      { name: 'ctx', kind: 'string', value: 'FILE|HEX', description: 'object: raw context bytes instead of building them from --args' },
      { name: 'btf', kind: 'string', value: 'FILE', description: `object: target BTF for CO-RE (ELF with .BTF or raw BTF; default ${'/sys/kernel/btf/vmlinux'})` },
      { name: 'kconfig', kind: 'string', value: 'FILE', description: 'object: kernel .config for __kconfig externs (default /boot/config-$(uname -r))' },
      ...CONFIGURE_OPTIONS,
      CGROUP_OPTION,
      ...PACKET_OPTIONS,
      { name: 'events', kind: 'string', value: 'FILE', description: 'object: run a sequence of events (JSON lines: prog, args, ret, syscall, fields, pid, comm, time...) on one collection and print each one\'s records' },
      { name: 'host', kind: 'string', value: 'K=V', repeatable: true, description: 'object: override pid, tgid, uid, gid, comm, cpu, ncpus, numa, time (ns), cgroup (a cgroup v2 path) or netns_cookie seen by helpers' },
      { name: 'record-type', kind: 'string', value: 'MAP=STRUCT', repeatable: true, description: 'object: decode records of a ring/perf buffer map as this BTF struct' },
      { name: 'backend', kind: 'string', value: 'NAME', choices: BACKENDS, description: 'execution backend: interp, wasm-fast, wasm-opt, or auto (picks by size and --repeat; --json shows the pick)' },
      { name: 'budget', kind: 'number', value: 'N', description: `instruction budget, 0 for none (default ${DEFAULT_BUDGET})` },
      { name: 'repeat', kind: 'number', value: 'N', min: 1, description: 'run N times and report the median time per run after warm-up runs (objects: maps keep their state)' },
      { name: 'trace', kind: 'boolean', description: 'print every executed instruction with the registers it changed' },
      VERIFY_OPTION,
    ],
    notes: `FILE may be an ELF object (clang -target bpf): it runs with the kernel helpers, maps and a context for its
program type, and prints r0, trace_printk output, ring/perf buffer records and the final map contents.
A .data file supplies its own memory and expected result; run reports a mismatch with exit code 1.
Raw programs call the uBPF test helpers (0 gather_bytes, 1 memfrob, 2 no_op, 3 sqrti, 4 strcmp_ext, 5 unwind).`,
  },
  run: async (parsed, out) => (await import('./commands/run.js')).runFile(parsed, out),
};

const verifyCommand: Command = {
  spec: {
    name: 'verify',
    summary: 'verify programs statically (types, bounds, helpers, references, termination) and print the verdict',
    args: [{ name: 'file', description: 'ELF object (clang -target bpf), .asm/.s assembly, .data file or raw bytecode' }],
    options: [
      { name: 'prog', kind: 'string', value: 'NAME', description: 'object: verify only this program (default: every program)' },
      { name: 'section', kind: 'string', value: 'SEC', description: 'object: verify only the program of this ELF section' },
      { name: 'type', kind: 'string', value: 'TYPE', description: 'program type of raw input: the kernel\'s name without BPF_PROG_TYPE_ (socket_filter, kprobe, tracepoint, raw_tracepoint, xdp, sched_cls, perf_event, ...) or a libbpf section name (default raw: r1 = input memory, r2 = its length)' },
      { name: 'map', kind: 'string', value: 'TYPE:KEY:VALUE:ENTRIES', repeatable: true, description: 'raw input: declare the next map (lddw map_fd N refers to the N-th, from 0), e.g. hash:4:8:1024' },
      { name: 'privileged', kind: 'boolean', description: 'allow pointers to leak into maps, the context, packets and r0 (the kernel\'s CAP_PERFMON mode)' },
      { name: 'verbose', short: 'v', kind: 'boolean', description: 'print the per-instruction state log and the statistics' },
      { name: 'btf', kind: 'string', value: 'FILE', description: 'object: target BTF for CO-RE (default /sys/kernel/btf/vmlinux)' },
      { name: 'kconfig', kind: 'string', value: 'FILE', description: 'object: kernel .config for __kconfig externs' },
    ],
    notes: `Exit codes: 0 when every program is accepted, 1 when one is rejected, 3 for input that is not a program.
A rejection names the rule, the pc and instruction, the registers involved, the branch decisions on the way and,
for objects with BTF line info, the C source line. Raw programs follow the conformance contract: r1 points to the
input memory and r2 holds its length, so input accesses must be proved against r2 (or r1 + r2, its end).`,
  },
  run: async (parsed, out) => (await import('./commands/verify-run.js')).verifyFile(parsed, out),
  exitsAtOnce: true,
};

const progShowCommand: Command = {
  spec: {
    name: 'prog show',
    summary: 'list the programs of an object: type, attach target, size, subprograms, maps, helpers',
    args: [{ name: 'file', description: 'ELF object (clang -target bpf)' }],
    options: objectOptions,
  },
  run: async (parsed, out) => (await import('./commands/prog.js')).showPrograms(parsed, out),
};

const progDumpCommand: Command = {
  spec: {
    name: 'prog dump',
    summary: 'disassemble the programs of an object, interleaved with their C source lines',
    args: [{ name: 'file', description: 'ELF object (clang -target bpf)' }],
    options: [{ name: 'prog', kind: 'string', value: 'NAME', description: 'only this program' }, ...objectOptions],
  },
  run: async (parsed, out) => (await import('./commands/prog.js')).dumpPrograms(parsed, out),
};

const mapShowCommand: Command = {
  spec: {
    name: 'map show',
    summary: 'list the maps of an object: type, key and value sizes and types, flags, initial contents',
    args: [{ name: 'file', description: 'ELF object (clang -target bpf)' }],
    options: objectOptions,
  },
  run: async (parsed, out) => (await import('./commands/prog.js')).showMaps(parsed, out),
};

const disasmCommand: Command = {
  spec: {
    name: 'disasm',
    summary: 'disassemble a program (listing with slot offsets and bytes, or plain assembly)',
    args: [{ name: 'file', description: 'raw bytecode (binary or hex text), .asm or .data file' }],
    options: [{ name: 'asm', kind: 'boolean', description: 'print plain assembly, one instruction per line (round-trips through asm)' }],
  },
  run: async (parsed, out) => (await import('./commands/disasm.js')).disassembleFile(parsed, out),
};

const asmCommand: Command = {
  spec: {
    name: 'asm',
    summary: 'assemble bpf_conformance-syntax assembly into raw bytecode',
    args: [{ name: 'file', description: '.asm/.s file (or a .data file, whose asm section is used)' }],
    options: [
      { name: 'output', short: 'o', kind: 'string', value: 'OUT', description: 'write bytecode to OUT (default: hex on stdout)' },
      { name: 'format', kind: 'string', value: 'FMT', choices: ['bin', 'hex'], description: 'output encoding (default: bin with -o, hex on stdout)' },
    ],
  },
  run: async (parsed, out) => (await import('./commands/asm.js')).assembleFile(parsed, out),
};

const compileCommand: Command = {
  spec: {
    name: 'compile',
    summary: 'translate a program to a WebAssembly module (.wasm or .wat) with the documented host ABI',
    args: [{ name: 'file', description: 'ELF object (clang -target bpf), .asm/.s assembly, .data file or raw bytecode' }],
    options: [
      { name: 'prog', kind: 'string', value: 'NAME', description: 'object: the program to compile (needed when the object has several)' },
      { name: 'section', kind: 'string', value: 'SEC', description: 'object: compile the program of this ELF section' },
      { name: 'emit', kind: 'string', value: 'FMT', choices: ['wasm', 'wat'], description: 'output format (default wasm)' },
      { name: 'tier', kind: 'string', value: 'TIER', choices: ['fast', 'opt'], description: 'JIT tier (default opt); both build the same module, they differ in how V8 compiles it in process (docs/jit-wasm.md)' },
      { name: 'output', short: 'o', kind: 'string', value: 'OUT', description: 'write the module to OUT (required)' },
      VERIFY_OPTION,
    ],
    notes: `The module imports env.memory, one helper.NAME function per helper called, bpf.trap and bpf.refill (and
bpf.tail_call, bpf.callx when used), and bpf.lddw_PC globals for map references; it exports bpf_main and the
control globals. The printed manifest (JSON with -j) lists every import; docs/jit-wasm.md describes the ABI.
Objects use the kernel helper set, raw programs the uBPF test helpers.`,
  },
  run: async (parsed, out) => (await import('./commands/compile.js')).compileFile(parsed, out),
};

const conformanceCommand: Command = {
  spec: {
    name: 'conformance',
    summary: 'run bpf_conformance .data files and grade them like the official runner',
    args: [{ name: 'path', description: 'directories of .data files (searched recursively), or files', variadic: true }],
    options: [
      { name: 'cpu-version', kind: 'string', value: 'VER', choices: ['v1', 'v2', 'v3', 'v4'], description: 'ISA version: skip tests needing a newer one (default v4)' },
      { name: 'include-groups', kind: 'string', value: 'G[,G]', repeatable: true, description: 'enable groups beyond the defaults (callx, packet)' },
      { name: 'exclude-groups', kind: 'string', value: 'G[,G]', repeatable: true, description: 'disable groups (base32, base64, atomic32, atomic64, divmul32, divmul64)' },
      { name: 'include', kind: 'string', value: 'REGEX', description: 'run only files whose name matches' },
      { name: 'exclude', kind: 'string', value: 'REGEX', description: 'skip files whose name matches' },
      { name: 'backend', kind: 'string', value: 'NAME', choices: BACKENDS, description: 'execution backend (default interp)' },
      { name: 'budget', kind: 'number', value: 'N', description: 'instruction budget per test (default 100000000)' },
      { name: 'quiet', short: 'q', kind: 'boolean', description: 'print only failures and the summary' },
    ],
    notes: `Default groups: base32, base64, atomic32, atomic64, divmul32, divmul64 (as the official runner).
A comment "# bpftime-vm: budget N" or "# bpftime-vm: max-call-depth N" before the first section of a file sets
that option for the file. Exit code 1 when any test fails.`,
  },
  run: async (parsed, out) => (await import('./commands/conformance.js')).runConformance(parsed, out),
};

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
  // Globals and map sizes set before load, as a tool's user space does (--type would move a program off its attach point).
  ...CONFIGURE_OPTIONS.filter((o) => o.name !== 'type'),
  { name: 'verbose', short: 'v', kind: 'boolean', description: 'also print the agents\' informational messages (hooks installed, syscall mechanism)' },
  VERIFY_OPTION,
];

const SESSION_NOTES = `A session is one shared-memory segment (/dev/shm/NAME, mode 0600) holding the maps, the compiled programs, their
attachments and the agents' registrations. Another name makes a second session, independent of the first; a
process belongs to one session at a time. A session whose bpftime-vm died is stale: agents in it detach by
themselves, \`load\` replaces it, \`start\` and \`attach\` refuse it.
Every program is verified first (--verify strict): a program the verifier rejects is not loaded, nothing is
started, and the exit code is 3 with the rejection (pc, instruction, source line, registers, path) on stderr.
An accepted program is compiled with what the verifier proved (no bounds checks on proved accesses, no budget).`;

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

const playgroundCommand: Command = {
  spec: {
    name: 'playground',
    summary: 'serve the web playground on 127.0.0.1 and print its URL: open, browse, run and step through objects in a browser',
    args: [{ name: 'file', description: 'ELF objects to offer beside the built-in examples', optional: true, variadic: true }],
    options: [{ name: 'port', kind: 'number', value: 'N', min: 0, description: 'port to listen on (default 8119, or the next free one; 0 for any free port)' }],
    notes: `The page runs everything in the browser (dist/playground/, static files that any web server can serve too);
the server only hands out those files, the objects given here and binaryen's module for wasm-opt. Stop it with Ctrl-C.`,
  },
  run: async (parsed, out) => (await import('./commands/playground.js')).playgroundCommand(parsed, out),
};

/** COMMANDS lists the subcommands in help order. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  verifyCommand,
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
  playgroundCommand,
];
