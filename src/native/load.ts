/**
 * The control plane's load (DESIGN.md section 7, docs/native.md "agent"): an object's attachable programs are
 * verified (verify-hook.ts), compiled for the agent (src/native/aot.ts), and recorded in a new session
 * segment with the object's maps, so that agents in live processes run them: the maps are created in the segment,
 * each program's entry names its shared object and its map references (lddw pc -> map id), and each attachment
 * comes from the program's section name (src/native/attachments.ts).
 */
import { LoadError, NotSupportedError, type VerifierError } from '../errors.js';
import type { LoadedCollection } from '../loader/collection.js';
import { BtfKind } from '../loader/btf/types.js';
import type { MapSpec, ProgramSpec } from '../loader/spec.js';
import type { MapRef } from './addon.js';
import { compileNative, nativeSourceOf, readNativeHelpers, type CompiledNative } from './aot.js';
import { attachmentOf, isSyscallAttachment, progTypeOf, type NativeAttachment } from './attachments.js';
import type { NativeMap } from './map.js';
import { NativeSession, type SessionOptions } from './session.js';
import type { VerifyMode } from '../verifier/index.js';
import { verifyForNative } from './verify-hook.js';
import { prepareNative } from './build.js';
import type { JitFacts } from '../jit-wasm/facts.js';

/** BPF_F_RDONLY_PROG: programs may only read the map (frozen .rodata, .kconfig). */
const BPF_F_RDONLY_PROG = 1 << 7;
/** Session names: what shm_open accepts in /dev/shm, kept to the characters a file name never quotes. */
const SESSION_NAME = /^\/?[A-Za-z0-9._-]{1,62}$/;

/** DEFAULT_SESSION_NAME is the session when neither --session nor BPFTIME_SESSION says otherwise. */
export const DEFAULT_SESSION_NAME = '/bpftime-vm';

/**
 * sessionName returns the segment name of a session: `NAME` or `/NAME` (letters, digits, `.`, `_`, `-`), else the
 * BPFTIME_SESSION environment variable, else /bpftime-vm. An invalid name is a LoadError.
 */
export function sessionName(name: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const n = name ?? env.BPFTIME_SESSION ?? DEFAULT_SESSION_NAME;
  if (!SESSION_NAME.test(n)) throw new LoadError('bad-session', `session name "${n}": use 1 to 62 letters, digits, '.', '_' or '-'`);
  return n.startsWith('/') ? n : `/${n}`;
}

/** LoadedProgram is one program as the session holds it. */
export interface LoadedProgram {
  name: string;
  section: string;
  id: number;
  attachmentId: number;
  attachment: NativeAttachment;
  compiled: CompiledNative;
  /** Whether the verifier accepted it (then its facts were compiled in). */
  verified: boolean;
  /** Why it runs unverified, with every runtime check (`--verify off`/`warn`, or what the verifier does not model). */
  unverified?: string;
  /** The rejection `verify: 'warn'` let through. */
  warning?: VerifierError;
}

/** NativeLoad is an object loaded into a session: close it with `end()` (agents detach) or `close()`. */
export interface NativeLoad {
  session: NativeSession;
  programs: LoadedProgram[];
  /** The maps the segment holds, each with the object's spec (BTF type ids, origin) for printing. */
  maps: { map: NativeMap; spec: MapSpec }[];
  /** Whether some attachment needs the agents' syscall hooks. */
  syscalls: boolean;
}

/** LoadOptions configures a load. */
export interface LoadOptions extends SessionOptions {
  /** Only these programs (by name); default: every program with a live-process attach point. */
  programs?: readonly string[];
  /** Compile cache directory (default: aot.ts's nativeCacheDir()). */
  cacheDir?: string;
  /** Working directory relative binary paths are resolved against. */
  cwd?: string;
  /**
   * What a verifier proved about each program, by name (src/jit-wasm/facts.ts), passed to its compile instead of the
   * facts of this load's own verification (the hooks benchmark gives them by hand, labelled so).
   */
  facts?: ReadonlyMap<string, JitFacts>;
  /** What to do with the verifier (verify-hook.ts): `strict` refuses a rejected program (default), `warn`, `off`. */
  verify?: VerifyMode;
  /** Where the progress lines of a first use's build of the native layer go (build.ts; default: standard error). */
  progress?: (line: string) => void;
}

/** spinLockOffset is the offset of a map value's struct bpf_spin_lock member (the loader finds it in BTF), or -1. */
const spinLockOffset = (m: MapSpec): number => m.spinLockOffset ?? -1;

/** pickPrograms returns the programs to attach with their attach points (a LoadError when none can be). */
function pickPrograms(spec: LoadedCollection, opts: LoadOptions): { p: ProgramSpec; at: NativeAttachment }[] {
  const wanted = opts.programs?.length ? opts.programs : undefined;
  for (const name of wanted ?? []) {
    if (!spec.programs.some((p) => p.name === name)) throw new LoadError('no-program', `no program "${name}" in the object; it has ${spec.programs.map((p) => p.name).join(', ')}`);
  }
  const out: { p: ProgramSpec; at: NativeAttachment }[] = [];
  const refused: string[] = [];
  for (const p of spec.programs) {
    if (wanted && !wanted.includes(p.name)) continue;
    try {
      out.push({ p, at: attachmentOf(p, opts.cwd) });
    } catch (e) {
      if (wanted) throw e;
      refused.push((e as Error).message);
    }
  }
  if (!out.length) throw new LoadError('not-attachable', `no program of the object attaches to a process${refused.length ? `: ${refused.join('; ')}` : ''}`);
  return out;
}

/**
 * mapRefs turns a compiled program's map references (by map index) into the segment's (by map id); a reference to
 * a map the segment could not hold throws that map's error.
 */
function mapRefs(c: CompiledNative, ids: readonly number[], refused: ReadonlyMap<number, Error>, p: ProgramSpec): MapRef[] {
  return c.manifest.lddw.map((l) => {
    const mapId = ids[l.index];
    if (refused.has(l.index)) throw refused.get(l.index)!;
    if (!mapId) throw new LoadError('native-map', `program ${p.name}: lddw at pc ${l.pc} refers to map ${l.map ?? l.index}, which the session lacks`, { program: p.name, pc: l.pc });
    return { pc: l.pc, mapId, kind: /value/.test(l.source) ? 'value' : 'map', offset: l.offset ?? 0 };
  });
}

/**
 * loadNative builds the native layer on first use (prepareNative), verifies and compiles the attachable programs of
 * a loaded object, creates the session `name` (a live session of that name is SegmentError EEXIST; a stale one is
 * replaced), its maps, program entries and attachments. Programs compile two at a time (a compile is mostly cc).
 */
export async function loadNative(spec: LoadedCollection, name: string, opts: LoadOptions = {}): Promise<NativeLoad> {
  await prepareNative({ progress: opts.progress });
  const picked = pickPrograms(spec, opts);
  // Every program is verified before anything is compiled or created: a strict rejection leaves no session behind.
  const verdicts = picked.map(({ p }) => verifyForNative(spec, p, opts.verify));
  const nativeHelpers = readNativeHelpers();
  const compiled: CompiledNative[] = [];
  for (let i = 0; i < picked.length; i += 2) {
    const batch = picked.slice(i, i + 2).map(({ p }, j) => compileNative(nativeSourceOf(spec, p), { nativeHelpers, cacheDir: opts.cacheDir, facts: opts.facts?.get(p.name) ?? verdicts[i + j].facts, verified: verdicts[i + j].verified }));
    compiled.push(...(await Promise.all(batch)));
  }
  const session = NativeSession.create(name, opts);
  try {
    const maps: NativeLoad['maps'] = [];
    const ids: number[] = [];
    const refused = new Map<number, Error>();
    for (const m of spec.maps) {
      try {
        const map = session.createMap({ ...m, flags: m.flags | (m.readOnly ? BPF_F_RDONLY_PROG : 0) }, { spinLockOff: spinLockOffset(m) });
        if (m.type === 4) map.openReader();
        maps.push({ map, spec: m });
        ids.push(map.id);
      } catch (e) {
        if (!(e instanceof NotSupportedError)) throw e;
        // A map the segment cannot hold is an error only when a loaded program uses it.
        refused.set(ids.length, e);
        ids.push(0);
      }
    }
    const programs: LoadedProgram[] = picked.map(({ p, at }, k) => {
      const c = compiled[k];
      const id = session.addProgram({ name: p.name, type: progTypeOf(p), hash: c.hash, soPath: c.path, insnCnt: p.insns.length, mapRefs: mapRefs(c, ids, refused, p) });
      const attachmentId = session.addAttachment({ ...at.input, progId: id });
      const { verified, unverified, warning } = verdicts[k];
      return { name: p.name, section: p.section, id, attachmentId, attachment: at, compiled: c, verified, ...(unverified ? { unverified } : {}), ...(warning ? { warning } : {}) };
    });
    return { session, programs, maps, syscalls: programs.some((p) => isSyscallAttachment(p.attachment)) };
  } catch (e) {
    session.end();
    session.close();
    throw e;
  }
}
