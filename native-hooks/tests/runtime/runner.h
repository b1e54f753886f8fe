/* Shared declarations of the runtime test runner (runner.c). */
#ifndef BPFTIME_RUNNER_H
#define BPFTIME_RUNNER_H

#include <stdio.h>

#include "bpftime_runtime.h"

struct runner_maps;

/* runner_json_string prints s as a JSON string. */
void runner_json_string(FILE *f, const char *s, size_t n);
/* runner_maps_setup maps a segment into the runtime and creates the maps of `spec` (NULL: none). */
int runner_maps_setup(struct bpftime_runtime *rt, uint64_t seg_size, const char *spec, struct runner_maps **out, struct bpftime_map_ops *ops, char *err);
/* runner_maps_handle returns the handle of map `index` (0 when none). */
uint64_t runner_maps_handle(struct runner_maps *m, uint32_t index);
/* runner_maps_refs fills the program's map references. */
void runner_maps_refs(struct runner_maps *m, struct bpftime_prog_opts *po);
/* runner_maps_seg_prog registers the program in the segment's program table and returns its id. */
uint32_t runner_maps_seg_prog(struct runner_maps *m, const char *name);
/* runner_maps_seg_report prints {"seg": {"log": [...], "prog": {...}}}: the log ring's lines and the program entry. */
void runner_maps_seg_report(struct runner_maps *m, uint32_t prog_id);
/* runner_maps_dump prints {"maps": ...}. */
void runner_maps_dump(struct runner_maps *m);
void runner_maps_free(struct runner_maps *m);
/* runner_self_test runs the checks that need no compiled program; 0 when they pass. */
int runner_self_test(void);

#endif
