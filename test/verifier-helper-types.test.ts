// Which helpers each program type may call (src/verifier/helper-types.ts), against the running kernel: for every
// helper of the kernel table and every program type the oracle can load, a program that only calls the helper is
// loaded as root; the kernel refuses it with "cannot use helper" exactly when our table says the type may not call it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kernelHelpers } from '../src/helpers/kernel/index.js';
import { encodeProgram } from '../src/isa/index.js';
import { assemble } from '../src/isa/assembler.js';
import { PROBED_TYPES, helperAllowed } from '../src/verifier/helper-types.js';
import { HAS_KERNEL_VERIFY, KERNEL_VERIFY_SKIP, buildKernelVerify } from './kernel-verify.js';
import { scratch } from './toolchain.js';

/** Helpers the table leaves open: their availability depends on the kernel's configuration, or bpftime-vm extends it. */
const NOT_JUDGED: Record<string, string> = {
  probe_write_user: 'withheld under kernel lockdown (LOCKDOWN_BPF_WRITE_USER) whatever the type',
  override_return: 'needs CONFIG_BPF_KPROBE_OVERRIDE; bpftime-vm overrides user functions from uprobes',
  get_func_arg: 'the kernel gives it to fentry/fexit only; bpftime-vm to uprobes and tracepoints too',
  get_func_ret: 'the kernel gives it to fexit only; bpftime-vm to uretprobes too',
  get_func_arg_cnt: 'the kernel gives it to fentry/fexit only; bpftime-vm to uprobes and tracepoints too',
};

describe.skipIf(!HAS_KERNEL_VERIFY)(`helpers by program type agree with the kernel${KERNEL_VERIFY_SKIP}`, () => {
  it('every helper of the kernel table on every program type the oracle loads', () => {
    const dir = mkdtempSync(join(scratch(), 'helper-types-'));
    const helpers = kernelHelpers().list().filter((h) => !NOT_JUDGED[h.name]);
    const keys: [string, string][] = [];
    const lines: string[] = [];
    for (const h of helpers) {
      const file = join(dir, `${h.id}.bin`);
      writeFileSync(file, encodeProgram(assemble(`call ${h.id}\nmov %r0, 0\nexit\n`)));
      for (const t of PROBED_TYPES) {
        lines.push(['--type', t, '--priv', 'full', '--license', 'GPL', '--log-level', '4', file].join('\t'));
        keys.push([h.name, t]);
      }
    }
    const r = spawnSync(buildKernelVerify(), ['--batch'], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 30 });
    const out = r.stdout.split('\n').filter((l) => l !== '');
    expect(out.length, r.stderr).toBe(lines.length);
    const wrong: string[] = [];
    out.forEach((l, i) => {
      const [helper, type] = keys[i];
      const kernel = !/cannot use helper/.test((JSON.parse(l) as { log: string }).log);
      if (kernel !== helperAllowed(type, helper)) wrong.push(`${type} ${helper}: kernel ${kernel ? 'allows' : 'refuses'}, table ${kernel ? 'refuses' : 'allows'}`);
    });
    expect(wrong).toEqual([]);
  });
});
