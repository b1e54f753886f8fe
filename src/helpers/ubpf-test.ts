/**
 * The test helpers that uBPF registers for its conformance plugin and its `.data` tests, with the same ids and
 * semantics, so conformance-style programs (`call 5`, `call %r2`) behave as the official runner expects. These ids
 * collide with the kernel's (5 is `bpf_ktime_get_ns` there), which is why helper sets are chosen per program kind.
 */
import { HelperSet, type HelperDef } from './registry.js';

const u8 = (v: bigint): bigint => v & 0xffn;

const defs: HelperDef[] = [
  {
    id: 0,
    name: 'gather_bytes',
    doc: 'returns (a << 32) | (b << 24) | (c << 16) | (d << 8) | e of the low bytes of its five arguments',
    proto: { ret: 'integer', args: ['scalar', 'scalar', 'scalar', 'scalar', 'scalar'] },
    impl: (c) =>
      (u8(c.arg(1)) << 32n) | (u8(c.arg(2)) << 24n) | (u8(c.arg(3)) << 16n) | (u8(c.arg(4)) << 8n) | u8(c.arg(5)),
  },
  {
    id: 1,
    name: 'memfrob',
    doc: 'XORs each of the r2 bytes at r1 with 42',
    proto: { ret: 'void', args: ['ptr_to_mem', 'const_size'] },
    impl: (c) => {
      const bytes = c.mem.bytes(c.argNum(1), c.argNum(2), true);
      for (let i = 0; i < bytes.length; i++) bytes[i] ^= 42;
      return undefined;
    },
  },
  {
    id: 2,
    name: 'no_op',
    doc: 'does nothing and returns 0',
    proto: { ret: 'integer', args: [] },
    impl: () => 0,
  },
  {
    id: 3,
    name: 'sqrti',
    doc: 'returns the integer square root of the low 32 bits of r1',
    proto: { ret: 'integer', args: ['scalar'] },
    impl: (c) => Math.floor(Math.sqrt(c.argU32(1))),
  },
  {
    id: 4,
    name: 'strcmp_ext',
    doc: 'compares the NUL-terminated strings at r1 and r2 like strcmp',
    proto: { ret: 'integer', args: ['ptr_to_cstring', 'ptr_to_cstring'] },
    impl: (c) => {
      const a = c.mem.cString(c.argNum(1));
      const b = c.mem.cString(c.argNum(2));
      for (let i = 0; ; i++) {
        const x = i < a.length ? a.charCodeAt(i) : 0;
        const y = i < b.length ? b.charCodeAt(i) : 0;
        if (x !== y || x === 0) return x - y;
      }
    },
  },
  {
    id: 5,
    name: 'unwind',
    doc: 'returns r1; when r1 is 0 the program ends at once with r0 = 0',
    proto: { ret: 'integer', args: ['scalar'] },
    impl: (c) => {
      const v = c.arg(1);
      if (v === 0n) c.exit(0n);
      return v;
    },
  },
];

/** ubpfTestHelpers returns a fresh copy of the uBPF test helper set. */
export function ubpfTestHelpers(): HelperSet {
  return new HelperSet('ubpf-test', defs);
}
