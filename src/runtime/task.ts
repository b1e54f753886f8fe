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

/** TaskIdentity is what a stand-in task is filled with. */
export type TaskIdentity = Pick<HostEnv, 'pid' | 'tgid' | 'comm'>;

/**
 * TaskStandIns lays out stand-in tasks on demand: the current task (bpf_get_current_task) and any task a program looks
 * up by pid (bpf_task_from_pid), one per pid, each filled once from what the host knows of it.
 */
export class TaskStandIns {
  private readonly byPid = new Map<number, number>();
  private readonly identities = new Map<number, TaskIdentity>();
  private readonly btf: () => Btf | undefined;

  constructor(
    private readonly mem: GuestMemory,
    btf: Btf | (() => Btf | undefined) | undefined,
    private readonly host: HostEnv,
  ) {
    this.btf = typeof btf === 'function' ? btf : () => btf;
  }

  /** current returns the current task's stand-in, or 0 when the target BTF has no task_struct. */
  current(): number {
    return this.task({ pid: this.host.pid, tgid: this.host.tgid, comm: this.host.comm });
  }

  /** fromPid returns the stand-in of the task with thread id `pid`, or 0 when the host knows no such task. */
  fromPid(pid: number): number {
    if (pid === this.host.pid) return this.current();
    const known = this.byPid.get(pid);
    if (known !== undefined) return known;
    const info = this.host.task(pid);
    return info ? this.task(info) : 0;
  }

  /** declare lays out a task with this identity (or returns the one laid out for its pid), so lookups by pid find it. */
  declare(who: TaskIdentity): number {
    return this.task(who);
  }

  private task(who: TaskIdentity): number {
    const known = this.byPid.get(who.pid);
    const btf = this.btf();
    if (known !== undefined) {
      // A task keeps its stand-in; what changed (its name after an exec, its thread group) is written into it.
      const seen = this.identities.get(who.pid)!;
      if (known !== 0 && btf && (seen.tgid !== who.tgid || seen.comm !== who.comm)) fillTaskStandIn(this.mem, btf, known, who);
      this.identities.set(who.pid, { ...who });
      return known;
    }
    const at = btf ? buildTaskStandIn(this.mem, btf, who) : 0;
    this.byPid.set(who.pid, at);
    this.identities.set(who.pid, { ...who });
    return at;
  }
}

/** buildTaskStandIn returns the guest address of a filled stand-in task, or 0 when the BTF has no task_struct. */
export function buildTaskStandIn(mem: GuestMemory, btf: Btf, host: TaskIdentity): number {
  const id = btf.findByName('task_struct', BtfKind.STRUCT)[0];
  if (id === undefined) return 0;
  const region = mem.addRegion('task_struct', btf.sizeOf(id), { writable: false });
  fillTaskStandIn(mem, btf, region.start, host);
  return region.start;
}

/** fillTaskStandIn writes a task's identity into its stand-in at `at`: pid, tgid, comm, and parents pointing to itself. */
export function fillTaskStandIn(mem: GuestMemory, btf: Btf, at: number, host: TaskIdentity): void {
  const id = btf.findByName('task_struct', BtfKind.STRUCT)[0]!;
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
  if (comm !== undefined) {
    mem.u8.fill(0, at + comm, at + comm + 16);
    mem.u8.set(new TextEncoder().encode(host.comm.slice(0, 15)), at + comm);
  }
}
