/**
 * Arguments of the native runtime's test runner (native-hooks/tests/runtime/runner.c) built from a collection, without
 * test-framework imports so that the benchmark (bench/native.ts) uses them too.
 */
import type { CollectionSpec } from '../src/loader/spec.js';

/** BPF_F_RDONLY_PROG marks a map programs may only read (frozen .rodata). */
const BPF_F_RDONLY_PROG = 1 << 7;

/** mapsArg describes a collection's maps for the runner's --maps (runner-maps.c): the segment gets the same maps. */
export function mapsArg(spec: CollectionSpec): string {
  return spec.maps.map((m) => {
    const init = m.contents.find((e) => e.value instanceof Uint8Array && e.key.every((b) => b === 0));
    const initHex = init ? Buffer.from(init.value as Uint8Array).toString('hex') : '';
    return [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags | (m.readOnly ? BPF_F_RDONLY_PROG : 0), initHex].join(',');
  }).join(';');
}

