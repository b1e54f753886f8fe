/**
 * Helpers that run BPF code or guard it: bpf_loop and bpf_for_each_map_elem call a BPF callback through the backend
 * (`HelperCall.callFunction`); the spin lock helpers check their lock and do nothing else, since a program instance
 * runs on one thread at a time in the TypeScript runtime.
 */
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { ERR, helper, mapArg } from './common.js';
import type { HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
/** BPF_MAX_LOOPS is the kernel's limit on bpf_loop iterations. */
const BPF_MAX_LOOPS = 1 << 23;
/** The lock word of struct bpf_spin_lock. */
const SPIN_LOCK_SIZE = 4;

/** CONTROL_HELPERS are bpf_loop, bpf_for_each_map_elem and the spin lock helpers. */
export const CONTROL_HELPERS: HelperDef[] = [
  helper(id('loop'), N[id('loop')], { ret: 'integer', args: ['scalar', 'ptr_to_func', 'ptr_to_stack_or_null', 'scalar'], callback: 'loop' },
    'calls callback(i, ctx) for i = 0..nr_loops-1 until it returns 1; returns the number of iterations',
    (c) => {
      const n = c.arg(1);
      if (c.arg(4) !== 0n) return ERR.EINVAL;
      if (n > BigInt(BPF_MAX_LOOPS)) return ERR.E2BIG;
      const fn = c.arg(2);
      const ctx = c.arg(3);
      for (let i = 0n; i < n; i++) {
        if (c.callFunction(fn, [i, ctx]) === 1n) return i + 1n;
      }
      return n;
    }),
  helper(id('for_each_map_elem'), N[id('for_each_map_elem')], { ret: 'integer', args: ['const_map_ptr', 'ptr_to_func', 'ptr_to_stack_or_null', 'scalar'], callback: 'for_each_map_elem' },
    'calls callback(map, key, value, ctx) for each element until it returns 1; returns the number of elements visited',
    (c) => {
      const map = mapArg(c);
      if (c.arg(4) !== 0n) return ERR.EINVAL;
      const fn = c.arg(2);
      const ctx = c.arg(3);
      const handle = BigInt(map.handle);
      return map.forEachElem((key, value) => c.callFunction(fn, [handle, BigInt(key), BigInt(value), ctx]) === 0n);
    }),
  helper(id('spin_lock'), N[id('spin_lock')], { ret: 'void', args: ['ptr_to_spin_lock'] }, 'takes a bpf_spin_lock (checked; uncontended in the TypeScript runtime)',
    (c) => (c.mem.check(c.argNum(1), SPIN_LOCK_SIZE, true), 0)),
  helper(id('spin_unlock'), N[id('spin_unlock')], { ret: 'void', args: ['ptr_to_spin_lock'] }, 'releases a bpf_spin_lock',
    (c) => (c.mem.check(c.argNum(1), SPIN_LOCK_SIZE, true), 0)),
];
