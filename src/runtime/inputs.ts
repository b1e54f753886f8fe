/**
 * Reading what people type as a program's input: 64-bit integers, comma-separated lists of them, hex bytes, and host
 * facts as KEY=VALUE. The CLI (`--args`, `--mem`, `--host`...) and the web playground's form share these, so both
 * accept and refuse the same text with the same messages.
 */
import { UsageError } from '../errors.js';
import type { HostOptions } from './host.js';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

/** parseU64 reads a decimal or hex integer that fits in 64 bits, signed or unsigned, as its 64-bit pattern. */
export function parseU64(text: string, what: string): bigint {
  const t = text.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) throw new UsageError('bad-option', `${what}: "${text}" is not an integer`);
  const neg = t.startsWith('-');
  const v = neg ? -BigInt(t.slice(1)) : BigInt(t);
  if (v > U64_MAX || v < I64_MIN) throw new UsageError('bad-option', `${what}: ${text} does not fit in 64 bits`);
  return BigInt.asUintN(64, v);
}

/** splitList splits comma-separated items (of one or several strings); an empty item (`1,,2`, `1,`) is a usage error. */
export function splitList(given: readonly string[], what: string): string[] {
  const items = given.flatMap((s) => s.split(',')).map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError('bad-option', `${what}: empty value in "${given.join(',')}"`);
  return items;
}

/** parseHex reads hex bytes written as pairs, optionally separated by spaces, commas or `0x` prefixes. */
export function parseHex(text: string, what: string): Uint8Array {
  const cleaned = text.replace(/0x/gi, ' ').replace(/[\s,]+/g, ' ').trim();
  if (cleaned === '') return new Uint8Array(0);
  const tokens = cleaned.split(' ');
  const out: number[] = [];
  for (const t of tokens) {
    if (!/^[0-9a-f]+$/i.test(t)) throw new UsageError('bad-hex', `${what}: "${t}" is not hex`);
    if (tokens.length === 1 || t.length > 2) {
      if (t.length % 2) throw new UsageError('bad-hex', `${what}: odd number of hex digits in "${t}"`);
      for (let i = 0; i < t.length; i += 2) out.push(parseInt(t.slice(i, i + 2), 16));
    } else out.push(parseInt(t, 16));
  }
  return Uint8Array.from(out);
}

/** HOST_KEYS are the host facts parseHostOptions accepts. */
export const HOST_KEYS = ['pid', 'tgid', 'uid', 'gid', 'comm', 'cpu', 'ncpus', 'numa', 'time', 'cgroup', 'netns_cookie'] as const;

/**
 * parseHostOptions reads host facts given as KEY=VALUE items (`pid=42`, `comm=curl`, `time=1000` in ns for every
 * clock, `cgroup=/sys/fs/cgroup/...` the task's cgroup path, `netns_cookie=N`); a pid without a tgid sets both, as for
 * a single-threaded process.
 */
export function parseHostOptions(items: readonly string[], what: string): HostOptions {
  const host: Record<string, unknown> = {};
  for (const kv of items) {
    const [k, v] = kv.split('=');
    if (v === undefined) throw new UsageError('bad-option', `${what} expects KEY=VALUE, got "${kv}"`);
    if (k === 'comm') host.comm = v;
    else if (k === 'cgroup') host.cgroup = v;
    else if (k === 'netns_cookie') {
      const cookie = parseU64(v, `${what} netns_cookie`);
      host.netnsCookie = () => cookie;
    } else if (k === 'time') {
      const ns = parseU64(v, `${what} time`);
      host.monotonicNs = host.bootNs = host.coarseNs = host.taiNs = () => ns;
    } else if ((HOST_KEYS as readonly string[]).includes(k)) host[k === 'numa' ? 'numaNode' : k] = Number(parseU64(v, `${what} ${k}`));
    else throw new UsageError('bad-option', `${what}: unknown key "${k}" (${HOST_KEYS.join(', ')})`);
  }
  if (host.pid !== undefined && host.tgid === undefined) host.tgid = host.pid;
  return host as HostOptions;
}
