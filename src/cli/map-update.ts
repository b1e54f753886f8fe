/**
 * `--map-update MAP[KEY]=VALUE`: what a program's user space writes into its maps before the first packet or event
 * (`bpf_map_update_elem`), e.g. a devmap's ports or a load balancer's backends. KEY and VALUE are integers stored
 * little-endian in the map's key and value sizes (as a C `__u32` key is), or raw bytes as `hex:0a000001...`.
 */
import { UsageError } from '../errors.js';
import { parseInteger } from '../loader/configure.js';
import type { Collection } from '../runtime/collection.js';

/** encode reads an integer or `hex:` bytes into exactly `size` bytes. */
function encode(text: string, size: number, what: string): Uint8Array {
  if (text.startsWith('hex:')) {
    const h = text.slice(4).replace(/\s/g, '');
    if (!/^([0-9a-f]{2})*$/i.test(h) || h.length / 2 !== size) throw new UsageError('bad-option', `${what}: "${text}" must be ${size} bytes of hex`);
    return Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
  }
  const v = parseInteger(text);
  if (v === undefined) throw new UsageError('bad-option', `${what}: "${text}" is neither an integer nor hex:BYTES`);
  const bits = BigInt(size * 8);
  if (size > 8 ? v < 0n : v < -(1n << (bits - 1n)) || v >= 1n << bits) throw new UsageError('bad-option', `${what}: ${text} does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  let u = BigInt.asUintN(Math.min(size, 8) * 8, v);
  for (let i = 0; i < Math.min(size, 8); i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
}

/** applyMapUpdates writes the `--map-update` elements into the collection's maps. */
export function applyMapUpdates(c: Collection, values: readonly string[] | undefined): void {
  for (const v of values ?? []) {
    const m = /^([^=[\]]+)\[([^\]]+)\]=(.+)$/.exec(v.trim());
    if (!m) throw new UsageError('bad-option', `--map-update expects MAP[KEY]=VALUE, got "${v}"`);
    const map = c.map(m[1]);
    const what = `--map-update ${v}`;
    try {
      map.update(encode(m[2], map.spec.keySize, `${what}: key`), encode(m[3], map.spec.valueSize, `${what}: value`));
    } catch (e) {
      if (e instanceof UsageError || !(e instanceof Error)) throw e;
      throw new UsageError('bad-option', `${what}: ${e.message}`, {}, { cause: e });
    }
  }
}
