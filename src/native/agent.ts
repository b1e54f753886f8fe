/**
 * Putting the agent (libbpftime-agent.so of the native layer, build.ts; docs/native.md "agent") into processes: a
 * new one by LD_PRELOAD with the session in its environment, a running one by ptrace injection (the layer's
 * bpftime-inject calls the agent's bpftime_agent_main(SESSION) in the target). Missing builds and refused
 * injections are typed errors that say what to do.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import { ExecError, NotSupportedError, UsageError } from '../errors.js';
import { nativeFile, type LiveFile } from './build.js';

/** agentLibrary returns the agent's path (NotSupportedError when it is not built). */
export function agentLibrary(): string {
  return built('libbpftime-agent.so', 'the agent');
}

function built(file: LiveFile, what: string): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NotSupportedError('native-agent', `${what} needs Linux x86-64 (this is ${process.platform} ${process.arch})`);
  }
  return nativeFile(file, what);
}

/** SyscallHooks says how a preloaded agent installs its syscall hooks: at start (zpoline, else the fallback), forced
 * Syscall User Dispatch, never, or only when the session has syscall attachments (the default). */
export type SyscallHooks = 'start' | 'sud' | 'off' | 'auto';

/** preloadEnv returns the environment of a process started under the agent. */
export function preloadEnv(session: string, syscalls: SyscallHooks, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const agent = agentLibrary();
  const preload = [agent, ...(env.LD_PRELOAD ?? '').split(/[: ]/).filter((p) => p && p !== agent)].join(':');
  const out: NodeJS.ProcessEnv = { ...env, LD_PRELOAD: preload, BPFTIME_SESSION: session };
  if (syscalls === 'auto') delete out.BPFTIME_SYSCALLS;
  else out.BPFTIME_SYSCALLS = { start: '1', sud: 'sud', off: '0' }[syscalls];
  return out;
}

/** startTraced starts `command` under the agent; stdio as given (inherit by default). */
export function startTraced(command: string, args: readonly string[], session: string, syscalls: SyscallHooks, stdio: StdioOptions = 'inherit'): ChildProcess {
  return spawn(command, args, { stdio, env: preloadEnv(session, syscalls) });
}

/** waitExit resolves with a child's exit code (128 + the signal number when a signal ended it, as shells report). */
export function waitExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'ENOENT' ? new UsageError('no-command', `cannot run ${child.spawnfile}: no such file or command`) : e);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}

/** InjectResult is what bpftime-inject reports on success. */
export interface InjectResult {
  pid: number;
  tid?: number;
}

/**
 * injectAgent loads the agent into process `pid` and starts it in `session`. Errors: NotSupportedError
 * ('attach-permission') without the privilege to ptrace it, UsageError ('no-process') when it does not exist,
 * ExecError ('attach-failed') when the agent could not load or refused (its reason).
 */
export function injectAgent(pid: number, session: string): InjectResult {
  const agent = agentLibrary();
  const inject = built('bpftime-inject', 'bpftime-inject');
  const r = spawnSync(inject, ['--json', String(pid), agent, session], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new ExecError('attach-failed', `cannot run ${inject}: ${r.error.message}`);
  const parse = (text: string): Record<string, unknown> => {
    try {
      return JSON.parse(text.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    } catch {
      return { error: text.trim() };
    }
  };
  if (r.status === 0) return { pid, ...(parse(r.stdout) as object) } as InjectResult;
  const why = String(parse(r.stderr).error ?? r.stderr.trim() ?? `exit ${r.status}`);
  if (r.status === 3) {
    throw new NotSupportedError('attach-permission', `attach to pid ${pid}: ${why} (ptrace needs root or CAP_SYS_PTRACE, or the same user with kernel.yama.ptrace_scope=0)`);
  }
  if (r.status === 4) throw new UsageError('no-process', `attach to pid ${pid}: ${why}`);
  throw new ExecError('attach-failed', `attach to pid ${pid}: ${why}`);
}
