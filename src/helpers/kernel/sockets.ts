/**
 * Socket and counter helpers that tracing and socket programs share: socket cookies (unique per socket, what tools
 * key connections by), the network namespace cookie, and reading counters from a perf event array
 * (bpf_perf_event_read, bpf_perf_event_read_value) with the kernel's errors.
 */
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, ERR, helper, mapArg } from './common.js';
import { ExecError } from '../../errors.js';
import { PerfEventArrayMap } from '../maps/perf-event-array.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
/** The size of struct bpf_perf_event_value { u64 counter, enabled, running; }. */
const PERF_VALUE_SIZE = 24;

function perfMap(c: HelperCall): PerfEventArrayMap {
  const map = mapArg(c);
  if (!(map instanceof PerfEventArrayMap)) throw new ExecError('bad-map', `map "${map.spec.name}" is not a perf event array`);
  return map;
}

/** SOCKET_HELPERS are the socket cookie, netns cookie and perf counter helpers. */
export const SOCKET_HELPERS: HelperDef[] = [
  helper(id('get_socket_cookie'), N[id('get_socket_cookie')], { ret: 'integer', args: ['ptr_to_ctx'] },
    "the cookie of the context's socket (or, in tracing programs, of the struct sock given): unique per socket, 0 for none",
    (c) => {
      const cookie = envOf(c).socketCookie;
      if (!cookie) throw new ExecError('no-runtime', 'socket cookies need the runtime of a loaded object');
      return cookie(c.arg(1));
    }),
  helper(id('get_netns_cookie'), N[id('get_netns_cookie')], { ret: 'integer', args: ['ptr_to_ctx'] },
    "the cookie of the network namespace of the context's socket (NULL: the initial namespace's); sockets live in the host's namespace",
    (c) => envOf(c).host.netnsCookie()),
  helper(id('perf_event_read'), N[id('perf_event_read')], { ret: 'integer', args: ['const_map_ptr', 'scalar'] },
    'the value of the counter at an index of a perf event array (BPF_F_CURRENT_CPU: this CPU\'s), or a negated errno',
    (c) => {
      const r = perfMap(c).readCounter(c.arg(2));
      return typeof r === 'number' ? r : r.counter;
    }),
  helper(id('perf_event_read_value'), N[id('perf_event_read_value')], { ret: 'integer', args: ['const_map_ptr', 'scalar', 'ptr_to_uninit_mem', 'const_size'] },
    'stores a counter with its enabled and running times (struct bpf_perf_event_value); zeroes the buffer and returns a negated errno on failure',
    (c) => {
      const buf = c.argNum(3);
      const out = c.mem.bytes(buf, c.argNum(4), true);
      out.fill(0);
      if (out.length !== PERF_VALUE_SIZE) return ERR.EINVAL;
      const r = perfMap(c).readCounter(c.arg(2));
      if (typeof r === 'number') return r;
      c.mem.dv.setBigUint64(buf, BigInt.asUintN(64, r.counter), true);
      c.mem.dv.setBigUint64(buf + 8, r.enabled, true);
      c.mem.dv.setBigUint64(buf + 16, r.running, true);
      return 0;
    }),
];
