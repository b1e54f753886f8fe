// The plugin driven exactly as the official bpf_conformance runner drives it: memory as base16 text in argv[1] only
// when there is memory, plugin options after it, the program as base16 text on stdin; r0 in hex on stdout.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assemble, encodeProgram } from '../src/isa/index.js';
import { PLUGIN } from './helpers.js';

/** base16 encodes bytes the way the official runner does: two hex digits then two spaces per byte. */
const base16 = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0') + '  ').join('');

function plugin(args: string[], stdin: string) {
  const r = spawnSync(process.execPath, [PLUGIN, ...args], { input: stdin + '\n', encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const program = (text: string) => base16(encodeProgram(assemble(text)));

describe('bpf_conformance plugin protocol', () => {
  it('runs a program without memory (argv holds only plugin options)', () => {
    const r = plugin(['--backend', 'interp'], program('mov %r0, 0x2a\nexit'));
    expect(r).toMatchObject({ code: 0, stdout: '2a\n' });
  });

  it('runs a program without memory or options', () => {
    expect(plugin([], program('lddw %r0, 0x1122334455667788\nexit'))).toMatchObject({ code: 0, stdout: '1122334455667788\n' });
  });

  it('passes memory from argv[1]: r1 points to it and r2 holds its length', () => {
    const mem = base16(Uint8Array.from([0x11, 0x22, 0x33, 0x44]));
    const r = plugin([mem, '--backend', 'interp'], program('ldxh %r0, [%r1+2]\nlsh %r0, 8\nadd %r0, %r2\nexit'));
    expect(r).toMatchObject({ code: 0, stdout: (0x443304).toString(16) + '\n' });
  });

  it.each(['wasm-fast', 'wasm-opt'])('runs on the JIT tier %s', (backend) => {
    const mem = base16(Uint8Array.from([0x11, 0x22, 0x33, 0x44]));
    const r = plugin([mem, '--backend', backend], program('ldxh %r0, [%r1+2]\nlsh %r0, 8\nadd %r0, %r2\nexit'));
    expect(r).toMatchObject({ code: 0, stdout: (0x443304).toString(16) + '\n' });
    expect(plugin(['--backend', backend], program('ldxw %r0, [%r1]\nexit')).stdout).toMatch(/^pc 0: ldxw %r0, \[%r1\]: null pointer dereference/);
  });

  it('accepts the program as --program HEX instead of stdin', () => {
    const r = spawnSync(process.execPath, [PLUGIN, '--program', program('mov %r0, 7\nexit')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('7\n');
  });

  it('reports a fault as one line and a non-zero exit', () => {
    const r = plugin([], program('ldxdw %r0, [%r1]\nexit'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('pc 0: ldxdw %r0, [%r1]: null pointer dereference: read of 8 bytes at 0x0\n');
  });

  it('rejects malformed input with one line and a non-zero exit', () => {
    expect(plugin([], '95 00 00 00 00 00 00')).toMatchObject({ code: 1, stdout: 'bytecode length 7 is not a multiple of 8\n' });
    expect(plugin([], 'zz')).toMatchObject({ code: 1, stdout: 'invalid program: "zz" is not a hex byte\n' });
    expect(plugin(['--backend', 'nope'], program('exit'))).toMatchObject({ code: 1 });
    expect(plugin(['--backend', 'nope'], program('exit')).stdout).toContain('unknown backend "nope"');
  });
});
