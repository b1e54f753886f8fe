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
import { PACKET_ACCESS_HELPERS } from './packet-access.js';
import { PACKET_RESIZE_HELPERS } from './packet-resize.js';
import { REDIRECT_HELPERS } from './redirect.js';
import { ROUTING_HELPERS } from './routing.js';
import { SOCKET_LOOKUP_HELPERS } from './socket-lookup.js';
import { SOCK_REDIRECT_HELPERS } from './sock-redirect.js';
import { MSG_HELPERS } from './msg.js';
import { TUNNEL_HELPERS } from './tunnel.js';
import { KERNEL_HELPER_NAMES } from './names.js';

/** kernelHelpers returns a fresh copy of the kernel helper set. */
export function kernelHelpers(): HelperSet {
  return new HelperSet('kernel', [...MAP_HELPERS, ...OUTPUT_HELPERS, ...STRING_HELPERS, ...TASK_HELPERS, ...CONTROL_HELPERS, ...CGROUP_HELPERS, ...SOCKET_HELPERS, ...PACKET_ACCESS_HELPERS, ...PACKET_RESIZE_HELPERS, ...REDIRECT_HELPERS, ...ROUTING_HELPERS, ...SOCKET_LOOKUP_HELPERS, ...SOCK_REDIRECT_HELPERS, ...MSG_HELPERS, ...TUNNEL_HELPERS, ...KFUNCS], KERNEL_HELPER_NAMES);
}

export { KERNEL_HELPER_NAMES, helperId } from './names.js';
