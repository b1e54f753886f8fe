/**
 * Cgroup arrays (BPF_MAP_TYPE_CGROUP_ARRAY): slots that user space fills with cgroups, which programs test membership
 * against (bpf_current_task_under_cgroup, the cgroup filter of most tracing tools). The kernel's user space stores a
 * cgroup by passing an fd of its directory; here a slot holds the cgroup's id (its directory's inode, what the kernel's
 * cgroup_id() returns) and, when known, its path. Reading a slot back from user space is not supported, as in the
 * kernel (ENOTSUPP); deleting one empties it.
 */
import { FdArrayMap } from './fd-array.js';
import { Errno } from './types.js';

/** CgroupRef is a cgroup held in a slot. */
export interface CgroupRef {
  /** The cgroup v2 id (the inode of its directory). */
  id: bigint;
  /** Where it was found, for listings. */
  path?: string;
}

/** CgroupArrayMap is a cgroup_array map. */
export class CgroupArrayMap extends FdArrayMap<CgroupRef> {
  /** resolveCgroup turns the fd a syscall-side update passes into a cgroup; without it such updates are EBADF. */
  resolveCgroup: ((fd: number) => CgroupRef | undefined) | undefined;

  /** setCgroup puts a cgroup at `index` (undefined clears it). Throws MapError E2BIG for an index out of range. */
  setCgroup(index: number, ref: CgroupRef | undefined): void {
    this.set(index, ref);
  }

  /** cgroup returns the cgroup at `index`, or undefined for an empty slot or an index out of range. */
  cgroup(index: number): CgroupRef | undefined {
    return this.at(index);
  }

  /** slots lists the filled slots (index and cgroup), for listings: the syscall side cannot read them back. */
  cgroups(): { index: number; cgroup: CgroupRef }[] {
    return this.slots.flatMap((cgroup, index) => (cgroup ? [{ index, cgroup }] : []));
  }

  override lookup(_key: Uint8Array): Uint8Array | undefined {
    throw this.error(Errno.ENOTSUPP, 'lookup: cgroup arrays cannot be read from user space');
  }

  override entries(): [Uint8Array, Uint8Array][] {
    return [];
  }

  protected idOf(ref: CgroupRef): number {
    return Number(BigInt.asUintN(32, ref.id));
  }

  protected resolve(fd: number): CgroupRef {
    const ref = this.resolveCgroup?.(fd);
    if (ref === undefined) throw this.error(Errno.EBADF, `update: fd ${fd} is not a cgroup; fill slots with setCgroup(index, { id, path })`);
    return ref;
  }
}
