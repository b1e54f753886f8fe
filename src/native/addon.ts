/**
 * The shared-memory addon (`bpftime_shm.node`, C in `native-hooks/addon/`): its typed interface and how it is found
 * and loaded. The addon is the segment's C code itself (include/bpftime_shm.h), so the control plane never restates
 * an offset of the layout. It exists only where the native layer was built (build.ts: Linux, gcc, make); anywhere
 * else `loadShmAddon` throws a NotSupportedError saying what is missing, and the pure TypeScript core is unaffected.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BpfError, NotSupportedError } from '../errors.js';
import type { MapSpec } from '../loader/spec.js';
import { findNativeHooks, nativeFile, nativeLayer } from './build.js';

/** ShmHandle is an open segment in the addon (an opaque external). */
export type ShmHandle = { readonly __shmSegment: unique symbol };

/** SegmentInfo is a segment's header as the addon reports it. */
export interface SegmentInfo {
  name: string;
  layoutVersion: number;
  size: number;
  ownerUid: number;
  creatorPid: number;
  creatorStartTime: number;
  createdNs: bigint;
  ncpus: number;
  state: 'initializing' | 'ready' | 'ended';
  /** 1 when the creating process is gone. */
  stale: number;
  heapSize: number;
  heapFree: number;
  tablesGen: number;
  logLost: number;
  /** BPFTIME_SEG_GUEST_BASE: a segment offset's address inside programs' linear memory is this plus the offset. */
  guestBase: number;
}

/** ShmMapSpec is what mapCreate takes: a loader spec's shape (kernel type ids, BPF_F_* flags) and the segment's extras. */
export type ShmMapSpec = Pick<MapSpec, 'name' | 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'btfKeyTypeId' | 'btfValueTypeId'> & {
  flags?: number;
  /** Offset of a struct bpf_spin_lock in the value (from BTF), or -1. */
  spinLockOff?: number;
  /** perf_event_array: data pages per CPU buffer (a power of two; default 64). */
  perfPages?: number;
};

/** ShmMapInfo is a map's table entry. */
export interface ShmMapInfo {
  id: number;
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Values per element: the CPU count for per-CPU maps, else 1. */
  ncpus: number;
  spinLockOff: number;
  /** Bytes of a value on the user side (per-CPU: ncpus values padded to 8 bytes). */
  userValueSize: number;
  storageOff: number;
  storageSize: number;
  count: number;
  /** Ring buffers: consumer notifications sent, and records of dead producers discarded. */
  wakeups?: number;
  reclaimed?: number;
  /** Perf event arrays: samples lost for lack of room, on every CPU. */
  lost?: number;
}

/** FaultKind is why a program was disabled (enum bpftime_fault). */
export type FaultKind = 'none' | 'memory' | 'budget' | 'call-depth' | 'trap' | 'helper' | 'load';
/** AttachKind is where an attachment runs its program (enum bpftime_attach_kind). */
export type AttachKind = 'uprobe' | 'uretprobe' | 'syscall-enter' | 'syscall-exit';
/** AgentState is an agent's life cycle (enum bpftime_agent_state). */
export type AgentState = 'starting' | 'running' | 'detaching' | 'detached' | 'failed';
/** AgentMode is how an agent entered its process (enum bpftime_agent_mode). */
export type AgentMode = 'preload' | 'injected';
/** LogKind is a log ring record's kind (enum bpftime_log_kind): trace_printk output or an agent message. */
export type LogKind = 'trace' | 'info' | 'warn' | 'error';

/** MapRef says how lddw slot `pc` of a program refers to a map: the map itself, or its value at `offset`. */
export interface MapRef {
  pc: number;
  mapId: number;
  kind: 'map' | 'value';
  offset: number;
}

/** ProgEntry is a program table entry. */
export interface ProgEntry {
  id: number;
  name: string;
  /** BPF_PROG_TYPE_*. */
  type: number;
  enabled: number;
  fault: FaultKind;
  faultPc: number;
  faultPid: number;
  faultNs: bigint;
  faultMsg: string;
  insnCnt: number;
  hash: string;
  soPath: string;
  mapRefs: MapRef[];
}

/** AttachEntry is an attachment table entry with its hit counters summed over CPUs. */
export interface AttachEntry {
  id: number;
  kind: AttachKind;
  progId: number;
  target: string;
  symbol: string;
  offset: number;
  /** Syscall attachments: the number, -1 for every syscall. */
  syscallNr: number;
  /** 0: every process with the agent. */
  pid: number;
  cookie: bigint;
  enabled: number;
  message: string;
  hits: number;
  missed: number;
}

/** ProgramInput is what the control plane records for a compiled program. */
export interface ProgramInput {
  name: string;
  /** BPF_PROG_TYPE_*. */
  type: number;
  hash?: string;
  soPath?: string;
  insnCnt?: number;
  enabled?: boolean;
  mapRefs?: MapRef[];
}

/** AttachmentInput is where a program runs. */
export interface AttachmentInput {
  kind: AttachKind;
  progId: number;
  target?: string;
  symbol?: string;
  offset?: number;
  syscallNr?: number;
  pid?: number;
  cookie?: bigint;
  enabled?: boolean;
}

/** AgentEntry is a process registered to run the session's programs. */
export interface AgentEntry {
  id: number;
  pid: number;
  startTime: number;
  registeredNs: bigint;
  state: AgentState;
  mode: AgentMode;
  request: 'none' | 'detach';
  hooks: number;
  syscalls: 'none' | 'zpoline' | 'sud';
  comm: string;
  message: string;
}

/** LogRecord is one line of the log ring: trace_printk output or an agent message. */
export interface LogRecord {
  /** CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns's clock). */
  timeNs: bigint;
  pid: number;
  tid: number;
  kind: LogKind;
  progId: number;
  text: string;
}

/** ShmAddon is the addon's exports; element operations return 0 or -errno, the rest throw on failure. */
export interface ShmAddon {
  open(name: string, opts?: { create?: boolean; size?: number; ownerUid?: number; allowStale?: boolean }): ShmHandle;
  close(h: ShmHandle): void;
  unlink(h: ShmHandle): void;
  info(h: ShmHandle): SegmentInfo;
  logRead(h: ShmHandle, max?: number): LogRecord[];
  logWrite(h: ShmHandle, kind: LogKind, progId: number, text: string): number;
  mapCreate(h: ShmHandle, spec: ShmMapSpec): number;
  mapInfo(h: ShmHandle, id: number): ShmMapInfo;
  maps(h: ShmHandle): ShmMapInfo[];
  mapLookup(h: ShmHandle, id: number, key: Uint8Array, out: Uint8Array): number;
  mapUpdate(h: ShmHandle, id: number, key: Uint8Array, value: Uint8Array, flags: number): number;
  mapDelete(h: ShmHandle, id: number, key: Uint8Array): number;
  mapNextKey(h: ShmHandle, id: number, key: Uint8Array | null, out: Uint8Array): number;
  mapEntries(h: ShmHandle, id: number): [Uint8Array, Uint8Array][];
  ringbufConsume(h: ShmHandle, id: number, max?: number): Uint8Array[];
  ringbufOutput(h: ShmHandle, id: number, data: Uint8Array, flags?: number): number;
  ringbufQuery(h: ShmHandle, id: number, flags: number): number;
  perf(h: ShmHandle, id: number, op: 'open' | 'close'): void;
  perf(h: ShmHandle, id: number, op: 'consume'): { cpu: number; data: Uint8Array }[];
  perf(h: ShmHandle, id: number, op: 'lost', cpu?: number): number;
  perf(h: ShmHandle, id: number, op: 'output', flags: number | bigint, data: Uint8Array): number;
  progAdd(h: ShmHandle, prog: ProgramInput): number;
  attachAdd(h: ShmHandle, att: AttachmentInput): number;
  table(h: ShmHandle, what: 'prog', op: 'list'): ProgEntry[];
  table(h: ShmHandle, what: 'prog', op: 'get', id: number): ProgEntry | undefined;
  table(h: ShmHandle, what: 'attach', op: 'list'): AttachEntry[];
  table(h: ShmHandle, what: 'attach', op: 'get', id: number): AttachEntry | undefined;
  table(h: ShmHandle, what: 'agent', op: 'list'): AgentEntry[];
  table(h: ShmHandle, what: 'agent', op: 'get', id: number): AgentEntry | undefined;
  table(h: ShmHandle, what: 'prog' | 'attach', op: 'remove', id: number): number;
  table(h: ShmHandle, what: 'prog', op: 'enable' | 'disable', id: number): number;
  table(h: ShmHandle, what: 'prog', op: 'fault', id: number, arg: { fault: FaultKind; pc: number; msg: string }): number;
  table(h: ShmHandle, what: 'attach', op: 'hit' | 'miss', id: number): number;
  table(h: ShmHandle, what: 'agent', op: 'register', mode: AgentMode): number;
  table(h: ShmHandle, what: 'agent', op: 'state', id: number, arg: { state: AgentState; msg?: string }): number;
  table(h: ShmHandle, what: 'agent', op: 'request', id: number, arg: 'none' | 'detach'): number;
  table(h: ShmHandle, what: 'agent', op: 'reap'): number;
}

/** ERRNO_NAMES names the errno values the addon reports, for codes and messages. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  7: 'E2BIG',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  22: 'EINVAL',
  28: 'ENOSPC',
  71: 'EPROTO',
  95: 'EOPNOTSUPP',
  116: 'ESTALE',
  524: 'ENOTSUPP',
};

/** SegmentError is a failed segment operation (create, open, tables); `errno` is the C side's (positive) errno. */
export class SegmentError extends BpfError {
  constructor(
    readonly errno: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`segment-${(ERRNO_NAMES[errno] ?? 'EIO').toLowerCase()}`, message, {}, options);
  }
}

/** segmentError turns an error the addon threw (with `errno`) into a SegmentError, and rethrows anything else. */
export function segmentError(e: unknown, context: string): never {
  if (e instanceof Error && typeof (e as { errno?: unknown }).errno === 'number') {
    throw new SegmentError((e as unknown as { errno: number }).errno, `${context}: ${e.message}`, { cause: e });
  }
  throw e;
}

/** ADDON_FILE is the addon's path relative to native-hooks/ in a checkout (a package's is in its cache: build.ts). */
export const ADDON_FILE = 'build/bpftime_shm.node';

const loaded = new Map<string, ShmAddon>();

/** addonPath returns the addon's file: BPFTIME_SHM_ADDON, else the native layer's (build.ts), which may be missing. */
function addonPath(env: NodeJS.ProcessEnv): { file: string; root?: string } {
  if (env.BPFTIME_SHM_ADDON) return { file: env.BPFTIME_SHM_ADDON, root: findNativeHooks() };
  const layer = nativeLayer(env);
  if (!layer.checkout) return { file: nativeFile('bpftime_shm.node', 'the shared-memory addon', env) };
  return { file: join(layer.buildDir, 'bpftime_shm.node'), root: layer.root };
}

/**
 * loadShmAddon loads the addon (once per path; BPFTIME_SHM_ADDON overrides the path). Throws NotSupportedError
 * (`native-addon`) naming what is missing: the platform, the build, or a load failure with the loader's reason.
 */
export function loadShmAddon(env: NodeJS.ProcessEnv = process.env): ShmAddon {
  if (process.platform !== 'linux') {
    throw new NotSupportedError('native-addon', `the native layer needs Linux (this is ${process.platform} ${process.arch})`);
  }
  const { file, root } = addonPath(env);
  const known = loaded.get(file);
  if (known) return known;
  if (!existsSync(file)) {
    const build = root ? `make -C ${root}` : 'make -C native-hooks'; // BPFTIME_SHM_ADDON names a missing file
    const tools = ['cc', 'make'].filter((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status !== 0);
    const how = tools.length
      ? `${tools.join(' and ')} not found: install gcc and make (Debian: apt-get install gcc make), then run \`${build}\``
      : `run \`${build}\``;
    throw new NotSupportedError('native-addon', `the shared-memory addon is not built: ${file} is missing: ${how}`);
  }
  try {
    const addon = createRequire(import.meta.url)(file) as ShmAddon;
    loaded.set(file, addon);
    return addon;
  } catch (e) {
    throw new NotSupportedError('native-addon', `cannot load ${file}: ${(e as Error).message}`, {}, { cause: e });
  }
}
