/* Argument checks, value builders and errors shared by the addon's functions (addon.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addon.h"

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EPROTO: return "EPROTO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ESTALE: return "ESTALE";
	case BPFTIME_ENOTSUPP: return "ENOTSUPP";
	default: return "EIO";
	}
}

napi_value throw_errno(napi_env env, int neg_errno, const char *msg)
{
	int e = neg_errno < 0 ? -neg_errno : neg_errno;
	napi_value code, message, error;
	napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
	napi_create_string_utf8(env, msg && *msg ? msg : strerror(e), NAPI_AUTO_LENGTH, &message);
	napi_create_error(env, code, message, &error);
	set(env, error, "errno", num(env, e));
	napi_throw(env, error);
	return NULL;
}

static int type_error(napi_env env, const char *what, const char *expected)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "%s must be %s", what, expected);
	napi_throw_type_error(env, NULL, msg);
	return -1;
}

int args(napi_env env, napi_callback_info info, size_t min, napi_value *argv, size_t *argc)
{
	size_t n = MAX_ARGS;
	if (napi_get_cb_info(env, info, &n, argv, NULL, NULL) != napi_ok)
		return -1;
	for (size_t i = n; i < MAX_ARGS; i++)
		napi_get_undefined(env, &argv[i]);
	if (argc != NULL)
		*argc = n;
	if (n < min) {
		char msg[96];
		snprintf(msg, sizeof(msg), "expected %u arguments, got %u", (unsigned)min, (unsigned)n);
		napi_throw_type_error(env, NULL, msg);
		return -1;
	}
	return 0;
}

int arg_seg(napi_env env, napi_value v, struct bpftime_seg **out)
{
	struct handle *h;
	if (napi_get_value_external(env, v, (void **)&h) != napi_ok)
		return type_error(env, "segment", "a handle from open()");
	if (h->seg == NULL) {
		throw_errno(env, -EINVAL, "the segment is closed");
		return -1;
	}
	*out = h->seg;
	return 0;
}

int arg_map(napi_env env, struct bpftime_seg *seg, napi_value v, struct bpftime_map **out)
{
	uint32_t id;
	if (arg_u32(env, v, "map id", &id) < 0)
		return -1;
	*out = bpftime_seg_map(seg, id);
	if (*out == NULL) {
		char msg[64];
		snprintf(msg, sizeof(msg), "no map with id %u", id);
		throw_errno(env, -ENOENT, msg);
		return -1;
	}
	return 0;
}

int arg_u32(napi_env env, napi_value v, const char *what, uint32_t *out)
{
	int64_t x;
	if (napi_get_value_int64(env, v, &x) != napi_ok || x < 0 || x > UINT32_MAX)
		return type_error(env, what, "an integer from 0 to 2^32-1");
	*out = (uint32_t)x;
	return 0;
}

int arg_i64(napi_env env, napi_value v, const char *what, int64_t *out)
{
	if (napi_get_value_int64(env, v, out) != napi_ok)
		return type_error(env, what, "an integer");
	return 0;
}

int arg_u64(napi_env env, napi_value v, const char *what, uint64_t *out)
{
	napi_valuetype t;
	napi_typeof(env, v, &t);
	if (t == napi_bigint) {
		bool lossless;
		if (napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok && lossless)
			return 0;
		return type_error(env, what, "a bigint from 0 to 2^64-1");
	}
	double d;
	if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 9007199254740991.0 || d != (double)(uint64_t)d)
		return type_error(env, what, "a non-negative integer or bigint");
	*out = (uint64_t)d;
	return 0;
}

int arg_bytes(napi_env env, napi_value v, const char *what, void **data, size_t *len)
{
	bool is;
	napi_typedarray_type t;
	if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
	    napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) != napi_ok || t != napi_uint8_array)
		return type_error(env, what, "a Uint8Array");
	return 0;
}

int arg_str(napi_env env, napi_value v, const char *what, char *buf, size_t len)
{
	size_t n;
	if (napi_get_value_string_utf8(env, v, buf, len, &n) != napi_ok)
		return type_error(env, what, "a string");
	return 0;
}

static int is_undefined(napi_env env, napi_value v)
{
	napi_valuetype t;
	return napi_typeof(env, v, &t) != napi_ok || t == napi_undefined;
}

int maybe_u32(napi_env env, napi_value v, const char *what, uint32_t *out)
{
	return is_undefined(env, v) ? 0 : arg_u32(env, v, what, out);
}

int maybe_u64(napi_env env, napi_value v, const char *what, uint64_t *out)
{
	return is_undefined(env, v) ? 0 : arg_u64(env, v, what, out);
}

int opt_value(napi_env env, napi_value obj, const char *key, napi_value *out)
{
	napi_valuetype t;
	if (napi_typeof(env, obj, &t) != napi_ok || t != napi_object)
		return 0;
	bool has;
	if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has)
		return 0;
	napi_get_named_property(env, obj, key, out);
	napi_typeof(env, *out, &t);
	return t != napi_undefined;
}

#define OPT(kind, type, fn)                                                                                        \
	int opt_##kind(napi_env env, napi_value obj, const char *key, type *out)                                   \
	{                                                                                                          \
		napi_value v;                                                                                      \
		return opt_value(env, obj, key, &v) ? fn(env, v, key, out) : 0;                                    \
	}
OPT(u32, uint32_t, arg_u32)
OPT(i64, int64_t, arg_i64)
OPT(u64, uint64_t, arg_u64)

int opt_bool(napi_env env, napi_value obj, const char *key, int *out)
{
	napi_value v;
	bool b;
	if (!opt_value(env, obj, key, &v))
		return 0;
	if (napi_get_value_bool(env, v, &b) != napi_ok)
		return type_error(env, key, "a boolean");
	*out = b;
	return 0;
}

int opt_str(napi_env env, napi_value obj, const char *key, char *buf, size_t len)
{
	napi_value v;
	return opt_value(env, obj, key, &v) ? arg_str(env, v, key, buf, len) : 0;
}

napi_value num(napi_env env, double v)
{
	napi_value r;
	napi_create_double(env, v, &r);
	return r;
}

napi_value big(napi_env env, uint64_t v)
{
	napi_value r;
	napi_create_bigint_uint64(env, v, &r);
	return r;
}

napi_value str(napi_env env, const char *s, size_t len)
{
	napi_value r;
	napi_create_string_utf8(env, s, len, &r);
	return r;
}

napi_value undefined(napi_env env)
{
	napi_value r;
	napi_get_undefined(env, &r);
	return r;
}

napi_value copy_bytes(napi_env env, const void *data, size_t len)
{
	napi_value r;
	void *copy;
	napi_create_buffer_copy(env, len, data, &copy, &r);
	return r;
}

napi_value new_object(napi_env env)
{
	napi_value r;
	napi_create_object(env, &r);
	return r;
}

void set(napi_env env, napi_value obj, const char *key, napi_value v)
{
	napi_set_named_property(env, obj, key, v);
}

const char *name_of(const struct enum_name *table, uint32_t value)
{
	for (; table->name != NULL; table++)
		if (table->value == value)
			return table->name;
	return "unknown";
}

int value_of(napi_env env, const struct enum_name *table, napi_value v, const char *what, uint32_t *out)
{
	char buf[64];
	if (arg_str(env, v, what, buf, sizeof(buf)) < 0)
		return -1;
	for (const struct enum_name *t = table; t->name != NULL; t++) {
		if (strcmp(t->name, buf) == 0) {
			*out = t->value;
			return 0;
		}
	}
	char msg[128];
	snprintf(msg, sizeof(msg), "%s \"%s\" is unknown", what, buf);
	throw_errno(env, -EINVAL, msg);
	return -1;
}

void export_fn(napi_env env, napi_value exports, const char *name, napi_callback fn)
{
	napi_value f;
	napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
	napi_set_named_property(env, exports, name, f);
}

static napi_value init(napi_env env, napi_value exports)
{
	register_segment(env, exports);
	register_tables(env, exports);
	register_maps(env, exports);
	return exports;
}

NAPI_MODULE(bpftime_shm, init)
