// The examples do what their headers and the README say.
import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

describe('examples', () => {
  it('fib.asm computes fib(90)', () => {
    expect(cli(['run', 'examples/fib.asm'])).toMatchObject({ code: 0, stdout: 'r0 = 0x27f80ddaa1ba7878 (2880067194370816120)\n' });
  });

  it('ipv4-checksum.asm accepts the sample header and rejects a corrupted or short one', () => {
    expect(cli(['run', 'examples/ipv4-checksum.asm', '--mem', 'examples/ipv4-header.bin']).stdout).toBe('r0 = 0x1 (1)\n');
    const corrupted = '45 00 00 73 00 00 40 00 40 11 b8 62 c0 a8 00 01 c0 a8 00 c7';
    expect(cli(['run', 'examples/ipv4-checksum.asm', '--mem', corrupted]).stdout).toBe('r0 = 0x0 (0)\n');
    expect(cli(['run', 'examples/ipv4-checksum.asm', '--mem', '45 00']).stdout).toBe('r0 = 0x2 (2)\n');
  });
});
