// The shm component's C tests (native-hooks/tests/shm): segment management, map semantics per type and the
// concurrency stress (4 processes x 8 threads on hash, percpu_hash, ring buffer, churned hash and LRU maps), built
// with ASan/UBSan, and the stress again under TSan in one process (`make test-shm`).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const run = promisify(execFile);

describe.skipIf(!HAS_NATIVE)(`shm C tests under sanitizers${NATIVE_SKIP}`, () => {
  it('pass: segment, maps, and the stress with exact counts and records (ASan/UBSan, TSan)', async () => {
    const { stdout } = await run('make', ['-s', '-j2', '-C', join(ROOT, 'native-hooks'), 'test-shm'], { maxBuffer: 16 << 20 });
    const lines = stdout.split('\n').filter((l) => /^test_\w+: ok/.test(l));
    expect(lines[0]).toBe('test_segment: ok');
    expect(lines[1]).toBe('test_maps: ok');
    expect(lines[2]).toMatch(/^test_stress: ok: 4 processes x 8 threads x \d+ iterations: \d+ counts, \d+ ring records exact$/);
    expect(lines[3]).toMatch(/^test_stress: ok: 1 processes x 8 threads x \d+ iterations/);
  }, 600_000);
});
