/*
 * The map operations of both faces, dispatched by type. Operations a type lacks answer as the TypeScript maps do
 * (src/helpers/maps): NULL or -EINVAL on the program side; on the user side -ENOTSUPP for ring buffers and
 * -EOPNOTSUPP for perf event arrays (whose slots hold perf events user space cannot read back).
 */
#include "htab.h"

static inline int hash_map(const struct bpftime_map *m)
{
	return m->htab != NULL;
}

static inline int array_map(const struct bpftime_map *m)
{
	return m->values != NULL;
}

static int unsupported_user(const struct bpftime_map *m)
{
	return m->rb != NULL ? -BPFTIME_ENOTSUPP : -EOPNOTSUPP;
}

BPFTIME_API void *bpftime_map_lookup_elem(struct bpftime_map *m, const void *key)
{
	if (LIKELY(hash_map(m)))
		return htab_lookup_elem(m, key, -1, 1);
	if (array_map(m))
		return array_lookup_elem(m, key, -1);
	return NULL;
}

BPFTIME_API void *bpftime_map_lookup_percpu_elem(struct bpftime_map *m, const void *key, uint32_t cpu)
{
	if (!m->percpu || cpu >= m->ncpus)
		return NULL;
	return hash_map(m) ? htab_lookup_elem(m, key, cpu, 1) : array_lookup_elem(m, key, cpu);
}

BPFTIME_API long bpftime_map_update_elem(struct bpftime_map *m, const void *key, const void *value, uint64_t flags)
{
	if (!m->prog_writable)
		return -EPERM;
	if (LIKELY(hash_map(m)))
		return htab_update(m, key, value, flags, 0, 0);
	if (array_map(m))
		return array_update(m, key, value, flags, 0, 0);
	return -EINVAL;
}

BPFTIME_API long bpftime_map_delete_elem(struct bpftime_map *m, const void *key)
{
	if (hash_map(m))
		return m->prog_writable ? htab_delete(m, key) : -EPERM;
	return -EINVAL;
}

BPFTIME_API uint32_t bpftime_map_user_value_size(const struct bpftime_map *m)
{
	return m->percpu ? m->value_stride * m->ncpus : m->value_size;
}

BPFTIME_API int bpftime_map_lookup_user(struct bpftime_map *m, const void *key, void *value)
{
	if (hash_map(m) || array_map(m)) {
		if (!m->user_readable)
			return -EPERM;
		return hash_map(m) ? htab_lookup_user(m, key, value) : array_lookup_user(m, key, value);
	}
	return unsupported_user(m);
}

BPFTIME_API int bpftime_map_update_user(struct bpftime_map *m, const void *key, const void *value,
					uint32_t value_size, uint64_t flags)
{
	if (!hash_map(m) && !array_map(m))
		return unsupported_user(m);
	if (!m->user_writable)
		return -EPERM;
	if (value_size != bpftime_map_user_value_size(m) && !(m->percpu && value_size == m->value_size))
		return -EINVAL;
	if (hash_map(m))
		return (int)htab_update(m, key, value, flags, 1, value_size);
	return (int)array_update(m, key, value, flags, 1, value_size);
}

BPFTIME_API int bpftime_map_delete_user(struct bpftime_map *m, const void *key)
{
	if (m->perf != NULL)
		return perf_delete_user(m, key);
	if (!hash_map(m) && !array_map(m))
		return unsupported_user(m);
	if (!m->user_writable)
		return -EPERM;
	return hash_map(m) ? (int)htab_delete(m, key) : -EINVAL;
}

BPFTIME_API int bpftime_map_get_next_key(struct bpftime_map *m, const void *key, void *next)
{
	if (hash_map(m))
		return htab_next_key(m, key, next);
	if (array_map(m) || m->perf != NULL)
		return array_next_key(m, key, next); /* perf event arrays are arrays to the kernel's get_next_key */
	return unsupported_user(m);
}
