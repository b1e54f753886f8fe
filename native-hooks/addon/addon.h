/*
 * The N-API addon over the shm component (build/bpftime_shm.node; typed by src/native/addon.ts). Conventions:
 *  - a segment is an External holding a `struct handle`; using it after close() throws;
 *  - errors thrown are Errors with `errno` (positive) and `code` ("ENOENT"...) and the C message;
 *  - map operations on the hot path return 0 or -errno instead of throwing, the TypeScript side builds MapError;
 *  - enum values of the layout (attachment kinds, faults, agent states, log kinds) cross as strings, so their
 *    numbers live only in include/bpftime_shm.h.
 */
#ifndef BPFTIME_ADDON_H
#define BPFTIME_ADDON_H

#include <node_api.h>
#include <stdint.h>

#include "bpftime_maps.h"
#include "bpftime_shm.h"

struct handle {
	struct bpftime_seg *seg; /* NULL once closed */
};

#define MAX_ARGS 6

/* Each returns 0 on success; on failure it has thrown a TypeError naming the argument, and returns -1. */
int args(napi_env env, napi_callback_info info, size_t min, napi_value *argv, size_t *argc);
int arg_seg(napi_env env, napi_value v, struct bpftime_seg **out);
int arg_map(napi_env env, struct bpftime_seg *seg, napi_value v, struct bpftime_map **out);
int arg_u32(napi_env env, napi_value v, const char *what, uint32_t *out);
int arg_i64(napi_env env, napi_value v, const char *what, int64_t *out);
int arg_u64(napi_env env, napi_value v, const char *what, uint64_t *out); /* number or bigint */
int arg_bytes(napi_env env, napi_value v, const char *what, void **data, size_t *len);
int arg_str(napi_env env, napi_value v, const char *what, char *buf, size_t len);

/* Optional positional arguments: undefined leaves *out unchanged. */
int maybe_u32(napi_env env, napi_value v, const char *what, uint32_t *out);
int maybe_u64(napi_env env, napi_value v, const char *what, uint64_t *out);

/* Optional properties of an options object: absent or undefined leaves *out unchanged. */
int opt_u32(napi_env env, napi_value obj, const char *key, uint32_t *out);
int opt_i64(napi_env env, napi_value obj, const char *key, int64_t *out);
int opt_u64(napi_env env, napi_value obj, const char *key, uint64_t *out);
int opt_bool(napi_env env, napi_value obj, const char *key, int *out);
int opt_str(napi_env env, napi_value obj, const char *key, char *buf, size_t len);
int opt_value(napi_env env, napi_value obj, const char *key, napi_value *out); /* 1 when present */

/* throw_errno throws an Error with errno/code and returns NULL (for `return throw_errno(...)`). */
napi_value throw_errno(napi_env env, int neg_errno, const char *msg);
napi_value num(napi_env env, double v);
napi_value big(napi_env env, uint64_t v);
napi_value str(napi_env env, const char *s, size_t len);
napi_value undefined(napi_env env);
napi_value copy_bytes(napi_env env, const void *data, size_t len);
napi_value new_object(napi_env env);
void set(napi_env env, napi_value obj, const char *key, napi_value v);

/* Enum <-> name tables; name_of returns "unknown" for a value without a name. */
struct enum_name {
	uint32_t value;
	const char *name;
};
const char *name_of(const struct enum_name *table, uint32_t value);
int value_of(napi_env env, const struct enum_name *table, napi_value v, const char *what, uint32_t *out);

/* Registration of each file's functions on the exports object. */
void register_segment(napi_env env, napi_value exports);
void register_tables(napi_env env, napi_value exports);
void register_maps(napi_env env, napi_value exports);
void export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn);

#endif
