/*
 * string.c: memcpy, memmove, memset, memcmp and memchr for the agent, built without vector registers.
 *
 * The compiler calls these for copies and comparisons of unknown size (the map code copies keys and values of the
 * map's size), and glibc's versions use SSE/AVX registers: inside a uprobe whose stub did not save them
 * (BPFTIME_PROBE_NO_VECTOR), they would clobber the probed function's xmm arguments. Hidden definitions in the
 * agent bind every call inside the agent to these (the link checks that none is left to libc: mk/agent.mk). Small
 * sizes, the common case on a hit (keys and values), are word moves; large ones `rep movsb`/`rep stosb`.
 */
#include <stddef.h>
#include <stdint.h>

#define AGENT_STRING __attribute__((visibility("hidden"), optimize("no-tree-loop-distribute-patterns")))

AGENT_STRING void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (n >= 256) {
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		return dst;
	}
	for (; n >= 8; n -= 8, d += 8, s += 8) {
		uint64_t w;
		__builtin_memcpy(&w, s, 8);
		__builtin_memcpy(d, &w, 8);
	}
	for (; n > 0; n--) *d++ = *s++;
	return dst;
}

AGENT_STRING void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (d <= s || d >= s + n) {
		for (; n > 0; n--) *d++ = *s++;
	} else {
		for (d += n, s += n; n > 0; n--) *--d = *--s;
	}
	return dst;
}

AGENT_STRING void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	if (n >= 256) {
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
		return dst;
	}
	uint64_t w = 0x0101010101010101ull * (uint8_t)c;
	for (; n >= 8; n -= 8, d += 8) __builtin_memcpy(d, &w, 8);
	for (; n > 0; n--) *d++ = (uint8_t)c;
	return dst;
}

AGENT_STRING int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n >= 8; n -= 8, p += 8, q += 8) {
		uint64_t x, y;
		__builtin_memcpy(&x, p, 8);
		__builtin_memcpy(&y, q, 8);
		if (x != y) break;
	}
	for (; n > 0; n--, p++, q++)
		if (*p != *q) return *p < *q ? -1 : 1;
	return 0;
}

AGENT_STRING void *memchr(const void *s, int c, size_t n)
{
	const uint8_t *p = s;
	for (; n > 0; n--, p++)
		if (*p == (uint8_t)c) return (void *)p;
	return NULL;
}
