/* Prints the helpers the native runtime implements, "id name" per line (build/runtime-helpers.txt). */
#include <stdio.h>

#include "bpftime_helpers.gen.h"
#include "bpftime_runtime.h"

int main(void)
{
	for (unsigned id = 1; id < BPFTIME_HELPER_ID_COUNT; id++)
		if (bpftime_helper_supported(id)) printf("%u %s\n", id, bpftime_helper_name(id));
	return 0;
}
