/**
 * `bpftime-vm run prog.o --pcap IN [--out-pcap OUT]`: runs a packet program (XDP, tc, socket filter, cgroup/skb...)
 * once per packet of a capture, on one collection (maps keep their state from packet to packet, as on a device), and
 * prints each packet's verdict with the redirect it recorded; `-v` adds the decoded headers before and after. The
 * output capture holds one packet per input packet, in order, with its timestamp: the bytes the program left (what
 * BPF_PROG_TEST_RUN returns as data_out), whatever the verdict.
 */
import { verifyModeOf } from '../verify-option.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { Collection } from '../../runtime/collection.js';
import { prepareBackend } from '../../runtime/backends.js';
import { drainRecords, dumpMap } from '../../runtime/inspect.js';
import { packetKindOf, startsAtNetwork } from '../../runtime/packet-run.js';
import { ETH_HLEN } from '../../helpers/packet/buffer.js';
import { checkLinkType, LINKTYPE, readCapture, writePcap, type CapturedPacket } from '../../runtime/pcap.js';
import { decodePacket, summarize, type Layer } from '../../runtime/packet-decode.js';
import { verdictOf } from '../../runtime/verdict.js';
import type { Parsed } from '../args.js';
import { loadObject, objectOptionsOf, pickProgram, recordTypes } from '../object.js';
import { EXIT, type Output } from '../output.js';
import { applyCgroups } from '../cgroups.js';
import { netOptions } from '../net.js';
import { applyMapUpdates } from '../map-update.js';
import { collectionMapLines, collectionMapsJson, hostOptions, list } from './run-object.js';

const layersJson = (layers: Layer[]) => layers.map((l) => ({ layer: l.proto, ...l.fields }));

/** runPcap implements `run --pcap` for ELF objects. */
export async function runPcap(path: string, flags: Parsed['flags'], out: Output): Promise<number> {
  for (const f of ['mem', 'ctx', 'events', 'repeat', 'trace']) {
    if (flags[f] !== undefined) throw new UsageError('bad-option', `--${f} cannot be combined with --pcap (each packet of the capture is the input)`);
  }
  const pcapPath = String(flags.pcap);
  const capture = readCapture(new Uint8Array(readFileSync(pcapPath)), pcapPath);
  const { spec, targetBtf } = loadObject(path, objectOptionsOf(flags));
  const types = recordTypes(spec, list(flags['record-type'], '--record-type'));
  await prepareBackend(flags.backend as string | undefined);
  const chosen = pickProgram(spec.programs, flags);
  const l3 = startsAtNetwork(chosen.type);
  // The capture must suit the program before anything is verified or run: frames of a link type it can take.
  for (const pkt of capture.packets) if (!(l3 && pkt.linkType === LINKTYPE.ETHERNET)) checkLinkType(pkt.linkType, l3, chosen.name);
  const c = new Collection(spec, { backend: flags.backend as string | undefined, host: hostOptions(flags), targetBtf, expectedRuns: capture.packets.length, net: netOptions(flags), verify: verifyModeOf(flags) });
  const name = chosen.name;
  for (const [prog, w] of c.warnings) if (prog === name) out.note(`warning: verifier: ${w.message}`);
  applyCgroups(c, flags.cgroup as string[] | undefined);
  applyMapUpdates(c, flags['map-update'] as string[] | undefined);
  const p = c.program(name);
  if (!packetKindOf(p.spec.type, c.layoutOf(p.spec))) {
    throw new UsageError('not-packet-program', `program "${p.spec.name}" is of type ${p.spec.type}, which takes no packet: --pcap needs an XDP, tc, socket filter or cgroup/skb program (force one with --type)`);
  }
  const ifindex = flags.ifindex as number | undefined;
  const verbose = flags.verbose === true;
  const outPackets: CapturedPacket[] = [];
  const results: object[] = [];
  const counts = new Map<string, number>();
  if (!out.json) out.text(`${p.spec.name} (${p.spec.type}): ${capture.packets.length} packets from ${pcapPath} (${capture.format})`);
  capture.packets.forEach((pkt, i) => {
    const n = i + 1;
    // L3 programs take an Ethernet frame from its network header, as the test run does after eth_type_trans.
    if (l3 && pkt.linkType === LINKTYPE.ETHERNET) pkt = { ...pkt, data: pkt.data.subarray(Math.min(ETH_HLEN, pkt.data.length)) };
    let r;
    try {
      r = p.run({ data: pkt.data, ...(ifindex !== undefined ? { ifindex } : {}), budget: flags.budget as number | undefined });
    } catch (e) {
      if (e instanceof Error) e.message = `packet ${n}: ${e.message}`;
      throw e;
    }
    const verdict = verdictOf(p.spec.type, r.r0, r.actions);
    counts.set(verdict.name, (counts.get(verdict.name) ?? 0) + 1);
    const changed = r.data.length !== pkt.data.length || r.data.some((b, k) => b !== pkt.data[k]);
    const records = drainRecords(c, spec.btf, types);
    outPackets.push({ ...pkt, data: r.data, length: r.data.length });
    const before = verbose || out.json ? decodePacket(pkt.data, l3) : [];
    const after = changed && (verbose || out.json) ? decodePacket(r.data, l3) : before;
    if (out.json) {
      results.push({
        packet: n, time_ns: pkt.timeNs, len: pkt.data.length, verdict: verdict.name, r0: Number(BigInt.asIntN(32, r.r0)),
        ...(verdict.redirect ? { redirect: verdict.redirect } : {}),
        ...(r.actions?.clones.length ? { clones: r.actions.clones.map((k) => ({ ifindex: k.ifindex, flags: k.flags, len: k.packet.length })) } : {}),
        ...(r.actions?.tunnel ? { tunnel: r.actions.tunnel } : {}),
        changed, out_len: r.data.length, ...(r.meta?.length ? { meta: r.meta } : {}),
        headers: layersJson(before), ...(changed ? { headers_out: layersJson(after) } : {}),
        ...(records.length ? { records } : {}), ...(c.host.trace.length ? { trace_printk: c.host.trace.splice(0) } : {}),
      });
      return;
    }
    const size = r.data.length !== pkt.data.length ? `${pkt.data.length} -> ${r.data.length} bytes` : `${pkt.data.length} bytes${changed ? ', rewritten' : ''}`;
    out.text(`${String(n).padStart(4)}  ${verdict.text.padEnd(15)}  ${size}`);
    if (verbose) {
      out.text(`        in:  ${summarize(before)}`);
      if (changed) out.text(`        out: ${summarize(after)}`);
    }
    for (const k of r.actions?.clones ?? []) out.text(`        clone -> ifindex ${k.ifindex}${k.flags & 1 ? ' (ingress)' : ''}, ${k.packet.length} bytes`);
    for (const line of c.host.trace.splice(0)) out.text(`        trace_printk: ${line}`);
    for (const rec of records) out.text(`        ${rec.map}: ${JSON.stringify(rec.value)}`);
  });
  if (flags['out-pcap'] !== undefined) {
    const linkType = l3 ? LINKTYPE.RAW : LINKTYPE.ETHERNET;
    writeFileSync(String(flags['out-pcap']), writePcap(outPackets, linkType));
  }
  const dumps = [...c.maps.values()].map((m) => dumpMap(m, spec.btf, c.host.ncpus));
  const summary = Object.fromEntries(counts);
  if (out.json) {
    out.data({ file: path, program: p.spec.name, type: p.spec.type, backend: p.backend, capture: { file: pcapPath, format: capture.format, packets: capture.packets.length }, summary, packets: results, maps: collectionMapsJson(c, dumps) });
  } else {
    out.text(`verdicts: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
    const lines = collectionMapLines(c, dumps);
    if (lines.length > 1) out.text(lines.join('\n'));
  }
  return EXIT.ok;
}
