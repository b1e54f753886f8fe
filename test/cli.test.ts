// The command line as a user runs it: outputs, JSON, errors on stderr and exit codes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { cli, CONFORMANCE_DIR, conformanceAvailable, ROOT } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpftime-vm-cli-'));
const file = (name: string, body: string | Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, body);
  return p;
};

describe('bpftime-vm', () => {
  it('prints help listing every command, and the version matching package.json', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['run', 'disasm', 'asm', 'conformance']) expect(help.stdout).toContain(`  ${c} `);
    expect(cli(['--version']).stdout.trim()).toBe(`bpftime-vm ${VERSION}`);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version).toBe(VERSION);
    expect(cli(['run', '--help']).stdout).toContain('--mem FILE|HEX');
  });

  it('fails with a usage error for unknown commands and options', () => {
    expect(cli(['frob'])).toMatchObject({ code: 2 });
    const r = cli(['run', 'x.asm', '--frob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bpftime-vm: error: unknown option --frob for "run"\n');
    expect(cli(['run']).code).toBe(2);
    expect(cli(['run', 'x.asm', '--budget', 'lots']).stderr).toContain('--budget expects a non-negative integer');
  });

  it('runs assembly with memory and prints r0', () => {
    const p = file('sum.asm', 'mov %r0, 0\njlt %r2, 2, +3\nldxb %r0, [%r1]\nldxb %r3, [%r1+1]\nadd %r0, %r3\nexit\n');
    expect(cli(['run', p, '--mem', '05 07'])).toMatchObject({ code: 0, stdout: 'r0 = 0xc (12)\n' });
    const j = JSON.parse(cli(['run', p, '--mem', '0507', '--json']).stdout);
    expect(j).toMatchObject({ r0: '0xc', r0_signed: '12', steps: 6, backend: 'interp', format: 'asm' });
  });

  it('verifies before running: strict refuses an unchecked input read (exit 1), warn runs it with a warning', () => {
    const p = file('unchecked.asm', 'ldxb %r0, [%r1]\nexit\n');
    const strict = cli(['run', p, '--mem', '05']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('pc 0: ldxb %r0, [%r1]: read of 1 bytes at packet offset 0 may be beyond the packet end');
    const warn = cli(['run', p, '--mem', '05', '--verify', 'warn']);
    expect(warn).toMatchObject({ code: 0, stdout: 'r0 = 0x5 (5)\n' });
    expect(warn.stderr).toContain('warning: verifier: pc 0');
    const v = cli(['verify', p, '-j']);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).programs[0]).toMatchObject({ verdict: 'rejected', error: { code: 'packet-bounds', pc: 0, regs: { r1: 'pkt(id=1,r=0)' } } });
    expect(cli(['verify', file('ok.asm', 'mov %r0, 0\nexit\n')]).code).toBe(0);
    expect(cli(['verify', file('bad.bin', Uint8Array.from([0x95, 0, 0]))]).code).toBe(3);
  });

  it('verifies raw programs against the helper set of their type, and objects, loading those on demand', () => {
    // Helper 7 (get_prandom_u32) is a kernel helper: a typed program may call it, a raw one has the uBPF test helpers.
    const p = file('prandom.asm', 'call 7\nexit\n');
    expect(cli(['verify', p, '--type', 'socket_filter'])).toMatchObject({ code: 0 });
    const raw = cli(['verify', p, '-j']);
    expect(raw.code).toBe(1);
    expect(JSON.parse(raw.stdout).programs[0].error.code).toBe('unknown-helper');
    const elf = cli(['verify', 'examples/counter.bpf.o', '-j']);
    expect(elf.code).toBe(0);
    expect(JSON.parse(elf.stdout).programs.every((x: { verdict: string }) => x.verdict === 'accepted')).toBe(true);
  });

  it('traces every instruction with the registers and memory it changed', () => {
    const p = file('trace.asm', 'mov %r1, 3\nstxdw [%r10-8], %r1\nmov %r0, %r1\nexit\n');
    const r = cli(['run', p, '--trace']);
    expect(r.stdout.split('\n')).toEqual([
      '     0: mov %r1, 3                           r1 = 0x3',
      '     1: stxdw [%r10-8], %r1                  [0x2ff8] = 0x3',
      '     2: mov %r0, %r1                         r0 = 0x3',
      '     3: exit',
      'r0 = 0x3 (3)',
      '',
    ]);
    const j = JSON.parse(cli(['run', p, '--trace', '-j']).stdout);
    expect(j.trace[1]).toEqual({ pc: 1, insn: 'stxdw [%r10-8], %r1', depth: 0, regs: {}, store: { address: '0x2ff8', size: 8, value: '0x3' } });
  });

  it('reports faults on stderr with the pc and exit code 1, as JSON with -j', () => {
    const p = file('null.asm', 'ldxw %r0, [%r1+8]\nexit\n');
    const r = cli(['run', p, '--verify', 'off']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bpftime-vm: error: pc 0: ldxw %r0, [%r1+8]: null pointer dereference: read of 4 bytes at 0x8\n');
    const j = cli(['run', p, '-j', '--verify', 'off']);
    expect(JSON.parse(j.stderr)).toEqual({
      error: { kind: 'ExecError', code: 'null-dereference', message: expect.stringContaining('null pointer'), pc: 0, insn: 'ldxw %r0, [%r1+8]', address: '0x8' },
    });
  });

  it('stops a program that never ends at the budget, naming the budget and the pc', () => {
    const p = file('forever.asm', 'mov %r0, 0\nadd %r0, 1\nja -2\n');
    const r = cli(['run', p, '--budget', '500', '--verify', 'off']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pc 2: ja -2: instruction budget of 500 exhausted');
    expect(r.stderr).toContain('--budget');
  });

  it('reports bad input with the file and line, exit code 3', () => {
    const p = file('bad.asm', 'mov %r0, 1\nmov %r0, %r99\n');
    expect(cli(['run', p])).toMatchObject({ code: 3, stderr: `bpftime-vm: error: ${p}: line 2: invalid register "%r99"\n` });
    expect(cli(['run', join(tmp, 'missing.asm')]).stderr).toContain('no such file');
    expect(cli(['run', file('odd.bin', Uint8Array.from([0x95, 0, 0]))]).stderr).toContain('not a multiple of 8');
  });

  it('assembles to raw bytecode and disassembles it back', () => {
    const src = file('prog.asm', 'lddw %r0, 0x1122334455667788\njeq %r0, 0, +1\nexit\nexit\n');
    const bin = join(tmp, 'prog.bin');
    expect(cli(['asm', src, '-o', bin]).code).toBe(0);
    expect(readFileSync(bin).length).toBe(40);
    expect(cli(['disasm', bin, '--asm']).stdout).toBe('lddw %r0, 0x1122334455667788\njeq %r0, 0, +1\nexit\nexit\n');
    expect(cli(['disasm', bin]).stdout).toBe(
      '       0:\t18 00 00 00 88 77 66 55\tlddw %r0, 0x1122334455667788\n' +
        '         \t00 00 00 00 44 33 22 11\n' +
        '       2:\t15 00 01 00 00 00 00 00\tjeq %r0, 0, +1  # -> 4\n' +
        '       3:\t95 00 00 00 00 00 00 00\texit\n' +
        '       4:\t95 00 00 00 00 00 00 00\texit\n',
    );
    const hex = cli(['asm', src]).stdout;
    expect(cli(['run', file('prog.hex', hex)]).stdout).toBe('r0 = 0x1122334455667788 (1234605616436508552)\n');
  });

  it('runs a .data file and checks its expected result', () => {
    const ok = file('ok.data', '-- asm\nmov %r0, 3\nexit\n-- result\n0x3\n');
    expect(cli(['run', ok])).toMatchObject({ code: 0, stdout: 'r0 = 0x3 (3)\n' });
    const bad = file('bad.data', '-- asm\nmov %r0, 3\nexit\n-- result\n0x4\n');
    const r = cli(['run', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('expects r0 = 0x4');
  });

  it.skipIf(!conformanceAvailable())('grades the official suite: 313 passed with v4 and callx', () => {
    const r = cli(['conformance', CONFORMANCE_DIR, '--cpu-version', 'v4', '--include-groups', 'callx']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(314);
    expect(lines.at(-1)).toBe('313 passed, 0 failed');
    expect(lines.slice(0, -1).every((l) => /^PASS \S+\.data$/.test(l))).toBe(true);
    const v2 = cli(['conformance', CONFORMANCE_DIR, '--cpu-version', 'v2', '-q']);
    expect(v2.stdout.trim()).toMatch(/^\d+ passed, 0 failed, \d+ skipped$/);
    const j = JSON.parse(cli(['conformance', CONFORMANCE_DIR, '--include', '^add', '-j']).stdout);
    expect(j).toMatchObject({ passed: 2, failed: 0, skipped: 311 });
  });

  it('exits 1 when a conformance test fails and names the difference', () => {
    const bad = file('wrong.data', '-- asm\nmov %r0, 3\nexit\n-- result\n0x4\n');
    const r = cli(['conformance', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('FAIL wrong.data: wrong r0 (expected 0x4, got 0x3)\n0 passed, 1 failed\n');
  });
});

describe('README', () => {
  it('documents every command and option, and its quick start runs', async () => {
    const { COMMANDS } = await import('../src/cli/commands-list.js');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const c of COMMANDS) {
      expect(readme).toContain(`### \`bpftime-vm ${c.spec.name}`);
      for (const o of c.spec.options) expect(readme, `${c.spec.name} --${o.name}`).toContain(`--${o.name}`);
    }
    const quick = /```sh\nnpm ci && npx bpftime-vm run ([^#\n]+?) +# [^:\n]+: (r0 = [^,\n]+),/.exec(readme);
    expect(quick).not.toBeNull();
    const r = cli(['run', ...quick![1].split(' ')]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toContain(quick![2]);
  });
});
