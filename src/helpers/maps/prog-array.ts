/**
 * Program arrays (BPF_MAP_TYPE_PROG_ARRAY): the jump table of bpf_tail_call. User space sets programs; a tail call
 * asks `program(index)` and falls through when it is undefined. The program type is the runtime's: maps only hold
 * references.
 */
import { FdArrayMap } from './fd-array.js';
import { Errno } from './types.js';

/** ProgEntry is one slot of a program array: the runtime's program and the id syscall lookups report. */
interface ProgEntry<P> {
  prog: P;
  id: number;
}

/** ProgArrayMap is a prog_array map over the runtime's program type P. */
export class ProgArrayMap<P = unknown> extends FdArrayMap<ProgEntry<P>> {
  /** resolveProgram turns a program id given to the syscall-side `update` into a program; the runtime sets it. */
  resolveProgram: ((id: number) => P | undefined) | undefined;

  /** setProgram puts a program at `index` (undefined clears it); `id` is what lookups report. Throws E2BIG. */
  setProgram(index: number, prog: P | undefined, id = 0): void {
    this.set(index, prog === undefined ? undefined : { prog, id });
  }

  /** program is the tail call target at `index` (a u32 from the program), or undefined to fall through. */
  program(index: number): P | undefined {
    return this.at(index)?.prog;
  }

  protected idOf(ref: ProgEntry<P>): number {
    return ref.id;
  }

  protected resolve(id: number): ProgEntry<P> {
    const prog = this.resolveProgram?.(id);
    if (prog === undefined) throw this.error(Errno.EINVAL, `update: no program with id ${id}`);
    return { prog, id };
  }
}
