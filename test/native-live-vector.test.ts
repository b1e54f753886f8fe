// The vector registers of a probed process survive a hit (docs/native.md, "Vector registers"): uprobe stubs do not
// save xmm0-15, because the agent, the runtime, the map code and the compiled programs use none, and every slow path
// that calls libc (formatting, traps) saves them first. test/fixtures/live/target.c's "vector" mode calls a
// function with a pattern in every xmm register and counts the calls after which any changed; the programs of
// test/fixtures/live/vector.bpf.c take the fast path (a map update), libc's formatting (bpf_printk on every call)
// and the trap path (a wild pointer at the first call).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { buildTarget, endOf, entries, runCli, targetOutput } from './native-live-support.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

const FIXTURES = join(ROOT, 'test/fixtures/live');
const N = 2000;

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`vector registers across probe hits${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  let target = '';
  let vector = '';
  beforeAll(() => {
    target = buildTarget('live-target', readFileSync(join(FIXTURES, 'target.c'), 'utf8'), ['-lpthread']);
    vector = compileC('vector', readFileSync(join(FIXTURES, 'vector.bpf.c'), 'utf8'));
  });

  it('a map update, bpf_printk and a trapping program leave every xmm register of the caller as it was', () => {
    // --verify off: the verifier refuses `bad`, whose trap is what this test needs (a wild pointer read).
    const r = runCli(['trace', '--json', '--verify', 'off', vector, '--', target, 'vector', String(N)]);
    expect(r.code, r.stderr).toBe(0);
    expect(targetOutput(r)[0]).toEqual({ calls: N, changed: 0 });
    const end = endOf(r);
    expect(Object.values(entries(end, 'hits')).map(Number)).toEqual([N]);
    expect(r.json.filter((l) => l.event === 'trace' && l.program === 'say' && l.text === 'vec_add 7')).toHaveLength(N);
    const bad = end.programs.find((p: any) => p.name === 'bad');
    expect(bad).toMatchObject({ enabled: false, fault: { kind: 'memory' } });
    const att = (name: string) => end.attachments.find((a: any) => a.program === name);
    expect([att('count').hits, att('say').hits, att('bad').hits, att('bad').missed]).toEqual([N, N, 1, N - 1]);
  });
});
