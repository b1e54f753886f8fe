// The real kernel as oracle (root + bpf() only): libbpf, through `bpftool prog loadall`, loads each example into the
// kernel, and the maps it creates must agree with our CollectionSpec on type, key and value sizes, entries and flags.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withLibbpfDefaults } from '../src/helpers/maps/validate.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { parseBtf } from '../src/loader/btf/parse.js';
import { MAP_TYPES } from '../src/loader/spec.js';
import { buildExamples, CLANG_SKIP, HAS_CLANG, HAS_KERNEL, KERNEL_SKIP } from './toolchain.js';

interface KernelMap {
  id: number;
  name: string;
  type: string;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
  flags: number;
}

const bpftool = (...args: string[]): string => execFileSync('bpftool', args, { encoding: 'utf8' });
const kernelMaps = (): KernelMap[] => JSON.parse(bpftool('map', 'list', '-j'));

/** possibleCpus counts the CPUs in /sys/devices/system/cpu/possible, as libbpf does for perf event arrays. */
function possibleCpus(): number {
  return readFileSync('/sys/devices/system/cpu/possible', 'utf8')
    .trim()
    .split(',')
    .reduce((n, r) => {
      const [a, b] = r.split('-').map(Number);
      return n + (b === undefined ? 1 : b - a + 1);
    }, 0);
}

function ensureBpffs(): void {
  const mounted = readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/fs/bpf');
  if (!mounted) execFileSync('mount', ['-t', 'bpf', 'bpf', '/sys/fs/bpf']);
}

describe.skipIf(!HAS_KERNEL || !HAS_CLANG)(`maps agree with the kernel's${KERNEL_SKIP || CLANG_SKIP}`, () => {
  it.each(['counter', 'events', 'tailcall', 'core', 'opensnoop', 'execsnoop', 'kfunc'])('%s.bpf.o', (name) => {
    const object = join(buildExamples(), `${name}.bpf.o`);
    const target = parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(object)), { targetBtf: target });
    ensureBpffs();
    const pin = `/sys/fs/bpf/bpftime-vm-test-${process.pid}-${name}`;
    const before = new Set(kernelMaps().map((m) => m.id));
    try {
      // Pin the maps too: a map no program references is freed as soon as bpftool exits.
      bpftool('prog', 'loadall', object, pin, 'pinmaps', `${pin}-maps`);
      const created = kernelMaps().filter((m) => !before.has(m.id));
      for (const m of spec.maps) {
        const want = withLibbpfDefaults(m, possibleCpus());
        const got = created.find((k) => (m.name.startsWith('.') ? k.name.endsWith(m.name.slice(0, 15)) : k.name === m.name.slice(0, 15)));
        expect(got, `kernel map for ${m.name} among ${created.map((k) => k.name).join(', ')}`).toBeDefined();
        expect({ name: m.name, type: got!.type, key: got!.bytes_key, value: got!.bytes_value, entries: got!.max_entries, flags: got!.flags }).toEqual({
          name: m.name,
          type: MAP_TYPES[want.type],
          key: want.keySize,
          value: want.valueSize,
          entries: want.maxEntries,
          flags: want.flags,
        });
      }
    } finally {
      rmSync(pin, { recursive: true, force: true });
      rmSync(`${pin}-maps`, { recursive: true, force: true });
    }
  });
});
