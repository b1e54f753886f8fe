// Loose ends a new user hit (issue 11, point 6): every input the CLI cannot use is refused with a message that says
// what to do and an exit code that says why (2 usage, 3 invalid input), before anything runs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';
import { buildExamples, CLANG_SKIP, HAS_CLANG } from './toolchain.js';

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

  it.skipIf(!HAS_CLANG)(`--record-type naming a struct the object's BTF lacks is an error${CLANG_SKIP}`, () => {
    const events = join(buildExamples(), 'events.bpf.o');
    expect(error(['run', events, '--record-type', 'events=nosuch'])).toEqual({ code: 2, message: '--record-type: no struct "nosuch" in the object\'s BTF' });
    expect(error(['run', events, '--record-type', 'nomap=event'])).toEqual({ code: 2, message: '--record-type: no ring or perf buffer map "nomap" in the object (its output maps: events, perf_events)' });
  });

  it('numeric options refuse values a Number cannot hold exactly (--syscall 1e23 is not run as 99999999999999991611392)', () => {
    expect(error(['run', OBJ, '--syscall', '99999999999999999999999'])).toEqual({ code: 2, message: '--syscall: 99999999999999999999999 is too large (at most 9007199254740991)' });
    expect(error(['run', OBJ, '--budget', '18446744073709551616'])).toEqual({ code: 2, message: '--budget: 18446744073709551616 is too large (at most 9007199254740991)' });
  });

  it('--ctx with --args, --ret or --syscall is a usage error (the context would silently ignore them)', () => {
    expect(error(['run', OBJ, '--args', '3,4', '--ctx', '00'])).toEqual({ code: 2, message: '--ctx gives the whole context, which --args would build: give one or the other' });
    expect(error(['run', OBJ, '--ctx', '00', '--ret', '1'])).toEqual({ code: 2, message: '--ctx gives the whole context, which --ret would build: give one or the other' });
  });

  it('run --help says it runs ELF objects', () => {
    const help = cli(['run', '--help']).stdout;
    expect(help).toContain('run a program (ELF object, .data, .asm, raw bytecode) and print r0');
    expect(help).toMatch(/FILE +ELF object \(clang -target bpf\), conformance \.data file/);
  });
});

describe('object-verb commands', () => {
  it('name an unknown verb, and list the verbs when none is given', () => {
    expect(error(['prog', 'frob', OBJ])).toEqual({ code: 2, message: 'unknown verb "frob" for "prog": prog show, prog dump' });
    expect(error(['map'])).toEqual({ code: 2, message: '"map" needs a verb: map show' });
  });
});

describe('missing or unusable files', () => {
  it('conformance names a path that does not exist, exit 3', () => {
    expect(error(['conformance', join(tmp, 'nowhere')])).toEqual({ code: 3, message: `cannot read ${join(tmp, 'nowhere')}: no such file or directory` });
  });

  it('a directory given as a file, or an output that cannot be written, is named with the reason in words', () => {
    expect(error(['run', 'examples'])).toEqual({ code: 3, message: 'cannot read examples: is a directory' });
    expect(error(['compile', 'examples/fib.asm', '-o', tmp])).toEqual({ code: 3, message: `cannot write ${tmp}: is a directory` });
    expect(error(['asm', 'examples/fib.asm', '-o', join(tmp, 'no', 'fib.bin')])).toEqual({ code: 3, message: `cannot write ${join(tmp, 'no', 'fib.bin')}: no such file or directory` });
  });

  it.skipIf(!HAS_CLANG)(`--btf names the file that is not BTF${CLANG_SKIP}`, () => {
    const notBtf = join(tmp, 'not-btf.bin');
    writeFileSync(notBtf, 'hello, world: not BTF at all\n');
    expect(error(['prog', 'show', join(buildExamples(), 'core.bpf.o'), '--btf', notBtf])).toEqual({ code: 3, message: `apply CO-RE relocations: ${notBtf}: BTF: bad magic 0x6568, want 0xeb9f` });
  });
});

describe('ELF objects as the CLI reads them', () => {
  it('runs an object whose machine is EM_NONE (old LLVM), as the loader and libbpf accept it', () => {
    const none = join(tmp, 'em-none.o');
    const bytes = readFileSync(OBJ);
    bytes.writeUInt16LE(0, 18);
    writeFileSync(none, bytes);
    expect(cli(['run', none, '--args', '3,4']).stdout.split('\n')[0]).toBe('count_add (uprobe ./target:add): r0 = 0x46 (70), 79 instructions');
  });
});

describe('messages', () => {
  it('carry one prefix per context (no "read ELF: ELF:")', () => {
    const truncated = join(tmp, 'truncated.o');
    writeFileSync(truncated, readFileSync(OBJ).subarray(0, 100));
    expect(error(['prog', 'show', truncated])).toEqual({ code: 3, message: 'read ELF: section header table at offset 10696 (1984 bytes) is beyond the end of the file (100 bytes)' });
  });
});
