/**
 * The kernel helper set: the helpers programs compiled with libbpf's headers call, with the kernel's ids and
 * semantics, implemented against guest memory, live maps and the runtime's host environment.
 */
import { HelperSet } from '../registry.js';
import { CGROUP_HELPERS } from './cgroup.js';
import { CONTROL_HELPERS } from './control.js';
import { KFUNCS } from './kfuncs.js';
import { SOCKET_HELPERS } from './sockets.js';
import { MAP_HELPERS } from './map-helpers.js';
import { OUTPUT_HELPERS } from './output-helpers.js';
import { STRING_HELPERS } from './strings.js';
import { TASK_HELPERS } from './task.js';
import { KERNEL_HELPER_NAMES } from './names.js';

/** kernelHelpers returns a fresh copy of the kernel helper set. */
export function kernelHelpers(): HelperSet {
  return new HelperSet('kernel', [...MAP_HELPERS, ...OUTPUT_HELPERS, ...STRING_HELPERS, ...TASK_HELPERS, ...CONTROL_HELPERS, ...CGROUP_HELPERS, ...SOCKET_HELPERS, ...KFUNCS], KERNEL_HELPER_NAMES);
}

export { KERNEL_HELPER_NAMES, helperId } from './names.js';
