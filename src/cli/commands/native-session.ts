/**
 * What `load` and `trace` share: loading an object into a new session (src/native/load.ts), following its output
 * while agents run the programs, and the closing report (maps, attachments with hit counts, faults) before the
 * session ends and its agents detach.
 */
import type { VerifierError } from '../../errors.js';
import type { LoadedCollection } from '../../loader/collection.js';
import { loadNative, type NativeLoad } from '../../native/load.js';
import { followOutput, OutputStream, summarize } from '../../native/stream.js';
import type { Parsed } from '../args.js';
import { mapLines, mapsJson } from '../maps-text.js';
import { summaryJson, summaryLines, printEvent } from '../native-text.js';
import { loadObject, objectOptionsOf, recordTypes } from '../object.js';
import { EXIT, rejectionDetails, type Output } from '../output.js';
import { verifyModeOf } from '../verify-option.js';
import { readyNative } from './live-common.js';

/** LoadedSession is an object loaded into a session, with its output stream. */
export interface LoadedSession {
  spec: LoadedCollection;
  load: NativeLoad;
  stream: OutputStream;
}

const list = (v: unknown): string[] => ((v as string[] | undefined) ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

/**
 * loadSession loads `path` into the session `name` with the options of `load`/`trace` (a strict rejection throws the
 * located VerifierError: see refusedLoad); rejections `--verify warn` lets through are printed as warnings.
 */
export async function loadSession(path: string, name: string, flags: Parsed['flags'], out: Output): Promise<LoadedSession> {
  await readyNative(out);
  const { spec } = loadObject(path, objectOptionsOf(flags));
  const types = recordTypes(spec, list(flags['record-type']));
  const load = await loadNative(spec, name, { size: flags.size as number | undefined, programs: list(flags.prog), verify: verifyModeOf(flags) });
  for (const p of load.programs) if (p.warning) out.note(`warning: verifier: ${p.warning.message}`);
  return { spec, load, stream: new OutputStream(load, spec.btf, types) };
}

/**
 * refusedLoad reports a program the verifier rejected in a load (the error, then in text mode its source line,
 * registers and path) and returns the exit code: 3, as for any object that cannot be loaded.
 */
export function refusedLoad(e: VerifierError, out: Output): number {
  out.error(e);
  for (const l of rejectionDetails(e)) out.note(`  ${l}`);
  return EXIT.input;
}

/** loadedJson describes what was loaded (the first JSON line of `load`). */
export function loadedJson(s: LoadedSession): Record<string, unknown> {
  return {
    event: 'loaded',
    session: s.load.session.name,
    programs: s.load.programs.map((p) => ({
      name: p.name,
      section: p.section,
      id: p.id,
      attachment: p.attachmentId,
      where: p.attachment.describe,
      hash: p.compiled.hash,
      cached: p.compiled.cached,
      verified: p.verified,
      ...(p.unverified ? { unverified: p.unverified } : {}),
      ...(p.warning ? { warning: p.warning.toJSON() } : {}),
    })),
    maps: s.load.maps.map((m) => m.map.name),
  };
}

/** follow prints the session's output as it comes (followOutput) until `until` settles; returns its value. */
export function follow<T>(s: LoadedSession, out: Output, until: Promise<T>, verbose: boolean): Promise<T> {
  return followOutput(s.stream, until, (ev) => printEvent(out, ev, verbose));
}

/** finish prints the maps and the session's state, then ends the session (agents detach) and closes it. */
export function finish(s: LoadedSession, out: Output, extra: Record<string, unknown> = {}): void {
  try {
    for (const ev of s.stream.poll()) printEvent(out, ev, true);
    const dumps = s.stream.dumpMaps();
    const declared = (name: string) => s.spec.maps.find((m) => m.name === name)?.origin === 'maps';
    const summary = summarize(s.load);
    if (out.json) {
      out.data({ event: 'end', ...extra, maps: mapsJson(dumps, declared), ...summaryJson(summary) });
    } else {
      const lines = mapLines(dumps, declared);
      if (lines.length) out.text(lines.join('\n'));
      out.text(summaryLines(summary).slice(1).join('\n'));
    }
  } finally {
    s.load.session.end();
    s.load.session.close();
  }
}
