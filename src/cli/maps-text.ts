/**
 * How the CLI prints maps at the end of a run or a trace: elements decoded with BTF (`key: value` lines, per-CPU
 * values as arrays), global-data sections as their variables, program arrays and maps of maps as references, output
 * maps left out (their records were printed as they came).
 */
import type { MapDump } from '../runtime/inspect.js';

/** Output maps: their data is shown as records, not elements. */
const OUTPUT_TYPES = new Set(['ringbuf', 'perf_event_array']);

/** Maps of references: their elements are programs or inner maps, shown by name. */
const REFERENCE_TYPES = new Set(['prog_array', 'array_of_maps', 'hash_of_maps']);

/** references prints what a program array or map of maps holds: `6 -> handle_tcp, 17 -> handle_udp`. */
function references(d: MapDump): string {
  const name = (v: unknown) => (v as { program?: string; map?: string }).program ?? (v as { map?: string }).map;
  return d.entries.map((e) => `${JSON.stringify(e.key)} -> ${name(e.value)}`).join(', ') || 'empty';
}

/** flatten shows a global-data section as its variables: {"x": 1} rather than {".data": [{"x": 1}]}. */
function flatten(d: MapDump): unknown {
  const v = d.entries[0]?.value as Record<string, unknown> | undefined;
  const vars = v && typeof v === 'object' && !Array.isArray(v) ? v[d.name] : undefined;
  return Array.isArray(vars) ? Object.assign({}, ...vars) : v;
}

/**
 * mapLines renders the maps as text (`maps:` then one block per map); `declared` tells a map declared in the
 * object's maps section from a global-data section, and `summary` may give a map's one-line contents instead of its
 * elements (a cgroup array's slots). Empty when there is nothing to show.
 */
export function mapLines(dumps: readonly MapDump[], declared: (name: string) => boolean, summary?: (name: string) => string | undefined): string[] {
  const lines = ['maps:'];
  for (const d of dumps) {
    const text = summary?.(d.name);
    if (!declared(d.name)) lines.push(`  ${d.name}: ${JSON.stringify(flatten(d))}`);
    else if (text !== undefined) lines.push(`  ${d.name} (${d.type}): ${text}`);
    else if (REFERENCE_TYPES.has(d.type)) lines.push(`  ${d.name} (${d.type}): ${references(d)}`);
    else if (OUTPUT_TYPES.has(d.type)) continue;
    else if (d.entries.length === 0) lines.push(`  ${d.name} (${d.type}): empty`);
    else lines.push(`  ${d.name} (${d.type}):`, ...d.entries.map((e) => `    ${JSON.stringify(e.key)}: ${JSON.stringify(e.value)}`));
  }
  return lines.length > 1 ? lines : [];
}

/** mapsJson is the maps as JSON: each map's entries, a global-data section's variables. */
export function mapsJson(dumps: readonly MapDump[], declared: (name: string) => boolean): Record<string, unknown> {
  return Object.fromEntries(dumps.map((d) => [d.name, declared(d.name) ? d.entries : flatten(d)]));
}
