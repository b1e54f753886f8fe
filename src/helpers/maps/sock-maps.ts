/**
 * sockmap and sockhash (net/core/sock_map.c): maps of sockets that sk_skb and sk_msg programs redirect through, with
 * the kernel's user-side rules. There is no socket to pass by fd here, so the sockets are the ones the user declares
 * (`--socket`, the library's `net.sockets`), and their descriptors are numbered as a process that opened them in order
 * after stdin, stdout and stderr would hold them: declared socket i is fd 3 + i. The syscall side then behaves as the
 * kernel's: update takes an fd (u32, or u64 for 8-byte values; above INT_MAX -EINVAL, not a descriptor -EBADF, not a
 * socket -ENOTSOCK), BPF_NOEXIST and BPF_EXIST test whether the slot holds a socket, lookup returns the socket's
 * cookie when values are 8 bytes (-ENOSPC otherwise), delete of an empty slot is -EINVAL (sockmap) or -ENOENT
 * (sockhash). Programs look entries up as `struct bpf_sock *` references they must release.
 */
import type { MapSpec } from '../../loader/spec.js';
import { BaseMap } from './base-map.js';
import { readU32Key, u32Key } from './keys.js';
import { Errno, type MapContext, UpdateFlag } from './types.js';

/** ENOTSOCK is the errno of a descriptor that is not a socket. */
const ENOTSOCK = 88;
/** INT_MAX: larger descriptors are refused before any lookup (S32_MAX in sock_map.c). */
const S32_MAX = 0x7fff_ffff;
/** FIRST_SOCKET_FD is the descriptor of the first declared socket (0, 1 and 2 are the standard streams). */
export const FIRST_SOCKET_FD = 3;

/** SocketDirectory is what sock maps need of the declared sockets (the runtime provides it). */
export interface SocketDirectory {
  /** How many sockets are declared. */
  readonly count: number;
  /** Guest address of declared socket `index` as a `struct bpf_sock`. */
  address(index: number): number;
  /** The declared socket at a `struct bpf_sock` address, or undefined. */
  indexAt(address: number): number | undefined;
  /** The socket's cookie (what the syscall's lookup returns). */
  cookie(index: number): bigint;
  /** Whether the socket can receive redirected data: a TCP socket not listening, a connected UDP socket (sock_map_redirect_allowed). */
  redirectable(index: number): boolean;
  /** The socket's protocol. */
  protocol(index: number): 'tcp' | 'udp';
  /** The socket in `--socket` words (`tcp 10.0.0.1:80 10.0.0.2:4000`), for listings and recorded actions. */
  describe(index: number): string;
}

/** SockMapBase is what sockmap and sockhash share: sockets by key, and the syscall side's fd rules. */
export abstract class SockMapBase extends BaseMap {
  /** Entries: key (hex for sockhash, the index for sockmap) -> declared socket index. */
  protected readonly sockets_ = new Map<string, { key: Uint8Array; socket: number }>();
  /** The declared sockets; without them every fd is unknown (-EBADF). */
  directory: SocketDirectory | undefined;

  constructor(spec: MapSpec, ctx: MapContext, handle: number, id: number) {
    super(spec, ctx, handle, id);
  }

  /** keyId names a key in `sockets_`. */
  protected abstract keyId(key: Uint8Array): string;
  /** store puts `socket` at `key` with the type's flag, index and capacity rules (throws MapError). */
  protected abstract store(key: Uint8Array, socket: number, flags: number): void;
  /** deleteErrno is the errno of deleting an empty key. */
  protected abstract readonly deleteErrno: number;

  /** socketAt returns the declared socket index at `key`, or undefined. */
  socketAt(key: Uint8Array): number | undefined {
    return this.sockets_.get(this.keyId(key))?.socket;
  }

  /** sockets lists the entries (key bytes, declared socket index), for listings. */
  sockets(): { key: Uint8Array; socket: number }[] {
    return [...this.sockets_.values()];
  }

  /** describeSocket is the directory's description of a socket. */
  describeSocket(socket: number): string {
    return this.directory?.describe(socket) ?? `socket ${socket}`;
  }

  /** setSocket puts declared socket `index` at `key` (as update with its fd). */
  setSocket(key: Uint8Array, index: number, flags: number = UpdateFlag.ANY): void {
    const value = new Uint8Array(this.spec.valueSize);
    new DataView(value.buffer).setUint32(0, FIRST_SOCKET_FD + index, true);
    this.update(key, value, flags);
  }

  /** fdSocket resolves a user-side value (an fd) to a declared socket, with the syscall's errors. */
  private fdSocket(value: Uint8Array): number {
    const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const fd = value.length === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
    if (fd > BigInt(S32_MAX)) throw this.error(Errno.EINVAL, `update: fd ${fd} is not a valid descriptor`);
    const n = Number(fd);
    if (n < FIRST_SOCKET_FD) throw this.error(ENOTSOCK, `update: fd ${n} is not a socket (declared sockets are fds ${FIRST_SOCKET_FD} and up)`);
    const index = n - FIRST_SOCKET_FD;
    if (!this.directory || index >= this.directory.count) {
      throw this.error(Errno.EBADF, `update: fd ${n} is not open (${this.directory?.count ?? 0} sockets declared, fds ${FIRST_SOCKET_FD} and up)`);
    }
    return index;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlag.ANY): void {
    this.checkUserWrite();
    this.checkKey(key);
    this.checkValue(value);
    this.store(key, this.fdSocket(value), flags);
  }

  /** checkFlags and the slot tests of sock_map_update_common / sock_hash_update_common. */
  protected checkSlot(key: Uint8Array, flags: number): boolean {
    if (flags > UpdateFlag.EXIST || flags < 0) throw this.error(Errno.EINVAL, `update: invalid flags ${flags}`);
    const exists = this.sockets_.has(this.keyId(key));
    if (exists && flags === UpdateFlag.NOEXIST) throw this.error(Errno.EEXIST, 'update: element exists');
    if (!exists && flags === UpdateFlag.EXIST) throw this.error(Errno.ENOENT, 'update: no such element');
    return exists;
  }

  override lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkUserRead();
    this.checkKey(key);
    if (this.spec.valueSize !== 8) throw this.error(Errno.ENOSPC, 'lookup: the syscall returns the socket cookie, which needs 8-byte values');
    const socket = this.socketAt(key);
    if (socket === undefined) return undefined;
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, this.directory!.cookie(socket), true);
    return out;
  }

  override delete(key: Uint8Array): void {
    this.checkUserWrite();
    this.checkKey(key);
    this.remove(key);
  }

  /** remove deletes the entry at `key` (throws the type's errno when empty). */
  protected remove(key: Uint8Array): void {
    if (!this.sockets_.delete(this.keyId(key))) throw this.error(this.deleteErrno, 'delete: no such element');
  }

  override entries(): [Uint8Array, Uint8Array][] {
    if (this.spec.valueSize !== 8) return [];
    return this.sockets().map((e) => [e.key, this.lookup(e.key)!]);
  }

  // Program side: keys and `struct bpf_sock *` values in guest memory.
  override lookupElem(keyAddr: number): number {
    const socket = this.socketAt(this.readGuest(keyAddr, this.spec.keySize));
    return socket === undefined || !this.directory ? 0 : this.directory.address(socket);
  }

  override updateElem(keyAddr: number, valueAddr: number, flags: number): number {
    const socket = this.directory?.indexAt(valueAddr);
    if (socket === undefined) return -Errno.EINVAL;
    return this.attempt(() => this.store(this.readGuest(keyAddr, this.spec.keySize), socket, flags));
  }

  override deleteElem(keyAddr: number): number {
    return this.attempt(() => this.remove(this.readGuest(keyAddr, this.spec.keySize)));
  }

  /** attempt runs a user-side operation for a program, turning its MapError into -errno. */
  private attempt(op: () => void): number {
    try {
      op();
      return 0;
    } catch (e) {
      if (e instanceof Error && 'errno' in e && typeof e.errno === 'number') return -e.errno;
      throw e;
    }
  }
}

/** SockMap is a sockmap: an array of sockets. */
export class SockMap extends SockMapBase {
  protected readonly deleteErrno = Errno.EINVAL;

  protected keyId(key: Uint8Array): string {
    return String(readU32Key(key));
  }

  protected store(key: Uint8Array, socket: number, flags: number): void {
    if (flags > UpdateFlag.EXIST || flags < 0) throw this.error(Errno.EINVAL, `update: invalid flags ${flags}`);
    const index = readU32Key(key);
    if (index >= this.spec.maxEntries) throw this.error(Errno.E2BIG, `update: index ${index} is out of range (max_entries ${this.spec.maxEntries})`);
    this.checkSlot(key, flags);
    this.sockets_.set(this.keyId(key), { key: key.slice(), socket });
  }

  protected override remove(key: Uint8Array): void {
    const index = readU32Key(key);
    if (index >= this.spec.maxEntries) throw this.error(Errno.EINVAL, `delete: index ${index} is out of range`);
    super.remove(key);
  }

  override sockets(): { key: Uint8Array; socket: number }[] {
    return super.sockets().sort((a, b) => readU32Key(a.key) - readU32Key(b.key));
  }

  /** nextKey walks every index, as sock_map_get_next_key does. */
  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const index = key === undefined || key.length !== 4 ? -1 : readU32Key(key);
    const next = index >= this.spec.maxEntries ? 0 : index + 1;
    return next >= this.spec.maxEntries ? undefined : u32Key(next);
  }
}

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** SockHash is a sockhash: sockets by any key. */
export class SockHash extends SockMapBase {
  protected readonly deleteErrno = Errno.ENOENT;

  protected keyId(key: Uint8Array): string {
    return hexOf(key);
  }

  protected store(key: Uint8Array, socket: number, flags: number): void {
    const exists = this.checkSlot(key, flags);
    if (!exists && this.sockets_.size >= this.spec.maxEntries) throw this.error(Errno.E2BIG, 'update: map is full');
    this.sockets_.set(this.keyId(key), { key: key.slice(), socket });
  }

  override nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    if (key !== undefined) this.checkKey(key);
    const keys = [...this.sockets_.values()].map((e) => e.key);
    const at = key === undefined ? -1 : keys.findIndex((k) => hexOf(k) === hexOf(key));
    // A key not in the map restarts the walk, as the hash tables' get_next_key does.
    return keys[at + 1]?.slice();
  }
}
