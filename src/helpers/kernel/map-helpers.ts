/**
 * The generic map helpers: lookup, update, delete, push, pop, peek and per-CPU lookup, each a call into the live map
 * the program's handle names (src/helpers/maps). A sockmap or sockhash lookup returns a socket the program holds until
 * bpf_sk_release, as the kernel's verifier types it (PTR_TO_SOCKET_OR_NULL, acquired). Special map kinds (ring buffer, perf events, program arrays, stack
 * traces) have their helpers next to this file.
 */
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { acquire, envOf, helper, mapArg } from './common.js';
import { SockMapBase } from '../maps/sock-maps.js';
import type { HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;

/** MAP_HELPERS are the helpers every map type answers (or rejects with -EINVAL). */
export const MAP_HELPERS: HelperDef[] = [
  helper(id('map_lookup_elem'), N[id('map_lookup_elem')], { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_map_key'] },
    'address of the value for key, or NULL (sockmap, sockhash: a struct bpf_sock reference to release with bpf_sk_release)',
    (c) => {
      const map = mapArg(c);
      const r = map.lookupElem(c.argNum(2));
      return map instanceof SockMapBase ? acquire(envOf(c), r, 'bpf_map_lookup_elem') : r;
    }),
  helper(id('map_update_elem'), N[id('map_update_elem')], { ret: 'integer', args: ['const_map_ptr', 'ptr_to_map_key', 'ptr_to_map_value', 'scalar'] },
    'creates or updates an element (BPF_ANY, BPF_NOEXIST, BPF_EXIST)', (c) => mapArg(c).updateElem(c.argNum(2), c.argNum(3), c.argU32(4))),
  helper(id('map_delete_elem'), N[id('map_delete_elem')], { ret: 'integer', args: ['const_map_ptr', 'ptr_to_map_key'] },
    'deletes an element', (c) => mapArg(c).deleteElem(c.argNum(2))),
  helper(id('map_push_elem'), N[id('map_push_elem')], { ret: 'integer', args: ['const_map_ptr', 'ptr_to_map_value', 'scalar'] },
    'pushes onto a queue, stack or bloom filter', (c) => mapArg(c).pushElem(c.argNum(2), c.argU32(3))),
  helper(id('map_pop_elem'), N[id('map_pop_elem')], { ret: 'integer', args: ['const_map_ptr', 'ptr_to_uninit_mem'] },
    'pops from a queue or stack', (c) => mapArg(c).popElem(c.argNum(2))),
  helper(id('map_peek_elem'), N[id('map_peek_elem')], { ret: 'integer', args: ['const_map_ptr', 'ptr_to_uninit_mem'] },
    'peeks at a queue or stack, or tests a bloom filter', (c) => mapArg(c).peekElem(c.argNum(2))),
  helper(id('map_lookup_percpu_elem'), N[id('map_lookup_percpu_elem')], { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_map_key', 'scalar'] },
    'address of a given CPU\'s value in a per-CPU map, or NULL', (c) => mapArg(c).lookupPercpuElem(c.argNum(2), c.argU32(3))),
];
