/**
 * Putting the agent (native-hooks/build/libbpftime-agent.so, docs/native.md "agent") into processes: a new one by
 * LD_PRELOAD with the session in its environment, a running one by ptrace injection (native-hooks/build/
 * bpftime-inject calls the agent's bpftime_agent_main(SESSION) in the target). Missing builds and refused
 * injections are typed errors that say what to do.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { ExecError, NotSupportedError, UsageError } from '../errors.js';
import { findNativeHooks, NATIVE_NOT_HERE } from './addon.js';

/** AGENT_FILE and INJECT_FILE are the agent library and the injector, relative to native-hooks/. */
export const AGENT_FILE = 'build/libbpftime-agent.so';
export const INJECT_FILE = 'build/bpftime-inject';

function built(file: string, what: string): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NotSupportedError('native-agent', `${what} needs Linux x86-64 (this is ${process.platform} ${process.arch})`);
  }
  const root = findNativeHooks();
  if (!root) throw new NotSupportedError('native-agent', NATIVE_NOT_HERE);
  const path = join(root, file);
  if (!existsSync(path)) {
    throw new NotSupportedError('native-agent', `${what} is not built (${path} is missing): run \`make -C ${root}\` (needs gcc, make, libcapstone-dev and wabt)`);
  }
  return path;
}

/** agentLibrary returns the agent's path (NotSupportedError when it is not built). */
export function agentLibrary(): string {
  return built(AGENT_FILE, 'the agent');
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
  const inject = built(INJECT_FILE, 'bpftime-inject');
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
