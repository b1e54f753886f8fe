// Loose ends a new user hit (issue 11, point 6): every input the CLI cannot use is refused with a message that says
// what to do and an exit code that says why (2 usage, 3 invalid input), before anything runs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'bpftime-vm-cli-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const OBJ = 'examples/counter.bpf.o';
const error = (args: string[]) => {
  const r = cli(args);
  expect(r.stdout).toBe('');
  return { code: r.code, message: r.stderr.replace(/^bpftime-vm: error: /, '').trimEnd() };
};

describe('commands for raw programs given an object', () => {
  it('disasm and asm point to prog dump', () => {
    const hint = `${OBJ} is an ELF object: to see its programs' instructions, use "bpftime-vm prog dump ${OBJ}"`;
    expect(error(['disasm', OBJ])).toEqual({ code: 3, message: hint });
    expect(error(['asm', OBJ])).toEqual({ code: 3, message: hint });
  });

  it('asm refuses a file that is neither assembly nor .data, and assembles text under any name', () => {
    expect(error(['asm', 'examples/ipv4-header.bin'])).toEqual({ code: 3, message: 'examples/ipv4-header.bin is not assembly text: asm reads .asm/.s files or the program of a .data file' });
    const text = join(tmp, 'prog.txt');
    writeFileSync(text, 'mov %r0, 1\nexit\n');
    expect(cli(['asm', text])).toMatchObject({ code: 0, stdout: 'b7 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n' });
  });

  it('prog show, prog dump and map show say when a file is not an ELF object', () => {
    for (const cmd of [['prog', 'show'], ['prog', 'dump'], ['map', 'show']]) {
      expect(error([...cmd, 'examples/fib.asm'])).toEqual({ code: 3, message: 'examples/fib.asm: not an ELF file (expected an object built with clang -target bpf)' });
    }
  });
});

describe('run options', () => {
  it('--args refuses empty items and values beyond 64 bits', () => {
    expect(error(['run', OBJ, '--args', '1,,2'])).toEqual({ code: 2, message: '--args: empty value in "1,,2"' });
    expect(error(['run', OBJ, '--args', '1,2,'])).toEqual({ code: 2, message: '--args: empty value in "1,2,"' });
    expect(error(['run', OBJ, '--args', '3', '--args', ''])).toEqual({ code: 2, message: '--args: empty value in "3,"' });
    expect(error(['run', OBJ, '--args', '0x10000000000000000,1'])).toEqual({ code: 2, message: '--args: 0x10000000000000000 does not fit in 64 bits' });
    expect(error(['run', OBJ, '--args', '-9223372036854775809,1'])).toEqual({ code: 2, message: '--args: -9223372036854775809 does not fit in 64 bits' });
    expect(error(['run', OBJ, '--host', 'pid=1,,comm=x'])).toEqual({ code: 2, message: '--host: empty value in "pid=1,,comm=x"' });
  });

  it('--args takes the full signed and unsigned 64-bit range', () => {
    const r0 = (args: string) => JSON.parse(cli(['run', OBJ, '--args', args, '--json']).stdout).r0_signed;
    // count_add returns (a + b) * scale with a and b as ints: -1 written either way is the same register.
    expect(r0('-1,0')).toBe(r0('0xffffffffffffffff,0'));
    expect(r0('-9223372036854775808,0')).toBe(r0('0x8000000000000000,0'));
  });

  it('--repeat 0 is a usage error', () => {
    expect(error(['run', OBJ, '--repeat', '0'])).toEqual({ code: 2, message: '--repeat expects a positive integer, got "0"' });
    expect(error(['run', 'examples/fib.asm', '--repeat', '0'])).toEqual({ code: 2, message: '--repeat expects a positive integer, got "0"' });
  });

  it('--record-type must name an output map of the object and a struct of its BTF', () => {
    expect(error(['run', OBJ, '--record-type', 'calls=event'])).toEqual({ code: 2, message: '--record-type: no ring or perf buffer map "calls" in the object (it has none)' });
    expect(error(['run', OBJ, '--record-type', 'event'])).toEqual({ code: 2, message: '--record-type expects MAP=STRUCT, got "event"' });
  });

  it('run --help says it runs ELF objects', () => {
    const help = cli(['run', '--help']).stdout;
    expect(help).toContain('run a program (ELF object, .data, .asm, raw bytecode) and print r0');
    expect(help).toMatch(/FILE +ELF object \(clang -target bpf\), conformance \.data file/);
  });
});

describe('messages', () => {
  it('carry one prefix per context (no "read ELF: ELF:")', () => {
    const truncated = join(tmp, 'truncated.o');
    writeFileSync(truncated, readFileSync(OBJ).subarray(0, 100));
    expect(error(['prog', 'show', truncated])).toEqual({ code: 3, message: 'read ELF: section header table at offset 10696 (1984 bytes) is beyond the end of the file (100 bytes)' });
  });
});
