/**
 * The declared sockets of a collection as programs and sock maps see them: each laid out once as a read-only
 * `struct bpf_sock` (what socket lookups and sockmap lookups return, what sk_msg's `sk` points to), a cookie per socket
 * from the collection's cookie counter, and the words `--socket` takes to describe one.
 */
import type { SocketDirectory } from '../helpers/maps/sock-maps.js';
import type { DeclaredSocket } from '../helpers/packet/net.js';
import { SIZEOF_BPF_SOCK, writeBpfSock } from '../helpers/packet/sockets.js';
import type { GuestMemory, Region } from '../memory/guest-memory.js';
import { formatIp } from './packet-decode.js';
import { UsageError } from '../errors.js';

/** endpoint prints ADDRESS:PORT, IPv6 in brackets. */
const endpoint = (ip: Uint8Array, port: number | undefined): string => (ip.length === 16 ? `[${formatIp(ip)}]:${port ?? 0}` : `${formatIp(ip)}:${port ?? 0}`);

/** describeSocket prints a declared socket in the words `--socket` takes. */
export function describeSocket(s: DeclaredSocket): string {
  const peer = s.remoteIp ? ` ${endpoint(s.remoteIp, s.remotePort)}` : '';
  return `${s.protocol} ${endpoint(s.localIp, s.localPort)}${peer}`;
}

/** RunSocket is the socket a run's context belongs to: a declared one (with its index) or one described. */
export interface RunSocket {
  index?: number;
  socket: DeclaredSocket;
}

/** DeclaredSockets is the SocketDirectory of a collection. */
export class DeclaredSockets implements SocketDirectory {
  /** Made on first use: most collections never look a socket up. */
  private region: Region | undefined;

  constructor(
    private readonly mem: GuestMemory,
    private readonly list: () => readonly DeclaredSocket[],
    /** The collection's cookie of the socket at a `struct bpf_sock` address. */
    private readonly cookieAt: (address: bigint) => bigint,
  ) {}

  get count(): number {
    return this.list().length;
  }

  /** The socket of runs on an undeclared socket (sk_msg's msg->sk), laid out on demand. */
  private standIn: Region | undefined;

  /** resolve names a run's socket: a declared one by index (checked), or one described. */
  resolve(s: number | DeclaredSocket): RunSocket {
    if (typeof s !== 'number') return { socket: s };
    if (!Number.isInteger(s) || s < 0 || s >= this.count) {
      throw new UsageError('bad-socket', `socket ${s} is not declared (${this.count} sockets: declare them with --socket, counted from 0)`);
    }
    return { index: s, socket: this.socket(s) };
  }

  /** addressOf is the `struct bpf_sock` of a run's socket: a declared one's, or a stand-in laid out for it. */
  addressOf(s: RunSocket): number {
    if (s.index !== undefined) return this.address(s.index);
    this.standIn ??= this.mem.addRegion('bpf_sock:context', SIZEOF_BPF_SOCK, { writable: false });
    writeBpfSock(this.mem.dv, this.standIn.start, s.socket);
    return this.standIn.start;
  }

  /** socket returns declared socket `index`. */
  socket(index: number): DeclaredSocket {
    return this.list()[index];
  }

  address(index: number): number {
    if (!this.region) {
      const sockets = this.list();
      this.region = this.mem.addRegion('bpf_sock', Math.max(1, sockets.length) * SIZEOF_BPF_SOCK, { writable: false });
      sockets.forEach((s, i) => writeBpfSock(this.mem.dv, this.region!.start + i * SIZEOF_BPF_SOCK, s));
    }
    return this.region.start + index * SIZEOF_BPF_SOCK;
  }

  indexAt(address: number): number | undefined {
    if (!this.region) return undefined;
    const off = address - this.region.start;
    const index = off / SIZEOF_BPF_SOCK;
    return Number.isInteger(index) && index >= 0 && index < this.count ? index : undefined;
  }

  cookie(index: number): bigint {
    return this.cookieAt(BigInt(this.address(index)));
  }

  redirectable(index: number): boolean {
    const s = this.socket(index);
    // A listening TCP socket has no stream to receive into; a UDP socket must be connected (TCP_ESTABLISHED).
    return s.remoteIp !== undefined;
  }

  protocol(index: number): 'tcp' | 'udp' {
    return this.socket(index).protocol;
  }

  describe(index: number): string {
    return describeSocket(this.socket(index));
  }
}
