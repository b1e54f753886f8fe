/**
 * Contexts whose layout depends on the kernel: the u64 argument array of BTF-typed tracing programs (fentry, fexit,
 * tp_btf, raw tracepoints, LSM), sized and named from the target BTF's prototype of the traced function or
 * tracepoint, and the record of any tracepoint, from its tracefs `format` file or from the target BTF's
 * `trace_event_raw_<name>` struct. Pure data from text and BTF; the runtime reads the files.
 */
import type { Btf } from './btf/parse.js';
import { BtfKind } from './btf/types.js';
import type { ContextLayout, CtxField } from './contexts.js';

const COMMON = ['common_type', 'common_flags', 'common_preempt_count', 'common_pid'];

/** protoOf finds the prototype a BTF-typed program's arguments follow, and whether its first parameter is dropped. */
function protoOf(btf: Btf, type: string, name: string): { id: number; skipFirst: boolean } | undefined {
  if (type === 'tp_btf' || type === 'raw_tracepoint' || type === 'raw_tracepoint_writable') {
    // DECLARE_TRACE defines `typedef void (*btf_trace_NAME)(void *__data, args...)`; the program sees args only.
    const td = btf.findByName(`btf_trace_${name}`, BtfKind.TYPEDEF)[0];
    const ptr = td === undefined ? undefined : btf.type(btf.resolve(td));
    return ptr?.kind === BtfKind.PTR ? { id: ptr.type, skipFirst: true } : undefined;
  }
  const fn = btf.findByName(type === 'lsm' ? `bpf_lsm_${name}` : name, BtfKind.FUNC)[0];
  const t = fn === undefined ? undefined : btf.type(fn);
  return t?.kind === BtfKind.FUNC ? { id: t.type, skipFirst: false } : undefined;
}

/**
 * traceArgNames names a tracepoint's arguments: the typedef's prototype has no parameter names, but the kernel's
 * `__bpf_trace_<name>` wrapper (same parameters) does, when the tracepoint is not one of a class.
 */
function traceArgNames(btf: Btf, name: string, count: number): string[] {
  const fn = btf.findByName(`__bpf_trace_${name}`, BtfKind.FUNC)[0];
  const t = fn === undefined ? undefined : btf.type(fn);
  const proto = t?.kind === BtfKind.FUNC ? btf.type(t.type) : undefined;
  if (proto?.kind !== BtfKind.FUNC_PROTO || proto.params.length !== count + 1) return [];
  return proto.params.slice(1).map((p) => p.name);
}

/**
 * btfArgsLayout lays out the u64 argument array of a BTF-typed program attached to `name`: one slot per argument of
 * the traced function or tracepoint (named after its parameter), then the return value for fexit and fmod_ret.
 * Undefined when the target BTF does not describe `name`.
 */
export function btfArgsLayout(btf: Btf, type: string, name: string): ContextLayout | undefined {
  if (!name) return undefined;
  const found = protoOf(btf, type, name);
  const proto = found && btf.type(btf.resolve(found.id));
  if (!found || proto?.kind !== BtfKind.FUNC_PROTO) return undefined;
  const params = proto.params.slice(found.skipFirst ? 1 : 0);
  const names = found.skipFirst ? traceArgNames(btf, name, params.length) : params.map((p) => p.name);
  const fields: CtxField[] = params.map((_, i) => ({ name: names[i] || `args[${i}]`, offset: 8 * i, size: 8 }));
  const withRet = type === 'fexit' || type === 'fmod_ret';
  if (withRet) fields.push({ name: 'ret', offset: 8 * params.length, size: 8 });
  return { name: `u64[${fields.length}] (${btf.typeName(found.id)})`, size: 8 * fields.length, kind: 'args', fields, source: 'btf' };
}

/**
 * btfArgTypes gives the BTF type (in `btf`) of each u64 slot of a BTF-typed program's context, the arguments then, for
 * fexit and fmod_ret, the return value: what the verifier types the context loads with. Undefined as btfArgsLayout.
 */
export function btfArgTypes(btf: Btf, type: string, name: string): number[] | undefined {
  const found = name ? protoOf(btf, type, name) : undefined;
  const proto = found && btf.type(btf.resolve(found.id));
  if (!found || proto?.kind !== BtfKind.FUNC_PROTO) return undefined;
  const out = proto.params.slice(found.skipFirst ? 1 : 0).map((p) => p.type);
  if (type === 'fexit' || type === 'fmod_ret') out.push(proto.returnType);
  return out;
}

function scalarSize(n: number): CtxField['size'] | undefined {
  return n === 1 || n === 2 || n === 4 || n === 8 ? n : undefined;
}

/**
 * recordLayout finishes a tracepoint record layout: positional inputs are its own integer fields, in order (strings
 * for arrays and `__data_loc` fields are given by name).
 */
function recordLayout(name: string, fields: CtxField[], size: number, source: string): ContextLayout {
  const inputs = fields.filter((x) => x.kind === undefined && !COMMON.includes(x.name)).map((x) => x.name);
  return { name, size, kind: 'raw', fields, inputs, source };
}

/**
 * parseTracefsFormat reads a tracepoint's `format` file (`field:unsigned int pid; offset:8; size:4; signed:0;`).
 * Fields whose size is not a scalar's are byte arrays; `__data_loc` fields locate variable data after the record.
 */
export function parseTracefsFormat(text: string, event: string): ContextLayout | undefined {
  const fields: CtxField[] = [];
  let size = 0;
  for (const m of text.matchAll(/field:([^;]*);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/g)) {
    const decl = m[1].trim();
    const offset = Number(m[2]);
    const bytes = Number(m[3]);
    const signed = m[4] === '1';
    const nameMatch = /([A-Za-z_]\w*)\s*(\[[^\]]*\])?$/.exec(decl);
    if (!nameMatch) continue;
    const name = nameMatch[1];
    size = Math.max(size, offset + bytes);
    if (decl.startsWith('__data_loc') || decl.startsWith('__rel_loc')) {
      fields.push({ name, offset, size: 4, kind: 'data_loc' });
      continue;
    }
    const arrayLen = nameMatch[2] ? Number(nameMatch[2].slice(1, -1)) : undefined;
    const scalar = scalarSize(bytes);
    if (arrayLen !== undefined || scalar === undefined) {
      const elem = arrayLen ? scalarSize(bytes / arrayLen) ?? 1 : 1;
      fields.push({ name, offset, size: elem, kind: 'array', length: bytes / elem, signed });
    } else fields.push({ name, offset, size: scalar, signed });
  }
  if (fields.length === 0) return undefined;
  return recordLayout(`tracepoint ${event} (tracefs format)`, fields, Math.ceil(size / 8) * 8, 'tracefs');
}

/** tracepointBtfLayout lays out a tracepoint's record from the target BTF's `struct trace_event_raw_<name>`. */
export function tracepointBtfLayout(btf: Btf, name: string): ContextLayout | undefined {
  const structName = `trace_event_raw_${name}`;
  const id = btf.findByName(structName, BtfKind.STRUCT)[0];
  if (id === undefined) return undefined;
  const fields: CtxField[] = [];
  const add = (memberName: string, typeId: number, offset: number) => {
    const t = btf.type(btf.resolve(typeId));
    const bytes = btf.sizeOf(typeId);
    if (memberName.startsWith('__data_loc_')) fields.push({ name: memberName.slice('__data_loc_'.length), offset, size: 4, kind: 'data_loc' });
    else if (t.kind === BtfKind.ARRAY) {
      if (t.nelems === 0) return;
      const elem = scalarSize(btf.sizeOf(t.type)) ?? 1;
      fields.push({ name: memberName, offset, size: elem, kind: 'array', length: bytes / elem });
    } else {
      const scalar = scalarSize(bytes);
      if (scalar) fields.push({ name: memberName, offset, size: scalar, ...(t.kind === BtfKind.INT && t.signed ? { signed: true } : {}) });
    }
  };
  for (const m of btf.members(id)) {
    const offset = m.bitOffset / 8;
    if (m.name === 'ent') {
      // struct trace_entry: type, flags, preempt_count, pid, as tracefs names them common_*.
      for (const e of btf.members(m.type)) add(`common_${e.name}`, e.type, offset + e.bitOffset / 8);
    } else add(m.name, m.type, offset);
  }
  return recordLayout(`struct ${structName}`, fields, btf.sizeOf(id), 'btf');
}
