/**
 * A stand-in `struct task_struct` for bpf_get_current_task: the kernel's task of the current thread does not exist in
 * userspace, so the runtime lays one out in guest memory with the target BTF's layout and fills the fields programs
 * read most (pid, tgid, comm, and real_parent/group_leader pointing back at itself). Everything else reads as zero.
 */
import type { HostEnv } from '../helpers/env.js';
import type { Btf } from '../loader/btf/parse.js';
import { BtfKind } from '../loader/btf/types.js';
import type { GuestMemory } from '../memory/guest-memory.js';

/** memberOffset finds a direct member of a struct and returns its byte offset, or undefined. */
function memberOffset(btf: Btf, structId: number, name: string): number | undefined {
  const m = btf.members(structId).find((x) => x.name === name);
  return m === undefined ? undefined : m.bitOffset / 8;
}

/** buildTaskStandIn returns the guest address of a filled stand-in task, or 0 when the BTF has no task_struct. */
export function buildTaskStandIn(mem: GuestMemory, btf: Btf, host: HostEnv): number {
  const id = btf.findByName('task_struct', BtfKind.STRUCT)[0];
  if (id === undefined) return 0;
  const size = btf.sizeOf(id);
  const region = mem.addRegion('task_struct', size, { writable: false });
  const at = region.start;
  const dv = mem.dv;
  const u32 = (name: string, v: number) => {
    const off = memberOffset(btf, id, name);
    if (off !== undefined) dv.setUint32(at + off, v, true);
  };
  const ptr = (name: string) => {
    const off = memberOffset(btf, id, name);
    if (off !== undefined) dv.setBigUint64(at + off, BigInt(at), true);
  };
  u32('pid', host.pid);
  u32('tgid', host.tgid);
  ptr('real_parent');
  ptr('parent');
  ptr('group_leader');
  const comm = memberOffset(btf, id, 'comm');
  if (comm !== undefined) mem.u8.set(new TextEncoder().encode(host.comm.slice(0, 15)), at + comm);
  return at;
}
