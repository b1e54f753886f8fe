// Hex strings of the test tools' command lines and inputs.
#ifndef BPFTIME_TEST_HEX_H
#define BPFTIME_TEST_HEX_H
#include <stdio.h>

// unhex reads pairs of hex digits from `s` into `out` (at most `cap` bytes) and returns how many it read.
static inline size_t unhex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;
	while (s[0] && s[1] && n < cap) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}
#endif
