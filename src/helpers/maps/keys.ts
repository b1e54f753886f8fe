/** Array-style keys: an index as a little-endian u32, the key format of arrays and fd arrays. */
import { ARRAY_KEY_SIZE } from './constants.js';

/** u32Key encodes an array index as a little-endian u32 key. */
export function u32Key(index: number): Uint8Array {
  const key = new Uint8Array(ARRAY_KEY_SIZE);
  new DataView(key.buffer).setUint32(0, index, true);
  return key;
}

/** readU32Key decodes a 4-byte little-endian key. */
export function readU32Key(key: Uint8Array): number {
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(0, true);
}
