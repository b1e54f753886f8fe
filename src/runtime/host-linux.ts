/**
 * What the default host reads from Linux about the current process, each only when a helper first asks: its cgroup v2
 * membership (`/proc/self/cgroup` and the inodes of the cgroup directories, which are the kernel's cgroup ids) and its
 * pid namespace (stat of `/proc/self/ns/pid`). Outside Linux, or where these files are missing, the question fails
 * with a message naming the host option that answers it instead.
 */
import { UsageError } from '../errors.js';

interface FsLike {
  readFileSync(path: string, encoding: 'utf8'): string;
  statSync(path: string, opts: { bigint: true }): { ino: bigint; dev: bigint };
}

const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
const fs = proc?.getBuiltinModule?.('node:fs') as FsLike | undefined;

function unknown(what: string, option: string, cause?: unknown): UsageError {
  const why = cause instanceof Error ? `: ${cause.message}` : '';
  return new UsageError('host-unknown', `the host's ${what} is unknown here${why}; give it with the host option ${option}`, {}, { cause });
}

/** cgroup2Mount returns where the cgroup v2 hierarchy is mounted (the `cgroup2` line of /proc/self/mountinfo). */
export function cgroup2Mount(): string {
  if (!fs) throw unknown('cgroup v2 mount', 'cgroup');
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [left, right] = line.split(' - ');
      if (right?.startsWith('cgroup2 ')) return left.split(' ')[4];
    }
  } catch (e) {
    throw unknown('cgroup v2 mount', 'cgroup', e);
  }
  throw unknown('cgroup v2 mount', 'cgroup (no cgroup2 file system is mounted)');
}

/** currentCgroup returns the current process's cgroup v2 path (`/user.slice/...`) from the `0::` line of /proc/self/cgroup. */
export function currentCgroup(): string {
  if (!fs) throw unknown('cgroup', 'cgroup');
  try {
    const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
    if (line) return line.slice(3);
  } catch (e) {
    throw unknown('cgroup', 'cgroup', e);
  }
  throw unknown('cgroup', 'cgroup (no cgroup v2 line in /proc/self/cgroup)');
}

/**
 * cgroupDir turns a cgroup given as a path into its directory: a path inside the cgroup v2 mount is kept, any other
 * absolute path is read as a cgroup path relative to the mount (`/system.slice` -> `/sys/fs/cgroup/system.slice`).
 */
export function cgroupDir(path: string): { mount: string; dir: string } {
  const mount = cgroup2Mount();
  const inside = path === mount || path.startsWith(mount + '/');
  const dir = inside ? path : (mount + '/' + path.replace(/^\/+/, '')).replace(/\/+$/, '');
  return { mount, dir: dir || '/' };
}

/** cgroupIdsOf returns the ids (directory inodes) of a cgroup and its ancestors, the root first. */
export function cgroupIdsOf(path: string): bigint[] {
  const { mount, dir } = cgroupDir(path);
  const rel = dir.slice(mount.length).split('/').filter(Boolean);
  const ids: bigint[] = [];
  let cur = mount;
  try {
    ids.push(fs!.statSync(cur, { bigint: true }).ino);
    for (const part of rel) {
      cur += '/' + part;
      ids.push(fs!.statSync(cur, { bigint: true }).ino);
    }
  } catch (e) {
    throw unknown(`cgroup ${path}`, 'cgroup', e);
  }
  return ids;
}

/** pidNamespace returns stat's device and inode of /proc/self/ns/pid. */
export function pidNamespace(): { dev: bigint; ino: bigint } {
  if (!fs) throw unknown('pid namespace', 'pidns_dev and pidns_ino');
  try {
    const st = fs.statSync('/proc/self/ns/pid', { bigint: true });
    return { dev: st.dev, ino: st.ino };
  } catch (e) {
    throw unknown('pid namespace', 'pidns_dev and pidns_ino', e);
  }
}

/** procTask reads a task's thread group and name from /proc/PID/status, or undefined when there is no such task. */
export function procTask(pid: number): { pid: number; tgid: number; comm: string } | undefined {
  if (!fs || !Number.isInteger(pid) || pid <= 0) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // No such process (or no /proc): the kernel's lookup finds no task either.
    return undefined;
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1];
  return { pid, tgid: Number(field('Tgid') ?? pid), comm: (field('Name') ?? '').slice(0, 15) };
}

/** TRACEFS_ROOTS are where tracefs is mounted, newest convention first. */
const TRACEFS_ROOTS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** tracefsFormat returns the `format` file of tracepoint CATEGORY/NAME, or undefined when tracefs cannot be read. */
export function tracefsFormat(category: string, name: string): string | undefined {
  if (!fs || !/^\w+$/.test(category) || !/^\w+$/.test(name)) return undefined;
  for (const root of TRACEFS_ROOTS) {
    try {
      return fs.readFileSync(`${root}/events/${category}/${name}/format`, 'utf8');
    } catch {
      // Not mounted here, or no such event: try the next place, then fall back to BTF.
    }
  }
  return undefined;
}
