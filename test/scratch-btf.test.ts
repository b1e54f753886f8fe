import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { parseBtf } from '../src/loader/btf/parse.js';
import { loadCollectionSpec } from '../src/loader/collection.js';
import { kernelVersionCode } from '../src/loader/data.js';
import { verifyForLoad } from '../src/runtime/verification.js';
import { ROOT } from './helpers.js';
import { buildTool } from './realworld-oracle.js';
import { buildExamples, compileC } from './toolchain.js';

it('scratch', () => {
  const vm = parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
  const ex = buildExamples();
  const objs: [string, string][] = [
    ['kfunc', join(ex, 'kfunc.bpf.o')],
    ['records', join(ex, 'records.bpf.o')],
    ['task-kfuncs', buildTool('task-kfuncs')],
    ['sections', compileC('repo-sections', readFileSync(join(ROOT, 'test/fixtures/loader/sections.bpf.c'), 'utf8'))],
    ['native', compileC('repo-native', readFileSync(join(ROOT, 'test/fixtures/native/native.bpf.c'), 'utf8'))],
  ];
  for (const [name, o] of objs) {
    const spec = loadCollectionSpec(new Uint8Array(readFileSync(o)), { targetBtf: vm, kernelVersion: kernelVersionCode(release()), config: { CONFIG_HZ: '250', CONFIG_BPF_SYSCALL: 'y' } });
    for (const m of spec.maps) if (m.maxEntries === 0) m.maxEntries = 1024;
    for (const p of spec.programs) {
      if (!['on_switch', 'handle_unlink', 'lookup', 'btf_wakeup', 'locked_count'].includes(p.name)) continue;
      const v = verifyForLoad(p, spec.maps, { targetBtf: vm, log: !!process.env.LOG });
      console.log(name, p.name, v.unverified ?? (v.result.ok ? `ok ${v.result.stats.insnsProcessed}` : v.result.error!.message));
      if (process.env.LOG && v.result && !v.result.ok) console.log(v.result.log!.slice(-30).join('\n'));
    }
  }
}, 600_000);
