/**
 * The sockmap and sockhash helpers (net/core/sock_map.c), recorded instead of performed: bpf_sk_redirect_map/hash
 * (sk_skb) and bpf_msg_redirect_map/hash (sk_msg) pick the socket the data goes to, returning SK_PASS, or SK_DROP for
 * flags other than BPF_F_INGRESS, an empty entry, or a socket that cannot receive (a listener, an unconnected UDP
 * socket; sk_msg's egress needs TCP). The redirect happens when the program then returns SK_PASS. A failed call leaves
 * an earlier redirect as it was, as the kernel leaves the skb's. bpf_sock_map_update and bpf_sock_hash_update
 * (sock_ops) add the context's socket when the callback is an established or listen one (-EOPNOTSUPP otherwise).
 */
import { ExecError } from '../../errors.js';
import { SockHash, SockMap, SockMapBase } from '../maps/sock-maps.js';
import { typeName } from '../maps/base-map.js';
import type { PacketActions, RedirectAction } from '../packet/net.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, ERR, helper, mapArg } from './common.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
const SK_DROP = 0;
const SK_PASS = 1;
const BPF_F_INGRESS = 1n;
/** The sock_ops callbacks a socket may be added from (sock_map_op_okay): passive and active established, listen. */
const SOCK_OPS_ADD = new Set([4, 5, 11]);
/** struct bpf_sock_ops.op is its first field. */
const SOCK_OPS_OP = 0;

function actionsOf(c: HelperCall): PacketActions {
  const a = envOf(c).actions;
  if (!a) throw new ExecError('no-packet', 'socket redirect helpers need the run of an sk_skb or sk_msg program');
  return a;
}

function onlyFor(c: HelperCall, type: string, name: string): void {
  const t = envOf(c).program.type;
  if (t !== type) throw new ExecError('bad-program-type', `bpf_${name} is an ${type} helper, not available to programs of type ${t}`);
}

function sockMap<T extends SockMapBase>(c: HelperCall, cls: abstract new (...a: never[]) => T, name: string): T {
  const map = mapArg(c, 2);
  const want = cls === (SockMap as unknown) ? 'sockmap' : 'sockhash';
  if (!(map instanceof cls)) throw new ExecError('bad-map', `bpf_${name}: map "${map.spec.name}" is ${typeName(map.spec.type)}, not a ${want}`);
  return map;
}

/** keyText shows a sockhash key: a 4-byte key as its u32 value (as the sockmap index shows), others as hex. */
const keyText = (b: Uint8Array): number | string =>
  b.length === 4 ? new DataView(b.buffer, b.byteOffset).getUint32(0, true) : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** redirect records a socket redirect through `map` at `key` (index or key bytes), with the kernel's checks. */
function redirect(c: HelperCall, helperName: RedirectAction['helper'], map: SockMapBase, key: Uint8Array, keyText: number | string, msg: boolean): number {
  const flags = c.arg(4);
  if (flags & ~BPF_F_INGRESS) return SK_DROP;
  const socket = map.socketAt(key);
  const dir = map.directory;
  if (socket === undefined || !dir || !dir.redirectable(socket)) return SK_DROP;
  if (msg && !(flags & BPF_F_INGRESS) && dir.protocol(socket) !== 'tcp') return SK_DROP;
  actionsOf(c).redirect = { helper: helperName, map: map.spec.name, mapType: typeName(map.spec.type), key: keyText, flags: Number(flags), socket: dir.describe(socket) };
  return SK_PASS;
}

function u32KeyOf(c: HelperCall): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, c.argU32(3), true);
  return k;
}

function hashKey(c: HelperCall, map: SockMapBase): Uint8Array {
  return c.mem.bytes(c.argNum(3), map.spec.keySize).slice();
}

/** sockOpsUpdate adds the sock_ops context's socket to `map` at the key argument 3 points to. */
function sockOpsUpdate(c: HelperCall, map: SockMapBase): number {
  const env = envOf(c);
  const op = c.mem.dv.getUint32(env.program.ctx + SOCK_OPS_OP, true);
  if (!SOCK_OPS_ADD.has(op)) return ERR.EOPNOTSUPP;
  const socket = env.contextSocket;
  if (socket === undefined || !map.directory) {
    throw new ExecError('no-socket', `the sock_ops context's socket (its family, addresses and ports) matches no declared socket; declare it with --socket`);
  }
  const r = map.updateElem(c.argNum(3), map.directory.address(socket), c.argU32(4));
  return r;
}

/** SOCK_REDIRECT_HELPERS are the sockmap/sockhash redirect and update helpers. */
export const SOCK_REDIRECT_HELPERS: HelperDef[] = [
  helper(id('sk_redirect_map'), N[id('sk_redirect_map')], { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything', 'anything'] },
    'sk_skb: redirects the data to the socket at an index of a sockmap (egress, or its receive queue with BPF_F_INGRESS): SK_PASS, or SK_DROP when it cannot',
    (c) => {
      onlyFor(c, 'sk_skb', 'sk_redirect_map');
      const map = sockMap(c, SockMap, 'sk_redirect_map');
      return redirect(c, 'sk_redirect_map', map, u32KeyOf(c), c.argU32(3), false);
    }),
  helper(id('sk_redirect_hash'), N[id('sk_redirect_hash')], { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything'] },
    'sk_skb: redirects the data to the socket at a key of a sockhash: SK_PASS, or SK_DROP when it cannot',
    (c) => {
      onlyFor(c, 'sk_skb', 'sk_redirect_hash');
      const map = sockMap(c, SockHash, 'sk_redirect_hash');
      const key = hashKey(c, map);
      return redirect(c, 'sk_redirect_hash', map, key, keyText(key), false);
    }),
  helper(id('msg_redirect_map'), N[id('msg_redirect_map')], { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything', 'anything'] },
    'sk_msg: redirects the message to the socket at an index of a sockmap (egress needs TCP; BPF_F_INGRESS: its receive queue): SK_PASS, or SK_DROP',
    (c) => {
      onlyFor(c, 'sk_msg', 'msg_redirect_map');
      const map = sockMap(c, SockMap, 'msg_redirect_map');
      return redirect(c, 'msg_redirect_map', map, u32KeyOf(c), c.argU32(3), true);
    }),
  helper(id('msg_redirect_hash'), N[id('msg_redirect_hash')], { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything'] },
    'sk_msg: redirects the message to the socket at a key of a sockhash: SK_PASS, or SK_DROP',
    (c) => {
      onlyFor(c, 'sk_msg', 'msg_redirect_hash');
      const map = sockMap(c, SockHash, 'msg_redirect_hash');
      const key = hashKey(c, map);
      return redirect(c, 'msg_redirect_hash', map, key, keyText(key), true);
    }),
  helper(id('sock_map_update'), N[id('sock_map_update')], { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything'] },
    'sock_ops: adds the context\'s socket to a sockmap at an index (established and listen callbacks; -EOPNOTSUPP in others)',
    (c) => {
      onlyFor(c, 'sock_ops', 'sock_map_update');
      return sockOpsUpdate(c, sockMap(c, SockMap, 'sock_map_update'));
    }),
  helper(id('sock_hash_update'), N[id('sock_hash_update')], { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything'] },
    'sock_ops: adds the context\'s socket to a sockhash at a key (established and listen callbacks; -EOPNOTSUPP in others)',
    (c) => {
      onlyFor(c, 'sock_ops', 'sock_hash_update');
      return sockOpsUpdate(c, sockMap(c, SockHash, 'sock_hash_update'));
    }),
];
