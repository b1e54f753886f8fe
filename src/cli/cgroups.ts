/**
 * `--cgroup MAP[INDEX]=PATH|ID`: what a tool's user space does with `bpf_map_update_elem(cgroup_map_fd, &index,
 * &cgroup_fd)` before attaching, so its cgroup filter (bpf_current_task_under_cgroup) has a cgroup to test against.
 */
import { UsageError } from '../errors.js';
import { CgroupArrayMap } from '../helpers/maps/index.js';
import { parseInteger } from '../loader/configure.js';
import type { Collection } from '../runtime/collection.js';
import { cgroupIdsOf } from '../runtime/host-linux.js';

export { CGROUP_OPTION } from './option-specs.js';

/** applyCgroups fills cgroup array slots from `--cgroup` values. */
export function applyCgroups(c: Collection, values: readonly string[] | undefined): void {
  for (const v of values ?? []) {
    const m = /^([^=[\]]+)(?:\[(\d+)\])?=(.+)$/.exec(v);
    if (!m) throw new UsageError('bad-option', `--cgroup expects MAP[INDEX]=PATH or MAP[INDEX]=ID, got "${v}"`);
    const map = c.map(m[1]);
    if (!(map instanceof CgroupArrayMap)) throw new UsageError('bad-option', `--cgroup: map "${m[1]}" is not a cgroup array`);
    const id = parseInteger(m[3]);
    const ref = id !== undefined ? { id } : { id: cgroupIdsOf(m[3]).at(-1)!, path: m[3] };
    map.setCgroup(Number(m[2] ?? 0), ref);
  }
}
