/**
 * `bpftime-vm run prog.o --events FILE`: runs a sequence of events (JSON lines, src/runtime/events.ts) on one
 * collection, so a tool's enter/exit programs share their maps, and prints each event's result and the records it
 * produced, then the final maps.
 */
import { verifyModeOf } from '../verify-option.js';
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { Collection } from '../../runtime/collection.js';
import { loadOn, missesBinaryen } from '../../runtime/backends.js';
import { EventRunner, parseEvents } from '../../runtime/events.js';
import { drainRecords, dumpMap } from '../../runtime/inspect.js';
import type { Parsed } from '../args.js';
import { loadObject, objectOptionsOf, recordTypes } from '../object.js';
import { EXIT, type Output } from '../output.js';
import { applyCgroups } from '../cgroups.js';
import { collectionMapLines, collectionMapsJson, hostOptions, list } from './run-object.js';

const hex = (v: bigint): string => '0x' + v.toString(16);

/** seconds prints a clock value in ns as seconds with nine decimals. */
const seconds = (ns: bigint): string => `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;

/** runEvents implements `run --events` for ELF objects. */
export async function runEvents(path: string, flags: Parsed['flags'], out: Output): Promise<number> {
  for (const f of ['args', 'ret', 'syscall', 'ctx', 'mem', 'repeat', 'trace', 'prog', 'section']) {
    if (flags[f] !== undefined) throw new UsageError('bad-option', `--${f} does not apply with --events: each event gives its program and context`);
  }
  const file = String(flags.events);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError('io', `cannot read events file ${file}: ${(e as Error).message}`);
  }
  const events = parseEvents(text);
  const { spec, targetBtf } = loadObject(path, objectOptionsOf(flags));
  const types = recordTypes(spec, list(flags['record-type'], '--record-type'));
  const backend = flags.backend as string | undefined;
  const c = await loadOn(backend, () => new Collection(spec, { backend, host: hostOptions(flags), targetBtf, expectedRuns: events.length, verify: verifyModeOf(flags) }), missesBinaryen);
  for (const [, w] of c.warnings) out.note(`warning: verifier: ${w.message}`);
  applyCgroups(c, flags.cgroup as string[] | undefined);
  const runner = new EventRunner(c, { budget: flags.budget as number | undefined });
  const results: object[] = [];
  for (const { line, event } of events) {
    let r;
    try {
      r = runner.run(event, results.length + 1);
    } catch (e) {
      if (e instanceof Error) e.message = `${file}:${line}: ${e.message}`;
      throw e;
    }
    const records = drainRecords(c, spec.btf, types);
    const o = r.output;
    if (out.json) {
      results.push({
        index: r.index, line, program: r.prog, time: r.time.toString(), r0: hex(o.r0), r0_signed: BigInt.asIntN(64, o.r0).toString(), steps: o.steps,
        records, trace_printk: r.trace, signals: o.signals, ...(o.overrideReturn !== undefined ? { override_return: hex(o.overrideReturn) } : {}),
      });
      continue;
    }
    results.push(r);
    out.text(`#${r.index} ${seconds(r.time)} ${r.prog}: r0 = ${hex(o.r0)} (${BigInt.asIntN(64, o.r0)}), ${o.steps} instructions`);
    for (const l of r.trace) out.text(`  trace_printk: ${l}`);
    for (const rec of records) out.text(`  ${rec.map}${rec.cpu !== undefined ? ` cpu ${rec.cpu}` : ''}: ${JSON.stringify(rec.value)}`);
    for (const s of o.signals) out.text(`  signal ${s.signal}${s.thread ? ' (thread)' : ''}`);
  }
  const dumps = [...c.maps.values()].map((m) => dumpMap(m, spec.btf, c.host.ncpus));
  if (out.json) out.data({ file: path, events_file: file, backend: [...c.programs.values()][0]?.backend, events: results, maps: collectionMapsJson(c, dumps) });
  else {
    const lines = collectionMapLines(c, dumps);
    if (lines.length) out.text(lines.join('\n'));
  }
  return EXIT.ok;
}
