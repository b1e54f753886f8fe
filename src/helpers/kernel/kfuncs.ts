/**
 * The kfuncs bpftime-vm implements: kernel functions that programs call through BTF (`extern ... __ksym`), resolved
 * by name against the target kernel's BTF (src/loader/ksyms.ts). Tasks found by pid are stand-ins laid out with the
 * target BTF, like the current task of bpf_get_current_task; their references are counted per run, so a program that
 * releases what it did not acquire, or ends holding a reference, is reported as the kernel's verifier would.
 * RCU read sections need no work in a runtime where nothing is freed while a program runs.
 */
import { ExecError } from '../../errors.js';
import type { HelperEnv } from '../env.js';
import type { HelperCall, HelperDef, HelperProto } from '../registry.js';
import { envOf } from './common.js';

const kfunc = (name: string, proto: HelperProto, doc: string, impl: HelperDef['impl']): HelperDef => ({ id: 0, kind: 'kfunc', name, proto, doc, impl });

function acquire(env: HelperEnv, address: number, by: string): number {
  if (address !== 0) env.references?.push({ address, by });
  return address;
}

function release(c: HelperCall, what: string): void {
  const env = envOf(c);
  const address = c.argNum(1);
  const refs = env.references ?? [];
  const k = refs.findIndex((r) => r.address === address);
  if (k < 0) throw new ExecError('bad-release', `${what} of 0x${address.toString(16)}, which is not a reference the program holds`);
  refs.splice(k, 1);
}

/** KFUNCS are the implemented kfuncs, with the prototypes (acquire/release, BTF types) the verifier checks. */
export const KFUNCS: HelperDef[] = [
  kfunc('bpf_task_from_pid', { ret: 'ptr_to_btf_id_or_null', retBtf: 'task_struct', acquire: true, args: ['scalar'] },
    'a reference to the task with this pid (a stand-in with the target BTF layout), or NULL when there is none; release it with bpf_task_release',
    (c) => {
      const env = envOf(c);
      return acquire(env, env.taskFromPid?.(c.argU32(1) | 0) ?? 0, 'bpf_task_from_pid');
    }),
  kfunc('bpf_task_acquire', { ret: 'ptr_to_btf_id_or_null', retBtf: 'task_struct', acquire: true, args: ['ptr_to_btf_id'], argBtf: ['task_struct'] },
    'a new reference to a task the program holds a trusted pointer to',
    (c) => acquire(envOf(c), c.argNum(1), 'bpf_task_acquire')),
  kfunc('bpf_task_release', { ret: 'void', release: 0, args: ['ptr_to_btf_id'], argBtf: ['task_struct'] },
    'releases a task reference from bpf_task_from_pid or bpf_task_acquire',
    (c) => (release(c, 'bpf_task_release'), 0)),
  kfunc('bpf_rdonly_cast', { ret: 'ptr_to_btf_id', args: ['anything', 'scalar'] },
    "the pointer, now of the BTF type given by id (libbpf's bpf_core_cast): read-only, its loads PROBE_MEM loads",
    (c) => c.arg(1)),
  kfunc('bpf_rcu_read_lock', { ret: 'void', rcu: 'lock', args: [] }, 'starts an RCU read section (nothing to do in userspace)', () => 0),
  kfunc('bpf_rcu_read_unlock', { ret: 'void', rcu: 'unlock', args: [] }, 'ends an RCU read section', () => 0),
];
