// Locating the native layer (src/native/build.ts): a checkout uses native-hooks/build as `make -C native-hooks` left
// it; the prerequisites of a build are checked all at once, naming the Debian packages. (The build on first use of an
// installed package, its lock and its cache directory: test/package.test.ts.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotSupportedError } from '../src/errors.js';
import { LIVE_FILES, nativeLayer, prepareNative } from '../src/native/build.js';
import { checkPrerequisites } from '../src/native/prerequisites.js';
import { ROOT } from './helpers.js';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

describe('the native layer of a checkout', () => {
  it('is native-hooks/build, built by make', () => {
    expect(nativeLayer()).toEqual({ root: join(ROOT, 'native-hooks'), buildDir: join(ROOT, 'native-hooks', 'build'), checkout: true });
    expect(LIVE_FILES).toEqual(['libbpftime-agent.so', 'bpftime-inject', 'bpftime_shm.node', 'runtime-helpers.txt']);
  });

  it.skipIf(!HAS_NATIVE)(`is ready after the test setup's make${NATIVE_SKIP}`, async () => {
    const lines: string[] = [];
    expect(await prepareNative({ progress: (l) => lines.push(l) })).toMatchObject({ checkout: true });
    expect(lines).toEqual([]);
  });

  it('lists every missing prerequisite with its Debian package', () => {
    let e: unknown;
    try {
      checkPrerequisites({ ...process.env, CC: '/nonexistent/cc', BPFTIME_WASM2C: '/nonexistent/wasm2c', PATH: '/nonexistent' });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(NotSupportedError);
    expect((e as NotSupportedError).code).toBe('native-prerequisites');
    expect((e as Error).message).toMatch(/^the native layer cannot be built here: missing make, a C compiler \(\/nonexistent\/cc\), wasm2c(, Node's headers .*)?: install them \(Debian: apt-get install make gcc wabt( libnode-dev)?; NodeSource's nodejs package ships Node's headers itself\)$/);
  });
});
