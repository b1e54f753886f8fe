/**
 * Helpers for the maps that carry data out of a program or control flow between programs: ring buffers
 * (output/reserve/submit/discard/query), perf event arrays (perf_event_output) and program arrays (tail_call).
 */
import { ExecError } from '../../errors.js';
import { PerfEventArrayMap } from '../maps/perf-event-array.js';
import { ProgArrayMap } from '../maps/prog-array.js';
import { RingBufMap } from '../maps/ringbuf.js';
import type { HelperCall, HelperDef } from '../registry.js';
import { envOf, ERR, helper, mapArg } from './common.js';
import { KERNEL_HELPER_NAMES as N, helperId } from './names.js';

const id = (name: string): number => helperId(name)!;

function ringArg(c: HelperCall): RingBufMap {
  const map = mapArg(c);
  if (!(map instanceof RingBufMap)) throw new ExecError('bad-map', `map "${map.spec.name}" is not a ring buffer`);
  return map;
}

/** ringOf finds the ring buffer holding a reserved sample (submit and discard take only the sample). */
function ringOf(c: HelperCall, sample: number): RingBufMap {
  for (const m of envOf(c).maps.all()) {
    if (m instanceof RingBufMap && sample >= m.dataStart && sample < m.dataStart + m.size) return m;
  }
  throw new ExecError('bad-sample', `0x${sample.toString(16)} is not a sample reserved in a ring buffer`);
}

/** OUTPUT_HELPERS are the ring buffer, perf event and tail call helpers. */
export const OUTPUT_HELPERS: HelperDef[] = [
  helper(id('ringbuf_output'), N[id('ringbuf_output')], { ret: 'integer', args: ['const_map_ptr', 'ptr_to_mem', 'const_size_or_zero', 'scalar'] },
    'copies size bytes into a new ring buffer record; 0, -EINVAL or -EAGAIN when full',
    (c) => ringArg(c).output(c.argNum(2), c.argNum(3), c.argU32(4))),
  helper(id('ringbuf_reserve'), N[id('ringbuf_reserve')], { ret: 'ptr_to_ringbuf_mem_or_null', args: ['const_map_ptr', 'const_alloc_size', 'scalar'] },
    'reserves a record of size bytes and returns its address, or NULL when full',
    (c) => ringArg(c).reserve(c.argNum(2), c.argU32(3))),
  helper(id('ringbuf_submit'), N[id('ringbuf_submit')], { ret: 'void', args: ['ptr_to_ringbuf_mem', 'scalar'] },
    'publishes a reserved record', (c) => (ringOf(c, c.argNum(1)).submit(c.argNum(1), c.argU32(2)), 0)),
  helper(id('ringbuf_discard'), N[id('ringbuf_discard')], { ret: 'void', args: ['ptr_to_ringbuf_mem', 'scalar'] },
    'drops a reserved record', (c) => (ringOf(c, c.argNum(1)).discard(c.argNum(1), c.argU32(2)), 0)),
  helper(id('ringbuf_query'), N[id('ringbuf_query')], { ret: 'integer', args: ['const_map_ptr', 'scalar'] },
    'available data, size, consumer or producer position of a ring buffer', (c) => ringArg(c).query(c.argU32(2))),
  helper(id('perf_event_output'), N[id('perf_event_output')], { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'scalar', 'ptr_to_mem', 'const_size_or_zero'] },
    'sends size bytes to the perf buffer of a CPU (flags: index or BPF_F_CURRENT_CPU)',
    (c) => {
      const map = mapArg(c, 2);
      if (!(map instanceof PerfEventArrayMap)) throw new ExecError('bad-map', `map "${map.spec.name}" is not a perf event array`);
      return map.output(c.argNum(4), c.argNum(5), c.arg(3));
    }),
  helper(id('tail_call'), N[id('tail_call')], { ret: 'noreturn_on_success', args: ['ptr_to_ctx', 'const_map_ptr', 'scalar'] },
    'jumps to the program at index of a program array (at most 33 in a row); returns -ENOENT when there is none',
    (c) => {
      const map = mapArg(c, 2);
      if (!(map instanceof ProgArrayMap)) throw new ExecError('bad-map', `map "${map.spec.name}" is not a program array`);
      const target = map.program(c.argU32(3));
      return target !== undefined && c.tailCall(target) ? 0 : ERR.ENOENT;
    }),
];
