/**
 * State comparison for pruning (the kernel's `states_equal`): an explored state `old` covers a new state `cur` at the
 * same instruction when every live register and stack byte of `cur` is at least as constrained as in `old`, with
 * pointer ids matched consistently (a null check or a packet range learnt on one id must reach the same registers).
 * Whatever `old`'s exploration proved safe then holds for `cur`, so `cur` need not be explored.
 */
import { contains, equal, known, type Scalar } from './scalar.js';
import { scalarAlu } from './scalar-alu.js';
import { U64 } from './tnum.js';
import { INVALID, MISC, SPILL, ZERO, type Frame, type Reg, type SlotByte, type VState } from './state.js';

const total = (r: Reg): Scalar => scalarAlu('add', known(BigInt(r.off)), r.v, true);

/** IdMap pairs ids of the old state with ids of the new one, one to one. */
class IdMap {
  // Allocated on first use: most comparisons fail or finish before any id is seen.
  private fwd: Map<number, number> | undefined;
  private back: Map<number, number> | undefined;
  private tmpIds = 0;

  /** reset empties the map for the next comparison (one map serves them all: covers never nests). */
  reset(): IdMap {
    this.fwd?.clear();
    this.back?.clear();
    this.tmpIds = 0;
    return this;
  }

  /** unique returns an id no register has: a scalar without an id is linked to no other (the kernel's tmp_id_gen). */
  unique(): number {
    return --this.tmpIds;
  }

  ok(o: number, c: number): boolean {
    if (o === 0) return true;
    if (c === 0) return false;
    if (!this.fwd || !this.back) {
      this.fwd = new Map();
      this.back = new Map();
    }
    const f = this.fwd.get(o);
    const b = this.back.get(c);
    if (f === undefined && b === undefined) {
      this.fwd.set(o, c);
      this.back.set(c, o);
      return true;
    }
    return f === c && b === o;
  }
}

/** regSafe reports whether `c` is covered by `o`; `exact` asks for equal values (loop detection). */
function regSafe(o: Reg, c: Reg, ids: IdMap, exact: boolean): boolean {
  // The same register object (states share what a path did not change): covered unless ids must be paired.
  if (o === c && o.id === 0 && o.ref === 0) return true;
  if (o.kind === 'not_init') return !exact || c.kind === 'not_init';
  if (c.kind !== o.kind) return false;
  if (o.kind === 'scalar') {
    if (!(exact ? equal(o.v, c.v) : contains(o.v, c.v))) return false;
    return (o.len < 0 || c.len >= o.len) && (exact || o.id === 0 || ids.ok(o.id, c.id || ids.unique()));
  }
  if (o.map !== c.map || o.frame !== c.frame || o.fn !== c.fn || o.size !== c.size || o.of !== c.of || o.btf !== c.btf) return false;
  if (o.off === c.off) {
    if (!(exact ? equal(o.v, c.v) : contains(o.v, c.v))) return false;
  } else {
    // The same addresses split differently between fixed and variable offset (widening moves the fixed part).
    if (exact || !contains(total(o), total(c))) return false;
    if ((o.kind === 'packet' || o.kind === 'packet_meta') && c.range - c.off < o.range - o.off) return false;
    if (!ids.ok(o.id, c.id) || !ids.ok(o.ref, c.ref)) return false;
    return !(c.rdonly && !o.rdonly) && !(c.nullable && !o.nullable);
  }
  if (c.rdonly && !o.rdonly) return false;
  if (c.nullable && !o.nullable) return false;
  if (exact && (o.nullable !== c.nullable || o.range !== c.range)) return false;
  if (c.range < o.range) return false;
  if (!ids.ok(o.id, c.id)) return false;
  return ids.ok(o.ref, c.ref);
}

const isZeroSpill = (r: Reg | undefined): boolean => r !== undefined && r.kind === 'scalar' && r.v.t.mask === 0n && r.v.t.value === 0n;

/** allBytes reports whether every byte of a slot has type `t`. */
function allBytes(bytes: readonly SlotByte[], t: SlotByte): boolean {
  for (let k = 0; k < bytes.length; k++) if (bytes[k] !== t) return false;
  return true;
}

/** noByte reports whether no byte of a slot has type `t`. */
function noByte(bytes: readonly SlotByte[], t: SlotByte): boolean {
  for (let k = 0; k < bytes.length; k++) if (bytes[k] === t) return false;
  return true;
}

function stackSafe(of: Frame, cf: Frame, ids: IdMap, exact: boolean): boolean {
  const n = Math.max(of.stack.length, cf.stack.length);
  for (let i = 0; i < n; i++) {
    const o = of.stack[i];
    const c = cf.stack[i];
    if (o === c) continue;
    if (!o) {
      if (exact && c && !allBytes(c.bytes, INVALID)) return false;
      continue;
    }
    if (o.spill && allBytes(o.bytes, SPILL)) {
      if (!c?.spill || !allBytes(c.bytes, SPILL)) {
        // A spilled unknown scalar is covered by bytes written with anything.
        if (!exact && o.spill.kind === 'scalar' && o.spill.v.t.mask === U64 && c && noByte(c.bytes, INVALID)) continue;
        return false;
      }
      if (!regSafe(o.spill, c.spill, ids, exact)) return false;
      continue;
    }
    for (let k = 0; k < 8; k++) {
      const ob = o.bytes[k];
      const cb = c ? c.bytes[k] : INVALID;
      if (exact && ob !== cb) return false;
      if (ob === INVALID) continue;
      if (ob === MISC && cb !== INVALID) continue;
      if (ob === ZERO && (cb === ZERO || (cb === SPILL && isZeroSpill(c!.spill)))) continue;
      if (ob === SPILL && cb === SPILL && o.spill && c!.spill && regSafe(o.spill, c!.spill, ids, exact)) continue;
      return false;
    }
  }
  return true;
}

/** IDS is the id map of the comparison running. */
const IDS = new IdMap();

const CALLEE_SAVED = (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10);

/**
 * covers reports whether explored state `old` covers `cur`; `live` masks the running frame's registers, `precise`
 * those whose scalar values matter (any scalar covers another in a live register outside it).
 */
export function covers(old: VState, cur: VState, live: number, exact = false, precise = live): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
  const ids = IDS.reset();
  for (let fi = 0; fi < old.frames.length; fi++) {
    const of = old.frames[fi];
    const cf = cur.frames[fi];
    if (of.entry !== cf.entry || of.callsite !== cf.callsite || of.callback !== cf.callback) return false;
    const mask = fi === old.frames.length - 1 ? live : CALLEE_SAVED;
    for (let r = 0; r < 11; r++) {
      if (!(mask & (1 << r))) continue;
      if (!exact && fi === old.frames.length - 1 && !(precise & (1 << r)) && of.regs[r].kind === 'scalar' && cf.regs[r].kind === 'scalar') continue;
      if (!regSafe(of.regs[r], cf.regs[r], ids, exact)) return false;
    }
    if (!stackSafe(of, cf, ids, exact)) return false;
  }
  for (let i = 0; i < old.refs.length; i++) if (!ids.ok(old.refs[i], cur.refs[i])) return false;
  if ((old.lock === null) !== (cur.lock === null)) return false;
  if (old.lock && cur.lock && (old.lock.map !== cur.lock.map || old.lock.off !== cur.lock.off || !ids.ok(old.lock.id, cur.lock.id))) return false;
  return true;
}
