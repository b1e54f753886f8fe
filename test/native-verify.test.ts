// The native control plane verifies before it loads (issue 9 point 6, issue 10): `load` and `trace` refuse a program
// the verifier rejects (exit code 3, the located rejection, no session, the command not started), `--verify warn`
// loads it with a warning, and an accepted program is compiled with the verifier's facts (no budget, no bounds checks
// on proved accesses).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { loadNative } from '../src/native/load.js';
import { removeSessions, runCli, uniqueSession } from './native-live-support.js';
import { CLANG_SKIP, compileC, HAS_CLANG, HAS_NATIVE, NATIVE_SKIP, scratch } from './toolchain.js';

/** A uprobe that dereferences a map lookup's result without a null check, on line 11. */
const UNCHECKED = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, __u32); __type(value, __u64); } hits SEC(".maps");

SEC("uprobe/libc.so.6:malloc")
int count_unchecked(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k);
	*v += 1;
	return 0;
}
`;

/** The same counter with its null check: accepted. */
const CHECKED = UNCHECKED.replace('count_unchecked', 'count').replace('\t*v += 1;', '\tif (v)\n\t\t*v += 1;');

describe.skipIf(!HAS_NATIVE || !HAS_CLANG)(`native load verifies${NATIVE_SKIP}${CLANG_SKIP}`, () => {
  afterAll(() => removeSessions());
  const segment = (name: string) => existsSync(join('/dev/shm', name));

  it('trace refuses a rejected program: exit code 3, the rejection located, the command never started', () => {
    const obj = compileC('unchecked', UNCHECKED);
    const marker = join(scratch(), 'started');
    const name = uniqueSession('rejected-trace');
    const r = runCli(['trace', '--session', name, obj, '--', 'touch', marker]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/^bpftime-vm: error: program "count_unchecked": pc \d+: (ldx|stx|atomic)\S*.*(null|NULL)/m);
    expect(r.stderr).toMatch(/^ {2}source: .*unchecked\.c:11: \*v \+= 1;$/m);
    expect(r.stderr).toMatch(/^ {2}r\d+ = map_value_or_null\(/m);
    expect(existsSync(marker)).toBe(false);
    expect(segment(name)).toBe(false);
  });

  it('load --json refuses it with the VerifierError as JSON (pc, instruction, source line, registers) and exit code 3', () => {
    const obj = compileC('unchecked', UNCHECKED);
    const name = uniqueSession('rejected-load');
    const r = runCli(['load', '--json', '--session', name, obj]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toBe('');
    const { error } = JSON.parse(r.stderr);
    expect(error).toMatchObject({ kind: 'VerifierError', program: 'count_unchecked', section: 'uprobe/libc.so.6:malloc', line: 11 });
    expect(error.pc).toBeGreaterThan(0);
    expect(error.insn).toMatch(/\[%r\d+/);
    expect(error.source).toMatch(/unchecked\.c:11: \*v \+= 1;$/);
    expect(Object.values(error.regs as Record<string, string>).some((v) => v.startsWith('map_value_or_null('))).toBe(true);
    expect(segment(name)).toBe(false);
  });

  it('trace --verify warn loads it anyway, with the warning, and the command runs', () => {
    const obj = compileC('unchecked', UNCHECKED);
    const marker = join(scratch(), 'started-warn');
    const r = runCli(['trace', '--verify', 'warn', '--session', uniqueSession('warned'), obj, '--', 'touch', marker]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: verifier: program "count_unchecked": pc \d+: /m);
    expect(existsSync(marker)).toBe(true);
  });

  it('an accepted program is compiled with the facts: no budget charges, proved accesses unchecked; off keeps every check', async () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(compileC('checked', CHECKED))));
    const cacheDir = join(scratch(), 'native-cache');
    for (const verify of ['strict', 'off'] as const) {
      const load = await loadNative(spec, `/${uniqueSession(`facts-${verify}`)}`, { cacheDir, verify });
      try {
        const [p] = load.programs;
        expect(p.verified).toBe(verify === 'strict');
        expect(p.compiled.manifest.metered).toBe(verify === 'off');
        // Verified, nothing in its code can end a run early: the agent runs it without the trap landing pad.
        expect(p.compiled.manifest.selfTraps).toBe(verify === 'off');
        if (verify === 'strict') expect(p.compiled.manifest.uncheckedAccesses).toBeGreaterThan(0);
        else {
          expect(p.unverified).toBe('verification is off (--verify off)');
          expect(p.compiled.manifest.uncheckedAccesses).toBe(0);
        }
      } finally {
        load.session.end();
        load.session.close();
      }
    }
  });
});
