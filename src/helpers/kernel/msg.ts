/**
 * The sk_msg helpers (net/core/filter.c): bpf_msg_apply_bytes and bpf_msg_cork_bytes record how much of the stream the
 * verdict covers and how much to hold back (the run's `actions.msg`); bpf_msg_pull_data, bpf_msg_push_data and
 * bpf_msg_pop_data change the message and what data..data_end shows (src/helpers/packet/msg.ts).
 */
import { ExecError } from '../../errors.js';
import type { SkMsg } from '../packet/msg.js';
import type { MsgActions } from '../packet/net.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, helper } from './common.js';
import type { HelperCall, HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;

function msgOf(c: HelperCall, name: string): SkMsg {
  const env = envOf(c);
  if (env.program.type !== 'sk_msg' || !env.msg) throw new ExecError('bad-program-type', `bpf_${name} is an sk_msg helper, not available to programs of type ${env.program.type}`);
  return env.msg;
}

function record(c: HelperCall, name: string, field: keyof MsgActions): number {
  msgOf(c, name);
  const actions = envOf(c).actions!;
  (actions.msg ??= {})[field] = c.argU32(2);
  return 0;
}

const ARGS4 = ['ptr_to_ctx', 'anything', 'anything', 'anything'] as const;

/** MSG_HELPERS are the sk_msg helpers. */
export const MSG_HELPERS: HelperDef[] = [
  helper(id('msg_apply_bytes'), N[id('msg_apply_bytes')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'sk_msg: the verdict applies to the next N bytes (0: to each message); recorded',
    (c) => record(c, 'msg_apply_bytes', 'applyBytes')),
  helper(id('msg_cork_bytes'), N[id('msg_cork_bytes')], { ret: 'integer', args: ['ptr_to_ctx', 'anything'] },
    'sk_msg: run the program again only once N bytes are queued; recorded',
    (c) => record(c, 'msg_cork_bytes', 'corkBytes')),
  helper(id('msg_pull_data'), N[id('msg_pull_data')], { ret: 'integer', args: [...ARGS4] },
    'sk_msg: makes bytes start..end readable at data..data_end (merging elements); -EINVAL for flags, an empty or out-of-message range',
    (c) => msgOf(c, 'msg_pull_data').pull(c.argU32(2), c.argU32(3), c.arg(4))),
  helper(id('msg_push_data'), N[id('msg_push_data')], { ret: 'integer', args: [...ARGS4] },
    'sk_msg: inserts len bytes (zero here) at start; data..data_end then show the first element; -EINVAL for flags or a start past the end',
    (c) => msgOf(c, 'msg_push_data').push(c.argU32(2), c.argU32(3), c.arg(4))),
  helper(id('msg_pop_data'), N[id('msg_pop_data')], { ret: 'integer', args: [...ARGS4] },
    'sk_msg: removes len bytes at start; -EINVAL for flags or a range past the end',
    (c) => msgOf(c, 'msg_pop_data').pop(c.argU32(2), c.argU32(3), c.arg(4))),
];
