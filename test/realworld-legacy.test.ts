// Objects in the map formats before libbpf's: iproute2's struct bpf_elf_map (tc, cilium) with ids, tc pinning,
// map-in-map by inner_id/inner_idx and tail-call sections, run with the type tc would give them (--type).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { withProgramType } from '../src/loader/program-type.js';
import { MAP_TYPES } from '../src/loader/spec.js';
import { Collection } from '../src/runtime/collection.js';
import { cli, ROOT } from './helpers.js';
import { CLANG_SKIP, compileC, HAS_CLANG } from './toolchain.js';

describe.skipIf(!HAS_CLANG)(`legacy map formats${CLANG_SKIP}`, () => {
  const object = () => compileC('tc-legacy', readFileSync(`${ROOT}/test/fixtures/realworld/tc-legacy.bpf.c`, 'utf8'));

  it("reads iproute2's bpf_elf_map: pinning as tc maps it, inner maps by id, tail-call sections into the program array", () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object())));
    const maps = Object.fromEntries(spec.maps.map((m) => [m.name, m]));
    // tc pins PIN_OBJECT_NS maps in a directory named by the SHA-1 of the object file.
    const sha1 = createHash('sha1').update(readFileSync(object())).digest('hex');
    expect([maps.counters.pinning, maps.counters.pinPath, maps.scratch.pinPath, maps.inner.pinning]).toEqual([1, 'tc/globals', `tc/${sha1}`, 0]);
    expect(MAP_TYPES[maps.outer.innerMap!.type]).toBe('array');
    expect(maps.outer.contents.map((e) => [e.key[0], e.value])).toEqual([[3, { map: 'inner' }]]);
    expect(maps.calls.contents.map((e) => [e.key[0], e.value])).toEqual([[2, { program: 'tail_target' }]]);
    expect(spec.programs.map((p) => [p.name, p.type])).toEqual([['tail_target', 'unspec'], ['entry', 'unspec']]);
  });

  it('runs with the type tc gives (--type sched_cls): the tail call reaches the program of section 1/2', () => {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object())));
    spec.programs = spec.programs.map((p) => withProgramType(p, 'sched_cls'));
    const c = new Collection(spec);
    const r = c.program('entry').run({ data: new Uint8Array(60) });
    expect(r.r0).toBe(7n); // TC_ACT_REDIRECT from tail_target
    expect(c.map('inner').lookup(new Uint8Array(4))).toEqual(new Uint8Array([60, 0, 0, 0]));
    const run = cli(['run', object(), '--prog', 'entry', '--type', 'sched_cls', '--mem', '00'.repeat(42)]);
    expect(run.stdout).toContain('entry (sched_cls): r0 = 0x7 (7)');
    expect(cli(['run', object(), '--prog', 'entry', '--type', 'tracing']).stderr).toContain('tracing programs need their attach type');
  });

  it("reads the Linux samples' bpf_load definitions: inner_map_idx names the template, numa_node applies with BPF_F_NUMA_NODE", () => {
    const source = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct bpf_load_map_def { unsigned int type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node; };
struct bpf_load_map_def SEC("maps") port_a = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 2 };
struct bpf_load_map_def SEC("maps") a_of_port_a = { .type = BPF_MAP_TYPE_ARRAY_OF_MAPS, .key_size = 4, .value_size = 4, .max_entries = 8, .inner_map_idx = 0 };
struct bpf_load_map_def SEC("maps") near = { .type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 4, .max_entries = 8, .map_flags = 4, .numa_node = 1 };
SEC("xdp1") int prog(struct xdp_md *ctx) { return bpf_map_lookup_elem(&a_of_port_a, &(int){0}) ? 1 : bpf_map_lookup_elem(&near, &(int){0}) ? 3 : 2; }
char _license[] SEC("license") = "GPL";`;
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(compileC('bpf-load', source))));
    const maps = Object.fromEntries(spec.maps.map((m) => [m.name, m]));
    expect([maps.a_of_port_a.innerMap?.type, maps.a_of_port_a.innerMap?.maxEntries, maps.near.numaNode]).toEqual([2, 2, 1]);
    const c = new Collection({ ...spec, programs: spec.programs.map((p) => withProgramType(p, 'xdp')) });
    expect(c.program('prog').run({ data: new Uint8Array(14) }).r0).toBe(2n);
  });
});

describe.skipIf(!HAS_CLANG)(`what objects say before they run${CLANG_SKIP}`, () => {
  it('prog show and map show name map types bpftime-vm lacks; an object without programs says so', () => {
    const obj = compileC('unsupported-map', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 4); } ports SEC(".maps");
SEC("xdp") int fwd(struct xdp_md *ctx) { return bpf_map_lookup_elem(&ports, &(int){0}) ? 1 : 2; }
char _license[] SEC("license") = "GPL";`);
    const show = JSON.parse(cli(['prog', 'show', obj, '--json']).stdout);
    expect(show[0].unsupported_maps).toEqual(['ports']);
    expect(cli(['prog', 'show', obj]).stdout).toContain('not loadable: map types not supported by bpftime-vm: ports (reuseport_sockarray)');
    expect(JSON.parse(cli(['map', 'show', obj, '--json']).stdout)[0]).toMatchObject({ name: 'ports', supported: false });
    const empty = compileC('no-programs', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, int); __type(value, int); __uint(max_entries, 1); } only SEC(".maps");`);
    for (const args of [['run', empty], ['prog', 'dump', empty]]) {
      const r = cli(args);
      expect([r.code, r.stderr.trim()]).toEqual([2, 'bpftime-vm: error: the object has no programs (no code in any section but .text)']);
    }
  });
});
