/**
 * The host environment programs see by default: this process's pid, uid, gid and name, the real monotonic clock, CPU
 * 0 of `ncpus`, and trace output collected in memory. Every value can be overridden, which is how tests pin time or
 * identity. Portable: outside Node it falls back to neutral values.
 */
import { UsageError } from '../errors.js';
import type { HostEnv } from '../helpers/env.js';
import { cgroupIdsOf, currentCgroup, pidNamespace, procTask } from './host-linux.js';

/** HostOptions overrides parts of the default host. */
export type HostOptions = Partial<Omit<HostEnv, 'printk'>> & {
  /** Receives trace output lines as they are printed (in addition to `Host.trace`). */
  onPrintk?: (line: string) => void;
  /**
   * The current task's cgroup v2, as a path (`/system.slice/x`, or a directory inside the cgroup2 mount) whose
   * directories give the ids, or as the ids themselves (root first). Default: this process's, from /proc/self/cgroup.
   */
  cgroup?: string | readonly bigint[];
};

/** JIFFIES_HZ is the tick rate bpf_jiffies64 counts in (CONFIG_HZ of common distribution kernels). */
export const JIFFIES_HZ = 250;
/** TAI_OFFSET_NS is TAI minus UTC (37 leap seconds since 2017). */
const TAI_OFFSET_NS = 37_000_000_000n;
const COARSE_NS = BigInt(1e9 / JIFFIES_HZ);

const proc = (globalThis as { process?: NodeJS.Process }).process;

function monotonic(): bigint {
  return proc?.hrtime ? proc.hrtime.bigint() : BigInt(Math.round(performance.now() * 1e6));
}

/** Host is a HostEnv that records trace output. */
export interface Host extends HostEnv {
  /** Every trace line printed so far. */
  readonly trace: string[];
}

/** createHost builds the default host environment, with overrides. */
export function createHost(opts: HostOptions = {}): Host {
  const trace: string[] = [];
  const pid = opts.pid ?? proc?.pid ?? 1;
  const host: Host = {
    monotonicNs: opts.monotonicNs ?? monotonic,
    bootNs: opts.bootNs ?? opts.monotonicNs ?? monotonic,
    coarseNs: opts.coarseNs ?? (() => (monotonic() / COARSE_NS) * COARSE_NS),
    taiNs: opts.taiNs ?? (() => BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS),
    jiffies: opts.jiffies ?? (() => monotonic() / COARSE_NS),
    tgid: opts.tgid ?? pid,
    pid,
    uid: opts.uid ?? proc?.getuid?.() ?? 0,
    gid: opts.gid ?? proc?.getgid?.() ?? 0,
    comm: (opts.comm ?? proc?.title ?? 'bpftime-vm').slice(0, 15),
    cpu: opts.cpu ?? 0,
    ncpus: opts.ncpus ?? 1,
    numaNode: opts.numaNode ?? 0,
    random: opts.random ?? (() => (Math.random() * 4294967296) >>> 0),
    trace,
    printk(line: string) {
      trace.push(line);
      opts.onPrintk?.(line);
    },
    task: opts.task ?? ((p: number) => (p === host.pid ? { pid: host.pid, tgid: host.tgid, comm: host.comm } : procTask(p))),
    cgroupIds: opts.cgroupIds ?? cgroupIdsFrom(opts.cgroup),
    pidNamespace: opts.pidNamespace ?? once(pidNamespace),
    netnsCookie:
      opts.netnsCookie ??
      (() => {
        throw new UsageError('host-unknown', 'the cookie of the network namespace is unknown to bpftime-vm (getsockopt SO_NETNS_COOKIE); give it with the host option netns_cookie');
      }),
  };
  if (host.cpu < 0 || host.cpu >= host.ncpus) throw new RangeError(`cpu ${host.cpu} is not in 0..${host.ncpus - 1}`);
  return host;
}

/** HostUpdate is what may change between runs of one collection (a sequence of events from several tasks and times). */
export type HostUpdate = Pick<HostOptions, 'pid' | 'tgid' | 'uid' | 'gid' | 'comm' | 'cpu' | 'cgroup' | 'cgroupIds' | 'monotonicNs' | 'bootNs' | 'coarseNs' | 'taiNs' | 'jiffies'>;

/** updateHost changes a host in place: the identity, CPU, cgroup or clocks the next runs see. */
export function updateHost(host: Host, u: HostUpdate): void {
  const h = host as { -readonly [K in keyof Host]: Host[K] };
  if (u.pid !== undefined) h.pid = u.pid;
  if (u.tgid !== undefined) h.tgid = u.tgid;
  else if (u.pid !== undefined) h.tgid = u.pid;
  if (u.uid !== undefined) h.uid = u.uid;
  if (u.gid !== undefined) h.gid = u.gid;
  if (u.comm !== undefined) h.comm = u.comm.slice(0, 15);
  if (u.cpu !== undefined) {
    if (u.cpu < 0 || u.cpu >= host.ncpus) throw new RangeError(`cpu ${u.cpu} is not in 0..${host.ncpus - 1}`);
    h.cpu = u.cpu;
  }
  if (u.cgroup !== undefined) h.cgroupIds = cgroupIdsFrom(u.cgroup);
  else if (u.cgroupIds !== undefined) h.cgroupIds = u.cgroupIds;
  for (const k of ['monotonicNs', 'bootNs', 'coarseNs', 'taiNs', 'jiffies'] as const) if (u[k]) h[k] = u[k]!;
}

/** once caches the first answer of a question asked of the system. */
function once<T>(ask: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = ask();
      done = true;
    }
    return value;
  };
}

function cgroupIdsFrom(cgroup: HostOptions['cgroup']): () => readonly bigint[] {
  if (Array.isArray(cgroup)) {
    const ids = cgroup as readonly bigint[];
    return () => ids;
  }
  return once(() => cgroupIdsOf(typeof cgroup === 'string' ? cgroup : currentCgroup()));
}
