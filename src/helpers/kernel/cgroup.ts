/**
 * Helpers about the current task's place in the system: its cgroup v2 (id, ancestors, membership in the cgroups of a
 * cgroup array) and its pid namespace. Answers come from the host environment, which reads them from the real
 * process (/proc/self/cgroup, /proc/self/ns/pid) unless the caller says otherwise (`--host cgroup=...`).
 */
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';
import { envOf, ERR, helper, mapArg } from './common.js';
import { ExecError } from '../../errors.js';
import { CgroupArrayMap } from '../maps/cgroup-array.js';
import type { HelperDef } from '../registry.js';

const id = (name: string): number => helperId(name)!;
/** EAGAIN, as bpf_current_task_under_cgroup returns it for an empty slot. */
const EAGAIN = -11;
/** The size of struct bpf_pidns_info { u32 pid; u32 tgid; }. */
const PIDNS_INFO_SIZE = 8;

/** CGROUP_HELPERS are the cgroup and namespace helpers. */
export const CGROUP_HELPERS: HelperDef[] = [
  helper(id('get_current_cgroup_id'), N[id('get_current_cgroup_id')], { ret: 'integer', args: [] },
    "id of the current task's cgroup v2 (the inode of its directory)",
    (c) => {
      const ids = envOf(c).host.cgroupIds();
      return ids[ids.length - 1] ?? 0n;
    }),
  helper(id('get_current_ancestor_cgroup_id'), N[id('get_current_ancestor_cgroup_id')], { ret: 'integer', args: ['scalar'] },
    "id of the current task's cgroup v2 ancestor at a level (0: the root), 0 when the task's cgroup is not that deep",
    (c) => envOf(c).host.cgroupIds()[c.argU32(1)] ?? 0n),
  helper(id('current_task_under_cgroup'), N[id('current_task_under_cgroup')], { ret: 'integer', args: ['const_map_ptr', 'scalar'] },
    'whether the current task is in the cgroup at an index of a cgroup array, or a descendant of it: 1 or 0; -E2BIG for an index out of range, -EAGAIN for an empty slot',
    (c) => {
      const map = mapArg(c);
      if (!(map instanceof CgroupArrayMap)) throw new ExecError('bad-map', `map "${map.spec.name}" is not a cgroup array`);
      const index = c.argU32(2);
      if (index >= map.spec.maxEntries) return ERR.E2BIG;
      const cgroup = map.cgroup(index);
      if (cgroup === undefined) return EAGAIN;
      return envOf(c).host.cgroupIds().includes(cgroup.id) ? 1 : 0;
    }),
  helper(id('get_ns_current_pid_tgid'), N[id('get_ns_current_pid_tgid')], { ret: 'integer', args: ['anything', 'anything', 'ptr_to_uninit_mem', 'const_size'] },
    'pid and tgid of the current task in the pid namespace given by device and inode (struct bpf_pidns_info); -EINVAL and zeroes unless it is the task\'s namespace',
    (c) => {
      const out = c.mem.bytes(c.argNum(3), c.argNum(4), true);
      out.fill(0);
      if (out.length !== PIDNS_INFO_SIZE) return ERR.EINVAL;
      const env = envOf(c);
      const ns = env.host.pidNamespace();
      // The kernel takes the device as a 32-bit dev_t, so a wider value cannot match.
      if (c.arg(1) > 0xffffffffn || c.arg(1) !== ns.dev || c.arg(2) !== ns.ino) return ERR.EINVAL;
      c.mem.dv.setUint32(c.argNum(3), env.host.pid, true);
      c.mem.dv.setUint32(c.argNum(3) + 4, env.host.tgid, true);
      return 0;
    }),
];
