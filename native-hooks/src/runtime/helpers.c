/* The helper table: which kernel helper ids the native runtime implements (RUNTIME_HELPERS in helpers.h), indexed
 * by the ids of bpftime_helpers.gen.h, generated from the one helper table in src/helpers/kernel. */
#include "helpers.h"

#define ENTRY(name) [BPFTIME_HELPER_##name##_ID] = bpftime_h_##name,
#define ID(id, name) BPFTIME_HELPER_##name##_ID = id,
enum { BPFTIME_HELPER_NAMES(ID) };
#undef ID

const bpftime_helper_fn bpftime_helper_table[BPFTIME_HELPER_ID_COUNT] = { RUNTIME_HELPERS(ENTRY) };

#define NAME(id, name) [id] = #name,
static const char *const names[BPFTIME_HELPER_ID_COUNT] = { [0] = "unspec", BPFTIME_HELPER_NAMES(NAME) };

int bpftime_helper_supported(uint32_t id)
{
	return id < BPFTIME_HELPER_ID_COUNT && bpftime_helper_table[id] != NULL;
}

const char *bpftime_helper_name(uint32_t id)
{
	return id < BPFTIME_HELPER_ID_COUNT ? names[id] : NULL;
}
