// CO-RE end to end: a program compiled against one struct layout runs against a target BTF with another layout
// (fields moved, one renamed away) and reads the right bytes; the relocation that cannot be resolved poisons its
// instruction, and executing it is a typed error naming the program, the instruction and the field path.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExecError, VerifierError } from '../src/errors.js';
import { parseBtf } from '../src/loader/btf/parse.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { parseElf } from '../src/loader/elf.js';
import { Collection } from '../src/runtime/collection.js';
import { cli, thrownAs } from './helpers.js';
import { CLANG_SKIP, compileC, HAS_CLANG } from './toolchain.js';

const LOCAL = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
char LICENSE[] SEC("license") = "GPL";
struct sample { int a; int b; char tag; } __attribute__((preserve_access_index));
SEC("syscall") int read_fields(struct sample *s) { return s->a * 100 + s->b; }
SEC("syscall") int read_tag(struct sample *s) { return s->tag; }
SEC("syscall") int has_tag(struct sample *s) { return bpf_core_field_exists(s->tag); }
`;

// The target moves a and b behind a new 8-byte field and a short, and has no tag.
const TARGET = `
struct sample { long pad; int b; short x; int a; };
struct sample target_instance;
`;

/** targetCtx lays out a and b where the target struct has them (b at 8, a at 16, 24 bytes). */
function targetCtx(a: number, b: number): Uint8Array {
  const bytes = new Uint8Array(24);
  const dv = new DataView(bytes.buffer);
  dv.setInt32(8, b, true);
  dv.setInt32(16, a, true);
  return bytes;
}

describe.skipIf(!HAS_CLANG)(`CO-RE with a different target layout${CLANG_SKIP}`, () => {
  const local = () => new Uint8Array(readFileSync(compileC('core_local', LOCAL)));
  const target = () => {
    const elf = parseElf(new Uint8Array(readFileSync(compileC('core_target', TARGET))));
    return parseBtf(elf.sections.find((s) => s.name === '.BTF')!.data);
  };

  it('reads moved fields at the target offsets', () => {
    const spec = loadCollectionSpec(local(), { targetBtf: target() });
    const relos = spec.programs.find((p) => p.name === 'read_fields')!.coreRelocations;
    const found = relos.map((r) => [r.kind, r.access.split(' -> ')[0], r.value, r.found]);
    expect(found.sort((x, y) => String(x[1]).localeCompare(String(y[1])))).toEqual([
      ['byte_off', 'struct sample.a', 16n, true],
      ['byte_off', 'struct sample.b', 8n, true],
    ]);
    const c = new Collection(spec);
    expect(c.program('read_fields').run({ ctx: targetCtx(7, 5) }).r0).toBe(705n);
    expect(c.program('has_tag').run({ ctx: targetCtx(0, 0) }).r0).toBe(0n);
  });

  it('fails a read of a field the target lacks with the program, instruction and field path', () => {
    const spec = loadCollectionSpec(local(), { targetBtf: target() });
    const failed = spec.programs.find((p) => p.name === 'read_tag')!.coreRelocations.filter((r) => !r.found);
    expect(failed).toEqual([expect.objectContaining({ kind: 'byte_off', access: 'struct sample.tag', found: false })]);
    // The verifier refuses the program, as the kernel's does, naming the relocation.
    const v = thrownAs(VerifierError, () => new Collection(spec).program('read_tag'));
    expect(v.code).toBe('core-poisoned');
    expect(v.message).toContain('CO-RE relocation byte_off of struct sample.tag failed');
    // Unverified, the poisoned call reaches the runtime, which reports the same relocation where it runs.
    const c = new Collection(spec, { verify: 'off' });
    const e = thrownAs(ExecError, () => c.program('read_tag').run({ ctx: targetCtx(1, 2) }));
    expect(e.code).toBe('core-relocation');
    expect(e.location).toMatchObject({ program: 'read_tag', pc: failed[0].pc });
    expect(e.message).toMatch(/^program "read_tag": pc \d+: call 195896080: CO-RE relocation byte_off of struct sample\.tag failed: /);
  });

  it('takes the target BTF from --btf on the command line', () => {
    const localObj = compileC('core_local', LOCAL);
    const targetObj = compileC('core_target', TARGET);
    const ctx = Buffer.from(targetCtx(3, 4)).toString('hex');
    const r = cli(['run', localObj, '--prog', 'read_fields', '--btf', targetObj, '--ctx', ctx, '--json']);
    expect(JSON.parse(r.stdout).r0).toBe('0x130');
    const bad = cli(['run', localObj, '--prog', 'read_tag', '--btf', targetObj, '--ctx', ctx]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('CO-RE relocation byte_off of struct sample.tag failed');
    expect(cli(['prog', 'show', localObj, '--btf', targetObj]).stdout).toContain('CO-RE relocations 1, 1 failed');
  });
});
