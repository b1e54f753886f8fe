/**
 * The toolchain stamp (docs/native.md, "The toolchain stamp"): values that cost a process spawn or a read of many
 * files (the tools' `--version` lines, the native layer's content hash) kept in one JSON file of the native cache,
 * each with the files it was computed from and their stat (device, inode, size, mtime, ctime). A later process reuses
 * a value when its key (what is not a file: environment, resolved paths) is the same and every file stats the same;
 * anything else (a changed, added or missing file, a stamp that does not parse, a value of the wrong shape, a stamp
 * of another format) recomputes. A value whose files changed less than RACY_MS before it was computed is not kept:
 * file times are coarse, so a change in the same tick as the computation could leave the stat unchanged (git's
 * "racily clean" entries). Writes go through a private file renamed into place, so a reader never sees half a stamp;
 * two processes writing at once lose one entry, which the next use recomputes. BPFTIME_NATIVE_RECHECK=1 (any value
 * but empty and 0) ignores the stored values (and stores fresh ones).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../runtime/cache-dir.js';

/** STAMP_FILE is the stamp's name in the native cache directory. */
export const STAMP_FILE = 'toolchain-stamp.json';
/** RACY_MS is how long before a computation a file must have last changed for the value to be kept. */
export const RACY_MS = 1000;
const FORMAT = 1;
/** Entries kept, most recent first (one per distinct key: a PATH of npx, another CC, another package version). */
const MAX_ENTRIES = 16;

/** FileSig is a file's stat as the stamp compares it (null when the file is absent). */
export type FileSig = string | null;

interface Entry {
  key: string;
  files: [string, FileSig][];
  value: unknown;
}

/** statOf stats a file following links (a missing one, or one in a missing directory, is null). */
function statOf(path: string): { sig: FileSig; changed: number } {
  try {
    const s = statSync(path);
    return { sig: `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`, changed: Math.max(s.mtimeMs, s.ctimeMs) };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { sig: code === 'ENOENT' || code === 'ENOTDIR' ? null : `error ${code}`, changed: 0 };
  }
}

/** fileSig returns what the stamp compares of a file: device, inode, size, mtime, ctime; null when it is absent. */
export function fileSig(path: string): FileSig {
  return statOf(path).sig;
}

/** readEntries reads the stamp; anything that is not a stamp of this format reads as empty. */
function readEntries(file: string): Entry[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const d = data as { format?: unknown; entries?: unknown };
  if (typeof d !== 'object' || d === null || d.format !== FORMAT || !Array.isArray(d.entries)) return [];
  return d.entries.filter(
    (e: Entry) =>
      typeof e === 'object' && e !== null && typeof e.key === 'string' && Array.isArray(e.files) &&
      e.files.every((f) => Array.isArray(f) && f.length === 2 && typeof f[0] === 'string' && (typeof f[1] === 'string' || f[1] === null)),
  );
}

/** writeEntry puts `entry` first in the stamp, atomically; a failure (read-only cache, full disk) keeps the old one. */
function writeEntry(dir: string, entry: Entry): void {
  const file = join(dir, STAMP_FILE);
  const tmp = join(dir, `.${STAMP_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    makeDirs(dir, { existsSync, mkdirSync });
    const entries = [entry, ...readEntries(file).filter((e) => e.key !== entry.key)].slice(0, MAX_ENTRIES);
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, entries }));
    renameSync(tmp, file);
  } catch {
    // The stamp only saves work: without it the next command computes again.
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Its directory could not be made: there is no file to remove.
    }
  }
}

/** StampedValue describes one value kept in the stamp. */
export interface StampedValue<T> {
  /** The native cache directory (the stamp is STAMP_FILE in it). */
  dir: string;
  /** What the value depends on besides the files' contents (environment, resolved paths, other values), as text. */
  key: string;
  /** Whether a stored value has the shape of T (a damaged or foreign stamp is not trusted). */
  valid: (v: unknown) => v is T;
  /** Computes the value and the files it was computed from; no files: the value is not to be kept (incomplete). */
  compute: () => { value: T; files?: readonly string[] };
  /** The environment (BPFTIME_NATIVE_RECHECK). */
  env: NodeJS.ProcessEnv;
}

/** stamped returns the stamp's value for the key when its files stat the same, else computes and stores it. */
export function stamped<T>(s: StampedValue<T>): T {
  const file = join(s.dir, STAMP_FILE);
  const recheck = s.env.BPFTIME_NATIVE_RECHECK;
  if (!recheck || recheck === '0') {
    const hit = readEntries(file).find((e) => e.key === s.key);
    if (hit && s.valid(hit.value) && hit.files.every(([path, sig]) => fileSig(path) === sig)) return hit.value;
  }
  const started = Date.now();
  const { value, files } = s.compute();
  if (files) {
    const stats = files.map((path) => ({ path, ...statOf(path) }));
    if (stats.every((f) => f.changed < started - RACY_MS)) writeEntry(s.dir, { key: s.key, files: stats.map((f) => [f.path, f.sig]), value });
  }
  return value;
}
