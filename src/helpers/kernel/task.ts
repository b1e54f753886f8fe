/**
 * Helpers about time, the current task and the running program: clocks, ids, comm, CPU, randomness, signals,
 * override_return, the attach cookie and function ip, function arguments and return value (from the context), stacks.
 * Values come from the runtime's host environment (the real process by default).
 */
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, ERR, helper, mapArg } from './common.js';
import { ExecError } from '../../errors.js';
import { StackIdFlag, StackTraceMap } from '../maps/stack-trace.js';
import { PT_REGS } from '../../loader/contexts.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
const noArgs = { ret: 'integer' as const, args: [] };
/** BPF_F_USER_STACK selects the user stack in bpf_get_stack and bpf_get_stackid. */
const BPF_F_USER_STACK = StackIdFlag.USER_STACK;
const PT_ARG_OFFSETS = PT_REGS.args!.map((r) => PT_REGS.fields.find((f) => f.name === r)!.offset);
const PT_RET_OFFSET = PT_REGS.fields.find((f) => f.name === PT_REGS.ret)!.offset;
const PT_IP_OFFSET = PT_REGS.fields.find((f) => f.name === 'ip')!.offset;

const simple = (name: string, doc: string, value: (c: HelperCall) => bigint | number): HelperDef =>
  helper(id(name), N[id(name)], noArgs, doc, value);

function readU64(c: HelperCall, addr: number): bigint {
  c.mem.check(addr, 8, false);
  return c.mem.dv.getBigUint64(addr, true);
}

function writeU64(c: HelperCall, addr: number, v: bigint): void {
  c.mem.check(addr, 8, true);
  c.mem.dv.setBigUint64(addr, BigInt.asUintN(64, v), true);
}

/** funcArg reads argument n of the probed function from the context, or undefined when there is none. */
function funcArg(c: HelperCall, n: number): bigint | undefined {
  const p = envOf(c).program;
  if (p.ctxKind === 'args') return n < p.argCount ? readU64(c, p.ctx + 8 * n) : undefined;
  if (p.ctxKind === 'pt_regs') return n < PT_ARG_OFFSETS.length ? readU64(c, p.ctx + PT_ARG_OFFSETS[n]) : undefined;
  return undefined;
}

function funcRet(c: HelperCall): bigint | undefined {
  const p = envOf(c).program;
  if (p.ctxKind === 'args') return readU64(c, p.ctx + 8 * p.argCount);
  if (p.ctxKind === 'pt_regs') return readU64(c, p.ctx + PT_RET_OFFSET);
  return undefined;
}

/** stackOf is the stack the TypeScript runtime can know: for user stacks of pt_regs programs, the probed ip. */
function stackOf(c: HelperCall, flags: number): bigint[] {
  const p = envOf(c).program;
  return (flags & BPF_F_USER_STACK) !== 0 && p.ctxKind === 'pt_regs' ? [readU64(c, p.ctx + PT_IP_OFFSET)] : [];
}

/** TASK_HELPERS are the time, task and program-introspection helpers. */
export const TASK_HELPERS: HelperDef[] = [
  simple('ktime_get_ns', 'CLOCK_MONOTONIC in ns', (c) => envOf(c).host.monotonicNs()),
  simple('ktime_get_boot_ns', 'CLOCK_BOOTTIME in ns', (c) => envOf(c).host.bootNs()),
  simple('ktime_get_coarse_ns', 'a coarse CLOCK_MONOTONIC in ns (tick resolution)', (c) => envOf(c).host.coarseNs()),
  simple('ktime_get_tai_ns', 'CLOCK_TAI in ns', (c) => envOf(c).host.taiNs()),
  simple('jiffies64', 'jiffies since boot', (c) => envOf(c).host.jiffies()),
  simple('get_prandom_u32', 'a pseudo-random u32', (c) => envOf(c).host.random()),
  simple('get_smp_processor_id', 'the CPU the program runs on', (c) => envOf(c).host.cpu),
  simple('get_numa_node_id', 'the NUMA node the program runs on', (c) => envOf(c).host.numaNode),
  simple('get_current_pid_tgid', 'tgid << 32 | pid of the current task', (c) => (BigInt(envOf(c).host.tgid) << 32n) | BigInt(envOf(c).host.pid)),
  simple('get_current_uid_gid', 'gid << 32 | uid of the current task', (c) => (BigInt(envOf(c).host.gid) << 32n) | BigInt(envOf(c).host.uid)),
  simple('get_current_task', 'address of a stand-in struct task_struct (pid, tgid, comm filled from the host using the target BTF), or 0', (c) => envOf(c).task),
  simple('get_current_task_btf', 'same stand-in as get_current_task', (c) => envOf(c).task),
  helper(id('get_current_comm'), 'get_current_comm', { ret: 'integer', args: ['ptr_to_uninit_mem', 'const_size'] },
    'copies the task name, NUL-terminated and zero-padded, into buf',
    (c) => {
      const out = c.mem.bytes(c.argNum(1), c.argNum(2), true);
      out.fill(0);
      out.set(new TextEncoder().encode(envOf(c).host.comm).subarray(0, Math.max(0, out.length - 1)));
      return 0;
    }),
  helper(id('send_signal'), 'send_signal', { ret: 'integer', args: ['anything'] }, 'asks the host to signal the current process',
    (c) => (envOf(c).signals.push({ signal: c.argU32(1), thread: false }), 0)),
  helper(id('send_signal_thread'), 'send_signal_thread', { ret: 'integer', args: ['anything'] }, 'asks the host to signal the current thread',
    (c) => (envOf(c).signals.push({ signal: c.argU32(1), thread: true }), 0)),
  helper(id('override_return'), 'override_return', { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'records the return value the probed function should return instead',
    (c) => ((envOf(c).overrideReturn = c.arg(2)), 0)),
  helper(id('get_func_ip'), 'get_func_ip', { ret: 'integer', args: ['ptr_to_ctx'] }, 'address of the probed function', (c) => envOf(c).program.funcIp),
  helper(id('get_attach_cookie'), 'get_attach_cookie', { ret: 'integer', args: ['ptr_to_ctx'] }, 'the cookie given at attach time', (c) => envOf(c).program.cookie),
  helper(id('get_func_arg'), 'get_func_arg', { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem'] },
    'stores argument n of the probed function in *value (from the u64 argument array, or the pt_regs of the x86-64 ABI)',
    (c) => {
      const v = funcArg(c, c.argU32(2));
      if (v === undefined) return ERR.EINVAL;
      writeU64(c, c.argNum(3), v);
      return 0;
    }),
  helper(id('get_func_ret'), 'get_func_ret', { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_uninit_mem'] },
    'stores the return value of the probed function in *value (fexit, uretprobe)',
    (c) => {
      const v = funcRet(c);
      if (v === undefined) return ERR.EOPNOTSUPP;
      writeU64(c, c.argNum(2), v);
      return 0;
    }),
  helper(id('get_func_arg_cnt'), 'get_func_arg_cnt', { ret: 'integer', args: ['ptr_to_ctx'] },
    'number of arguments of the probed function (6 register arguments for pt_regs contexts)',
    (c) => {
      const p = envOf(c).program;
      return p.ctxKind === 'args' ? p.argCount : p.ctxKind === 'pt_regs' ? PT_ARG_OFFSETS.length : 0;
    }),
  helper(id('get_stackid'), 'get_stackid', { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'scalar'] },
    'stores the current stack (user: the probed instruction pointer; kernel: none) in a stack trace map and returns its id',
    (c) => {
      const map = mapArg(c, 2);
      if (!(map instanceof StackTraceMap)) throw new ExecError('bad-map', `map "${map.spec.name}" is not a stack trace map`);
      return map.record(stackOf(c, c.argNum(3)), c.argNum(3));
    }),
  helper(id('get_stack'), 'get_stack', { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size_or_zero', 'anything'] },
    'user stack: the probed instruction pointer from pt_regs; kernel stack: empty (no kernel in userspace); returns bytes written',
    (c) => {
      const buf = c.argNum(2);
      const out = c.mem.bytes(buf, c.argNum(3), true);
      out.fill(0);
      const frames = stackOf(c, c.argNum(4));
      const n = Math.min(frames.length, Math.floor(out.length / 8));
      for (let k = 0; k < n; k++) c.mem.dv.setBigUint64(buf + 8 * k, frames[k], true);
      return n * 8;
    }),
];
