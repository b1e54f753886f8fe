// libbpf's conventions on one clang-built object: program types and attach targets from section names, several
// programs in a section, legacy and BTF-defined maps (flags, pinning, map-in-map with .values), global data with merged
// string literals, __kconfig externs and the version section; then the object runs with those maps.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LoadError, NotSupportedError } from '../src/errors.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { MAP_TYPES } from '../src/loader/spec.js';
import { Collection } from '../src/runtime/collection.js';
import { cli, ROOT, thrownAs } from './helpers.js';
import { CLANG_SKIP, compileC, HAS_CLANG } from './toolchain.js';

const CONFIG = { CONFIG_HZ: '250', CONFIG_BPF_SYSCALL: 'y' };
const KERNEL_6_8 = (6 << 16) + (8 << 8);

describe.skipIf(!HAS_CLANG)(`libbpf conventions in one object${CLANG_SKIP}`, () => {
  const object = () => compileC('sections', readFileSync(`${ROOT}/test/fixtures/loader/sections.bpf.c`, 'utf8'));
  const load = (config: Record<string, string> = CONFIG) =>
    loadCollectionSpec(new Uint8Array(readFileSync(object())), { config, kernelVersion: KERNEL_6_8 });

  it('derives program types and attach targets from section names', () => {
    const got = Object.fromEntries(load().programs.map((p) => [p.name, [p.type, p.attachType, p.sleepable, p.attach]]));
    expect(got).toMatchObject({
      probe_main: ['uprobe', 'uprobe', false, { attachable: true, binary: './bin/app', func: 'main', offset: 16 }],
      ret_malloc: ['uretprobe', 'uretprobe', false, { attachable: true, binary: '/usr/lib/libc.so.6', func: 'malloc' }],
      sleepy: ['uprobe', 'uprobe.s', true, { attachable: true, binary: './app', func: 'read_file' }],
      usdt_start: ['usdt', 'usdt', false, { attachable: true, binary: './app', provider: 'myprov', probe: 'start' }],
      tp_write: ['tracepoint', 'tracepoint', false, { attachable: true, category: 'syscalls', name: 'sys_enter_write' }],
      tp_sched: ['tracepoint', 'tp', false, { attachable: false, category: 'sched', name: 'sched_switch' }],
      raw_enter: ['raw_tracepoint', 'raw_tp', false, { attachable: true, name: 'sys_enter' }],
      btf_wakeup: ['tp_btf', 'tp_btf', false, { attachable: false, name: 'sched_wakeup' }],
      kp_open: ['kprobe', 'kprobe', false, { attachable: false, func: 'do_sys_open', reason: expect.stringContaining('not in userspace') }],
      krp_open: ['kretprobe', 'kretprobe', false, { attachable: false, func: 'do_sys_open' }],
      sock: ['socket_filter', 'socket', false, { attachable: false }],
      tc_prog: ['sched_cls', 'tc', false, { attachable: false }],
      on_sample: ['perf_event', 'perf_event', false, { attachable: false }],
      custom: ['unspec', 'my_custom_section', false, { attachable: false, reason: expect.stringContaining('no libbpf convention') }],
      first: ['syscall', 'syscall', false, {}],
      second: ['syscall', 'syscall', false, {}],
    });
  });

  it('reads legacy and BTF-defined maps, map-in-map templates and .values, data and kconfig sections', () => {
    const spec = load();
    expect([spec.license, spec.kernelVersion]).toEqual(['GPL', 0x060800]);
    const maps = Object.fromEntries(spec.maps.map((m) => [m.name, m]));
    const shape = (n: string) => [MAP_TYPES[maps[n].type], maps[n].keySize, maps[n].valueSize, maps[n].maxEntries, maps[n].flags];
    expect(shape('legacy_counts')).toEqual(['array', 4, 8, 4, 0]);
    expect(shape('pinned')).toEqual(['hash', 8, 4, 128, 1]);
    expect(maps.pinned.pinning).toBe(1);
    expect(shape('outer')).toEqual(['hash_of_maps', 4, 4, 4, 0]);
    expect(maps.outer.innerMap).toMatchObject({ type: 2, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(maps.outer.contents).toEqual([{ key: Uint8Array.of(1, 0, 0, 0), value: { map: 'inner_b' } }]);
    expect(maps['.data'].contents[0].value).toEqual(Uint8Array.of(7, 0, 0, 0));
    expect([maps['.kconfig'].readOnly, maps['.kconfig'].origin]).toEqual([true, 'kconfig']);
  });

  it('runs two programs of one section with string literals, legacy maps and kconfig values', () => {
    const c = new Collection(load());
    expect(c.program('first').run().r0).toBe(BigInt('e'.charCodeAt(0) + 7));
    expect(c.program('first').run().r0).toBe(BigInt('e'.charCodeAt(0) + 14));
    // 6 from LINUX_KERNEL_VERSION, HZ 250, BPF_SYSCALL y, the weak missing option 0.
    expect(c.program('second').run().r0).toBe(16250n);
  });

  it('shows kconfig values by name and map-in-map slots by inner map', () => {
    const obj = object();
    const cfg = `${obj}.config`;
    writeFileSync(cfg, 'CONFIG_HZ=300\n# CONFIG_BPF_SYSCALL is not set\n');
    const j = JSON.parse(cli(['run', obj, '--prog', 'second', '--kconfig', cfg, '--json']).stdout);
    expect(j.maps['.kconfig']).toMatchObject({ CONFIG_HZ: 300, CONFIG_BPF_SYSCALL: false, CONFIG_MISSING_OPTION: 0 });
    expect(j.maps.outer).toEqual([{ key: 1, value: { map: 'inner_b' } }]);
  });

  it('names an extern without a value and how to give one', () => {
    const e = thrownAs(LoadError, () => load({}));
    expect(e.message).toBe('resolve externs: extern (kconfig) CONFIG_HZ: value not found; give a kernel config (--kconfig FILE) or declare it __weak');
  });

  it('keeps the other programs usable when one calls a helper bpftime-vm lacks', () => {
    const source = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tc") int uses_skb(struct __sk_buff *skb) { struct bpf_xfrm_state x; return bpf_skb_get_xfrm_state(skb, 0, &x, sizeof(x), 0); }
SEC("syscall") int fine(void *ctx) { return 7; }
`;
    const obj = compileC('unsupported', source);
    const c = new Collection(loadCollectionSpec(new Uint8Array(readFileSync(obj))));
    expect(c.program('fine').run().r0).toBe(7n);
    const e = thrownAs(NotSupportedError, () => c.program('uses_skb'));
    expect(e.message).toMatch(/^program "uses_skb": pc \d+: call 66: helper bpf_skb_get_xfrm_state \(kernel helper 66\) is not supported by bpftime-vm$/);
    expect(e.location).toMatchObject({ program: 'uses_skb', section: 'tc' });
    const shown = JSON.parse(cli(['prog', 'show', obj, '--json']).stdout) as { name: string; unsupported_helpers: string[] }[];
    expect(shown.map((p) => [p.name, p.unsupported_helpers])).toEqual([['uses_skb', ['skb_get_xfrm_state']], ['fine', []]]);
  });
});
