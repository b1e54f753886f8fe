/**
 * bpf_fib_lookup for XDP and tc programs, answered from the declared network (src/helpers/packet/fib.ts): the params
 * struct is read from and written back to guest memory as the kernel does, in place.
 */
import { ExecError } from '../../errors.js';
import { fibLookup } from '../packet/fib.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, helper } from './common.js';
import { packetOf } from './packet-access.js';
import type { HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;

/** ROUTING_HELPERS is bpf_fib_lookup. */
export const ROUTING_HELPERS: HelperDef[] = [
  helper(id('fib_lookup'), N[id('fib_lookup')], { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size', 'anything'] },
    'looks the route of struct bpf_fib_lookup up in the declared routes and neighbours: 0 with the output device, MACs and MTU filled in, or a BPF_FIB_LKUP_RET_* code (no declared route: NOT_FWDED), or a negated errno',
    (c) => {
      const env = envOf(c);
      const type = env.program.type;
      if (type !== 'xdp' && type !== 'sched_cls' && type !== 'sched_act') throw new ExecError('bad-program-type', `bpf_fib_lookup is an XDP and tc helper, not available to programs of type ${type}`);
      if (!env.net) throw new ExecError('no-runtime', 'bpf_fib_lookup needs the declared network of a loaded collection');
      const size = c.argNum(3);
      const params = c.mem.bytes(c.argNum(2), size, true);
      return fibLookup(env.net, params, Number(BigInt.asUintN(32, c.arg(4))), { xdp: type === 'xdp', packetLength: type === 'xdp' ? 0 : packetOf(c, 'skb').length });
    }),
];
