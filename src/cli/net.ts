/**
 * The network packet programs see, declared on the command line in `ip`'s own words: `--link 'eth1 ifindex 3 address
 * 02:00:00:00:00:03 mtu 1500 addr 10.0.1.1'`, `--route '10.1.0.0/16 via 10.0.1.254 dev eth1'` (or `blackhole`,
 * `unreachable`, `prohibit`, `local` before the prefix), `--neigh '10.0.1.254 lladdr 02:00:00:00:00:fe dev eth1'`,
 * `--socket 'tcp 10.0.0.1:80'` (listening; with a peer, `udp [fd00::1]:53 [fd00::2]:4000 dev eth1`, connected and
 * bound to a device), or all of it from a JSON file (`--net FILE`) holding what `ip -j addr`, `ip -j route` and
 * `ip -j neigh` print under "links", "routes" and "neighbours", and `--socket` words under "sockets" (ip's JSON does
 * not say whether a route's MTU is locked: add "mtu_lock": true to such a route). The loopback device (ifindex 1) is
 * always there.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { LOOPBACK, type DeclaredSocket, type NetEnv, type NetInterface, type Route, type RouteType } from '../helpers/packet/net.js';
import type { Parsed } from './args.js';

/** The routing tables ip names. */
const NAMED_TABLES: Record<string, number> = { default: 253, local: 255 };
const ROUTE_TYPES = new Set(['unicast', 'local', 'blackhole', 'unreachable', 'prohibit']);

/** parseIp reads an IPv4 or IPv6 address (`what` names it in errors). */
export function parseIp(text: string, what: string): Uint8Array {
  const t = text.trim();
  if (/^\d+\.\d+\.\d+\.\d+$/.test(t)) {
    const parts = t.split('.').map(Number);
    if (parts.every((p) => p <= 255)) return Uint8Array.from(parts);
  } else if (t.includes(':') && /^[0-9a-f:]+$/i.test(t) && (t.match(/::/g) ?? []).length <= 1) {
    const [head, tail] = t.includes('::') ? t.split('::') : [t, undefined];
    const words = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
    const h = words(head);
    const tl = words(tail);
    const fill = 8 - h.length - tl.length;
    if ((tail === undefined ? fill === 0 : fill >= 1) && [...h, ...tl].every((w) => w <= 0xffff)) {
      return Uint8Array.from([...h, ...new Array(Math.max(0, fill)).fill(0), ...tl].flatMap((w) => [w >> 8, w & 0xff]));
    }
  }
  throw new UsageError('bad-option', `${what}: "${text}" is not an IPv4 or IPv6 address`);
}

/** parseMac reads aa:bb:cc:dd:ee:ff. */
export function parseMac(text: string, what: string): Uint8Array {
  if (!/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(text.trim())) throw new UsageError('bad-option', `${what}: "${text}" is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return Uint8Array.from(text.trim().split(':').map((x) => parseInt(x, 16)));
}

function integer(text: string | number | undefined, what: string): number {
  const v = typeof text === 'number' ? text : Number(text);
  if (text === undefined || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new UsageError('bad-option', `${what}: "${text}" is not a non-negative integer`);
  return v;
}

/** pairs reads `key value` words after a leading positional word. */
function pairs(words: string[], keys: Set<string>, flags: Set<string>, what: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < words.length; i++) {
    const k = words[i];
    if (flags.has(k)) {
      out.set(k, []);
      continue;
    }
    if (!keys.has(k)) throw new UsageError('bad-option', `${what}: unknown word "${k}" (expected ${[...keys, ...flags].join(', ')})`);
    if (i + 1 >= words.length) throw new UsageError('bad-option', `${what}: "${k}" needs a value`);
    out.set(k, [...(out.get(k) ?? []), words[++i]]);
  }
  return out;
}

class NetBuilder {
  readonly env: NetEnv = { interfaces: [LOOPBACK], routes: [], neighbours: [], sockets: [] };

  link(i: NetInterface): void {
    this.env.interfaces = this.env.interfaces.filter((x) => x.ifindex !== i.ifindex);
    this.env.interfaces.push(i);
  }

  /** dev resolves a device name or ifindex to a declared device's ifindex. */
  dev(name: string | number, what: string): number {
    const i = this.env.interfaces.find((x) => x.name === String(name) || String(x.ifindex) === String(name));
    if (!i) throw new UsageError('bad-option', `${what}: no device "${name}" is declared (declare it with --link, before the routes that use it)`);
    return i.ifindex;
  }

  route(words: string[], what: string): void {
    let type: RouteType = 'unicast';
    if (ROUTE_TYPES.has(words[0])) type = words.shift() as RouteType;
    const target = words.shift();
    if (!target) throw new UsageError('bad-option', `${what}: a route needs a prefix or "default"`);
    // `mtu lock N`: a locked MTU, the only kind IPv4 forwarding honours.
    const lock = words.findIndex((w, i) => w === 'lock' && words[i - 1] === 'mtu');
    if (lock >= 0) words.splice(lock, 1);
    const o = pairs(words, new Set(['via', 'dev', 'src', 'metric', 'mtu', 'table', 'proto', 'scope']), new Set(['onlink']), what);
    this.addRoute({ type, target, via: o.get('via')?.[0], dev: o.get('dev')?.[0], src: o.get('src')?.[0], metric: o.get('metric')?.[0], mtu: o.get('mtu')?.[0], mtuLock: lock >= 0, table: o.get('table')?.[0] }, what);
  }

  addRoute(r: { type?: string; target: string; via?: string; dev?: string | number; src?: string; metric?: string | number; mtu?: string | number; mtuLock?: boolean; table?: string | number }, what: string): void {
    const type = (r.type ?? 'unicast') as RouteType;
    if (!ROUTE_TYPES.has(type)) throw new UsageError('bad-option', `${what}: route type "${type}" (expected ${[...ROUTE_TYPES].join(', ')})`);
    const gateway = r.via !== undefined ? parseIp(r.via, `${what}: via`) : undefined;
    let dst: Uint8Array;
    let prefix: number;
    if (r.target === 'default') {
      dst = new Uint8Array(gateway?.length ?? 4);
      prefix = 0;
    } else {
      const [addr, len] = r.target.split('/');
      dst = parseIp(addr, what);
      prefix = len === undefined ? dst.length * 8 : integer(len, `${what}: prefix length`);
      if (prefix > dst.length * 8) throw new UsageError('bad-option', `${what}: prefix length ${prefix} is longer than the address`);
    }
    if (gateway && gateway.length !== dst.length) throw new UsageError('bad-option', `${what}: the gateway's family differs from the destination's`);
    if (type === 'unicast' && r.dev === undefined) throw new UsageError('bad-option', `${what}: a unicast route needs "dev NAME"`);
    const table = r.table === undefined || r.table === 'main' ? undefined : (NAMED_TABLES[String(r.table)] ?? integer(r.table, `${what}: table`));
    this.env.routes.push({
      dst, prefix, type,
      ...(r.dev !== undefined ? { ifindex: this.dev(r.dev, what) } : {}),
      ...(gateway ? { gateway } : {}),
      ...(r.src !== undefined ? { src: parseIp(r.src, `${what}: src`) } : {}),
      ...(r.metric !== undefined ? { metric: integer(r.metric, `${what}: metric`) } : {}),
      ...(r.mtu !== undefined ? { mtu: integer(r.mtu, `${what}: mtu`), ...(r.mtuLock ? { mtuLocked: true } : {}) } : {}),
      ...(table !== undefined ? { table } : {}),
    });
  }
}

/** endpoint reads ADDR:PORT or [ADDR6]:PORT. */
function endpoint(text: string, what: string): { ip: Uint8Array; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new UsageError('bad-option', `${what}: "${text}" is not ADDRESS:PORT (IPv6: [ADDRESS]:PORT)`);
  const port = integer(m[2], `${what}: port`);
  if (port > 0xffff) throw new UsageError('bad-option', `${what}: port ${port} is out of range`);
  return { ip: parseIp(m[1], what), port };
}

/** socketFromWords reads 'tcp|udp LOCAL [REMOTE] [dev NAME]'. */
function socketFromWords(b: NetBuilder, words: string[], what: string): DeclaredSocket {
  const protocol = words.shift();
  if (protocol !== 'tcp' && protocol !== 'udp') throw new UsageError('bad-option', `${what}: expected 'tcp|udp LOCAL [REMOTE] [dev NAME]'`);
  const local = words.shift();
  if (!local) throw new UsageError('bad-option', `${what}: a socket needs its local ADDRESS:PORT`);
  const remote = words[0] && words[0] !== 'dev' ? words.shift() : undefined;
  const o = pairs(words, new Set(['dev']), new Set(), what);
  const l = endpoint(local, what);
  const r = remote !== undefined ? endpoint(remote, what) : undefined;
  if (r && r.ip.length !== l.ip.length) throw new UsageError('bad-option', `${what}: the local and remote addresses are of different families`);
  return {
    protocol, localIp: l.ip, localPort: l.port, ...(r ? { remoteIp: r.ip, remotePort: r.port } : {}),
    ...(o.has('dev') ? { boundIfindex: b.dev(o.get('dev')![0], what) } : {}),
  };
}

function linkFromWords(words: string[], what: string): NetInterface {
  const name = words.shift();
  if (!name) throw new UsageError('bad-option', `${what}: a link needs a name`);
  const o = pairs(words, new Set(['ifindex', 'address', 'mtu', 'addr', 'broadcast']), new Set(['noforward']), what);
  if (!o.has('ifindex')) throw new UsageError('bad-option', `${what}: a link needs "ifindex N"`);
  return {
    name, ifindex: integer(o.get('ifindex')![0], `${what}: ifindex`),
    mac: o.has('address') ? parseMac(o.get('address')![0], what) : new Uint8Array(6),
    mtu: o.has('mtu') ? integer(o.get('mtu')![0], `${what}: mtu`) : 1500,
    addresses: (o.get('addr') ?? []).map((a) => parseIp(a.split('/')[0], `${what}: addr`)),
    ...(o.has('broadcast') ? { broadcast: parseMac(o.get('broadcast')![0], what) } : {}),
    ...(o.has('noforward') ? { forwarding: false } : {}),
  };
}

type Json = Record<string, unknown>;

function fromJson(b: NetBuilder, file: string): void {
  let doc: { links?: Json[]; routes?: Json[]; neighbours?: Json[]; neighbors?: Json[]; sockets?: string[] };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new UsageError('bad-option', `--net ${file}: ${e.message}`);
    throw e;
  }
  (doc.links ?? []).forEach((l, i) => {
    const what = `--net ${file}: links[${i}]`;
    const addrs = ((l.addr_info as Json[] | undefined) ?? []).map((a) => parseIp(String(a.local), `${what}: addr_info`));
    b.link({ name: String(l.ifname), ifindex: integer(l.ifindex as number, `${what}: ifindex`), mac: l.address ? parseMac(String(l.address), what) : new Uint8Array(6), mtu: l.mtu === undefined ? 1500 : integer(l.mtu as number, `${what}: mtu`), addresses: addrs, ...(l.broadcast ? { broadcast: parseMac(String(l.broadcast), what) } : {}), ...(l.forwarding === false ? { forwarding: false } : {}) });
  });
  (doc.routes ?? []).forEach((r, i) => b.addRoute({ type: r.type as string | undefined, target: String(r.dst), via: r.gateway as string | undefined, dev: r.dev as string | undefined, src: r.prefsrc as string | undefined, metric: r.metric as number | undefined, mtu: (r.metrics as Json[] | undefined)?.find((m) => m.mtu !== undefined)?.mtu as number | undefined ?? (r.mtu as number | undefined), mtuLock: r.mtu_lock === true, table: r.table as string | undefined }, `--net ${file}: routes[${i}]`));
  (doc.neighbours ?? doc.neighbors ?? []).forEach((n, i) => {
    const what = `--net ${file}: neighbours[${i}]`;
    b.env.neighbours.push({ ip: parseIp(String(n.dst), what), mac: parseMac(String(n.lladdr), what), ifindex: b.dev(String(n.dev), what) });
  });
  (doc.sockets ?? []).forEach((w, i) => b.env.sockets.push(socketFromWords(b, String(w).trim().split(/\s+/), `--net ${file}: sockets[${i}]`)));
}

/** netOptions builds the declared network from `--net`, `--link`, `--route`, `--neigh` and `--socket` (undefined: none given). */
export function netOptions(flags: Parsed['flags']): NetEnv | undefined {
  const items = (name: string) => ((flags[name] as string[] | undefined) ?? []).map((s) => s.trim().split(/\s+/).filter(Boolean));
  if (['net', 'link', 'route', 'neigh', 'socket'].every((k) => flags[k] === undefined)) return undefined;
  const b = new NetBuilder();
  if (flags.net !== undefined) fromJson(b, String(flags.net));
  for (const w of items('link')) b.link(linkFromWords(w, `--link '${w.join(' ')}'`));
  for (const w of items('route')) b.route(w, `--route '${w.join(' ')}'`);
  for (const w of items('neigh')) {
    const what = `--neigh '${w.join(' ')}'`;
    const ip = w.shift();
    const o = pairs(w, new Set(['lladdr', 'dev', 'nud']), new Set(), what);
    if (!ip || !o.has('lladdr') || !o.has('dev')) throw new UsageError('bad-option', `${what}: expected 'IP lladdr MAC dev NAME'`);
    b.env.neighbours.push({ ip: parseIp(ip, what), mac: parseMac(o.get('lladdr')![0], what), ifindex: b.dev(o.get('dev')![0], what) });
  }
  for (const w of items('socket')) b.env.sockets.push(socketFromWords(b, w, `--socket '${w.join(' ')}'`));
  return b.env;
}
