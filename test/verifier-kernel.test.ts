// The kernel as oracle for the verifier case table (root + bpf() only): every case the kernel can express is loaded
// with BPF_PROG_LOAD, and the kernel's verdict must be the case's `expect` and its log must contain the case's
// `kernel` message. The corpus is thereby proven against the real verifier, case by case. The messages are those of
// Linux 6.18 (the CI machine's); another kernel may word or decide some cases differently, and this test says so.
import { appendFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelMessages, loadCases } from './verifier-cases.js';
import { HAS_KERNEL_VERIFY, KERNEL_VERIFY_SKIP, kernelVerifyAll, type KernelVerdict } from './kernel-verify.js';

const cases = loadCases();
const expressible = cases.filter((c) => c.noKernel === undefined);
// KERNEL_ORACLE_DUMP=FILE writes one JSON line per case with the kernel's verdict and messages (for writing cases).
const dump = process.env.KERNEL_ORACLE_DUMP;
if (dump) writeFileSync(dump, '');
let agreed = 0;
let checked = 0;

describe.skipIf(!HAS_KERNEL_VERIFY)(`the kernel agrees with the verifier case table${KERNEL_VERIFY_SKIP}`, () => {
  const verdicts = new Map<string, KernelVerdict>();
  beforeAll(() => {
    kernelVerifyAll(expressible).forEach((v, i) => verdicts.set(expressible[i].name, v));
  });
  afterAll(() => {
    const rate = checked ? ((100 * agreed) / checked).toFixed(1) : '0';
    console.log(
      `kernel oracle (Linux ${release()}): ${agreed}/${checked} cases agree (${rate}%), ${cases.length - expressible.length} not expressible as kernel programs, ${cases.length} in the table`,
    );
  });

  it.each(expressible.map((c) => [`${c.group}: ${c.name}`, c] as const))('%s', (_, c) => {
    const v = verdicts.get(c.name)!;
    checked++;
    // The log holds the kernel's messages (log level 4, no trace; kernel-verify --log-level 1 shows the failing path).
    const attach = v.stage === 'attach' ? `\nattach failed: ${v.error}` : '';
    const messages = kernelMessages(v.log) + attach;
    if (dump) appendFileSync(dump, JSON.stringify({ case: c.name, expect: c.expect, want: c.kernel, kernel: v.accepted ? 'accept' : 'reject', found: c.kernel === undefined || (v.log + attach).includes(c.kernel), errno: v.errno, messages }) + '\n');
    expect(v.accepted ? 'accept' : 'reject', `${c.file}:${c.line}: kernel ${v.stage} errno ${v.errno}:\n${messages}`).toBe(c.expect);
    if (c.kernel !== undefined) expect(v.log + attach, `${c.file}:${c.line}: kernel message; messages:\n${messages}`).toContain(c.kernel);
    agreed++;
  });
});
