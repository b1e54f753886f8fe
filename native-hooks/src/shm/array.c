/*
 * Array maps (kernel/bpf/arraymap.c semantics): array and percpu_array. Every index below max_entries exists,
 * zero-initialised; values are rewritten in place without locks, as in the kernel (BPF_F_LOCK serialises writers of
 * a value that holds a bpf_spin_lock).
 */
#include "internal.h"

uint64_t array_storage(const struct bpftime_map_spec *s, uint32_t ncpus, struct bpftime_array_params *p)
{
	int percpu = s->type == BPFTIME_MAP_PERCPU_ARRAY;
	p->elem_size = (uint32_t)(round_up(s->value_size, 8) * (percpu ? ncpus : 1));
	p->values_off = 0;
	return (uint64_t)s->max_entries * p->elem_size;
}

static inline uint8_t *elem_values(struct bpftime_map *m, uint32_t index)
{
	return m->values + (uint64_t)index * m->array_elem_size;
}

void *array_lookup_elem(struct bpftime_map *m, const void *key, int64_t cpu)
{
	uint32_t index;
	memcpy(&index, key, 4);
	if (UNLIKELY(index >= m->max_entries))
		return NULL;
	uint8_t *v = elem_values(m, index);
	if (!m->percpu)
		return v;
	uint32_t c = cpu < 0 ? current_cpu(m->ncpus) : (uint32_t)cpu;
	return v + (uint64_t)c * m->value_stride;
}

long array_update(struct bpftime_map *m, const void *key, const void *value, uint64_t flags, int user,
		  uint32_t user_size)
{
	uint32_t index;
	memcpy(&index, key, 4);
	int mode = update_mode(flags);
	if (mode < 0)
		return -EINVAL;
	if (index >= m->max_entries)
		return -E2BIG;
	if (mode == BPFTIME_NOEXIST)
		return -EEXIST;
	if ((flags & BPFTIME_F_LOCK) && m->spin_lock_off < 0)
		return -EINVAL;
	return write_values(m, elem_values(m, index), value, user, user_size, flags, 0);
}

int array_lookup_user(struct bpftime_map *m, const void *key, void *value)
{
	uint32_t index;
	memcpy(&index, key, 4);
	if (index >= m->max_entries)
		return -ENOENT;
	read_user_values(m, elem_values(m, index), value);
	return 0;
}

/* array_next_key: index + 1; an absent key (or an index out of range) restarts at 0, as the kernel does. */
int array_next_key(struct bpftime_map *m, const void *key, void *next)
{
	uint32_t index = 0, n;
	if (key != NULL)
		memcpy(&index, key, 4);
	if (key == NULL || index >= m->max_entries)
		n = 0;
	else if (index == m->max_entries - 1)
		return -ENOENT;
	else
		n = index + 1;
	memcpy(next, &n, 4);
	return 0;
}
