/**
 * A session's shared-memory segment as the control plane uses it (docs/native.md, "shm"): create or open it, create
 * maps from the loader's specs, fill the program and attachment tables agents read, watch agents, read the log ring.
 * Everything goes through the addon (src/native/addon.ts), whose C code is the segment's only definition.
 */
import { NotSupportedError } from '../errors.js';
import { Errno, MapError } from '../helpers/maps/types.js';
import { MAP_TYPES, type MapSpec } from '../loader/spec.js';
import {
  type AgentEntry,
  type AgentMode,
  type AgentState,
  type AttachEntry,
  type AttachmentInput,
  type FaultKind,
  type LogKind,
  type LogRecord,
  type ProgEntry,
  type ProgramInput,
  type SegmentInfo,
  type ShmAddon,
  type ShmHandle,
  loadShmAddon,
  segmentError,
} from './addon.js';
import { NativeMap } from './map.js';

/** DEFAULT_SESSION is the segment name when none is given (BPFTIME_SEG_DEFAULT_NAME). */
export const DEFAULT_SESSION = '/bpftime-vm';

/** SessionOptions are the segment's creation and opening options. */
export interface SessionOptions {
  /** create: bytes, a page multiple (default 64 MiB, at most 2 GiB). */
  size?: number;
  /** create: uid that owns the segment (root only: for an agent running as that uid). */
  ownerUid?: number;
  /** open: accept the segment of a session whose creator is gone (to inspect it). */
  allowStale?: boolean;
}

/** NativeMapOptions adds what the segment needs beyond a MapSpec. */
export interface NativeMapOptions {
  /** Offset of a struct bpf_spin_lock in the value, from BTF (-1 or absent: none). */
  spinLockOff?: number;
  /** perf_event_array: data pages per CPU buffer. */
  perfPages?: number;
}

/** NativeSession is an open segment. Close it (or end it, as its creator) when done. */
export class NativeSession {
  private handle: ShmHandle | undefined;

  private constructor(
    private readonly addon: ShmAddon,
    handle: ShmHandle,
    /** The segment's name, with its leading slash. */
    readonly name: string,
  ) {
    this.handle = handle;
  }

  /** create makes a new segment; a live session of that name is SegmentError(EEXIST), a stale one is replaced. */
  static create(name: string = DEFAULT_SESSION, opts: SessionOptions = {}): NativeSession {
    return NativeSession.start(name, { ...opts, create: true }, 'create segment');
  }

  /** open maps an existing segment after the addon checked its version, owner and session (SegmentError). */
  static open(name: string = DEFAULT_SESSION, opts: SessionOptions = {}): NativeSession {
    return NativeSession.start(name, { ...opts, create: false }, 'open segment');
  }

  private static start(name: string, opts: SessionOptions & { create: boolean }, what: string): NativeSession {
    const addon = loadShmAddon();
    try {
      const h = addon.open(name, opts);
      return new NativeSession(addon, h, addon.info(h).name);
    } catch (e) {
      return segmentError(e, what);
    }
  }

  private get h(): ShmHandle {
    if (this.handle === undefined) throw new NotSupportedError('native-session', `session ${this.name} is closed`);
    return this.handle;
  }

  /** info returns the segment's header: owner, creator, CPUs, heap use, log losses. */
  info(): SegmentInfo {
    return this.addon.info(this.h);
  }

  /**
   * createMap creates a map from a loader spec with the kernel's checks: MapError (EINVAL, E2BIG, ENOSPC when it does
   * not fit in the segment), NotSupportedError for map types the segment lacks. The spec's byte-valued contents
   * (global data sections) are written, as the TypeScript maps' createMap does.
   */
  createMap(spec: MapSpec, opts: NativeMapOptions = {}): NativeMap {
    const map = this.newMap(spec, opts);
    for (const e of spec.contents) if (e.value instanceof Uint8Array) map.update(e.key, e.value);
    return map;
  }

  private newMap(spec: MapSpec, opts: NativeMapOptions): NativeMap {
    try {
      const id = this.addon.mapCreate(this.h, {
        name: spec.name,
        type: spec.type,
        keySize: spec.keySize,
        valueSize: spec.valueSize,
        maxEntries: spec.maxEntries,
        flags: spec.flags,
        spinLockOff: opts.spinLockOff ?? -1,
        perfPages: opts.perfPages,
        btfKeyTypeId: spec.btfKeyTypeId,
        btfValueTypeId: spec.btfValueTypeId,
      });
      return this.map(id) as NativeMap;
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (errno === Errno.EOPNOTSUPP && /not supported in shared memory/.test((e as Error).message)) {
        const type = MAP_TYPES[spec.type] ?? `type ${spec.type}`;
        throw new NotSupportedError('map-type', `map "${spec.name}": map type ${type} is not supported in shared memory`, {}, { cause: e });
      }
      if (typeof errno === 'number') throw new MapError(errno, (e as Error).message);
      throw e;
    }
  }

  /** map returns the map with this id (also one another process created), or undefined. */
  map(id: number): NativeMap | undefined {
    const info = this.maps().find((m) => m.id === id);
    return info && new NativeMap(this.addon, this.h, info.info);
  }

  /** mapByName returns the first map with this name, or undefined. */
  mapByName(name: string): NativeMap | undefined {
    return this.maps().find((m) => m.name === name);
  }

  /** maps lists every map of the segment, by id. */
  maps(): NativeMap[] {
    return this.addon.maps(this.h).map((info) => new NativeMap(this.addon, this.h, info));
  }

  /** readLog consumes log records (trace_printk lines, agent messages), oldest first; at most `max` (0: all). */
  readLog(max = 0): LogRecord[] {
    return this.addon.logRead(this.h, max);
  }

  /** log writes a record (false when the ring is full: counted in info().logLost). */
  log(kind: LogKind, text: string, progId = 0): boolean {
    return this.addon.logWrite(this.h, kind, progId, text) === 0;
  }

  /** addProgram records a compiled program; returns its id. */
  addProgram(p: ProgramInput): number {
    return this.guard('add program', () => this.addon.progAdd(this.h, { ...p, enabled: p.enabled ?? true }));
  }

  /** program returns a program entry, or undefined. */
  program(id: number): ProgEntry | undefined {
    return this.addon.table(this.h, 'prog', 'get', id);
  }

  /** programs lists the program table. */
  programs(): ProgEntry[] {
    return this.addon.table(this.h, 'prog', 'list');
  }

  /** setProgramEnabled enables (clearing its fault) or disables a program. */
  setProgramEnabled(id: number, enabled: boolean): void {
    this.guard('set program state', () => this.addon.table(this.h, 'prog', enabled ? 'enable' : 'disable', id));
  }

  /** faultProgram disables a program with its fault (what an agent does on a trap); false if it already faulted. */
  faultProgram(id: number, fault: FaultKind, pc: number, msg: string): boolean {
    return this.guard('record fault', () => this.addon.table(this.h, 'prog', 'fault', id, { fault, pc, msg })) === 1;
  }

  /** removeProgram frees a program's entry. */
  removeProgram(id: number): void {
    this.guard('remove program', () => this.addon.table(this.h, 'prog', 'remove', id));
  }

  /** addAttachment records where a program runs; agents install it. Returns its id. */
  addAttachment(a: AttachmentInput): number {
    return this.guard('add attachment', () => this.addon.attachAdd(this.h, { ...a, enabled: a.enabled ?? true }));
  }

  /** attachment returns an attachment with its hit counters, or undefined. */
  attachment(id: number): AttachEntry | undefined {
    return this.addon.table(this.h, 'attach', 'get', id);
  }

  /** attachments lists the attachment table with hit counters. */
  attachments(): AttachEntry[] {
    return this.addon.table(this.h, 'attach', 'list');
  }

  /** removeAttachment frees an attachment's entry (agents uninstall it). */
  removeAttachment(id: number): void {
    this.guard('remove attachment', () => this.addon.table(this.h, 'attach', 'remove', id));
  }

  /** countHit counts a hit (or a missed hit) of an attachment on this CPU, as a hook does. */
  countHit(id: number, missed = false): void {
    this.guard('count hit', () => this.addon.table(this.h, 'attach', missed ? 'miss' : 'hit', id));
  }

  /** agents lists registered processes. */
  agents(): AgentEntry[] {
    return this.addon.table(this.h, 'agent', 'list');
  }

  /** registerAgent registers this process as an agent (tools and tests; agents do it in C). */
  registerAgent(mode: AgentMode): number {
    return this.guard('register agent', () => this.addon.table(this.h, 'agent', 'register', mode));
  }

  /** setAgentState records an agent's state and message. */
  setAgentState(id: number, state: AgentState, msg?: string): void {
    this.guard('set agent state', () => this.addon.table(this.h, 'agent', 'state', id, { state, msg }));
  }

  /** requestDetach asks an agent to remove its hooks. */
  requestDetach(id: number): void {
    this.guard('request detach', () => this.addon.table(this.h, 'agent', 'request', id, 'detach'));
  }

  /** reapAgents frees the registrations of processes that are gone; returns how many. */
  reapAgents(): number {
    return this.addon.table(this.h, 'agent', 'reap');
  }

  /** end marks the session ended (agents detach) and removes the segment's name; the mapping stays until close. */
  end(): void {
    this.guard('end session', () => this.addon.unlink(this.h));
  }

  /** close unmaps the segment in this process; the session goes on for others. */
  close(): void {
    if (this.handle !== undefined) this.addon.close(this.handle);
    this.handle = undefined;
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      return segmentError(e, what);
    }
  }
}
