/* String and checksum helpers (src/helpers/kernel/strings.ts): bpf_strtol, bpf_strtoul (optional spaces and sign, a 0x prefix
 * in base 16 or 0, octal for a leading 0 in base 0; the characters used, -EINVAL with no digit, -ERANGE out of
 * range), bpf_strncmp and bpf_csum_diff. */
#include <errno.h>
#include <string.h>

#include "helpers.h"

static int digit(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'z') return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
	return 99;
}

/* parse follows printf.ts's parseInteger on text[0..n); returns the characters used or a negated errno. */
static long parse(const char *text, size_t n, unsigned base, int is_signed, uint64_t *out)
{
	size_t i = 0;
	while (i < n && (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'))) i++;
	int neg = 0;
	if (i < n && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
	int hex_prefix = i + 1 < n && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X');
	size_t start = i + (hex_prefix ? 2 : 0);
	unsigned radix = base;
	if (radix == 0) radix = hex_prefix ? 16 : start < n && text[start] == '0' ? 8 : 10;
	else if (hex_prefix && radix != 16) start -= 2;
	unsigned __int128 value = 0;
	int big = 0;
	size_t used = 0;
	for (size_t k = start; k < n && digit(text[k]) < (int)radix; k++, used++) {
		value = value * radix + (unsigned)digit(text[k]);
		if (value >> 64) big = 1, value &= ~(unsigned __int128)0 >> 64;
	}
	if (used == 0) return -EINVAL;
	if (neg && !is_signed) return -EINVAL;
	uint64_t v = (uint64_t)value;
	if (big || (is_signed && (neg ? v > (1ull << 63) : v > INT64_MAX))) return -ERANGE;
	*out = neg ? (uint64_t)0 - v : v;
	return (long)(start + used);
}

static uint64_t strto(struct bpftime_exec *x, uint64_t buf, uint64_t len, uint64_t flags, uint64_t res, int is_signed)
{
	unsigned base = (unsigned)(flags & 0x1f);
	if (len == 0 || (base != 0 && base != 8 && base != 10 && base != 16) || flags >> 5) return RET_ERR(EINVAL);
	const char *text = rt_guest_ptr(x, buf, len, 0);
	rt_vec_spill(x->th);
	const char *nul = memchr(text, 0, len);
	uint64_t v = 0;
	long used = parse(text, nul ? (size_t)(nul - text) : len, base, is_signed, &v);
	if (used < 0) return (uint64_t)(int64_t)used;
	__builtin_memcpy(rt_guest_ptr(x, res, 8, 1), &v, 8);
	return (uint64_t)used;
}

HELPER(strtol) { return strto(x, r1, r2, r3, r4, 1); }
HELPER(strtoul) { return strto(x, r1, r2, r3, r4, 0); }

HELPER(strncmp)
{
	const uint8_t *a = rt_guest_ptr(x, r1, r2, 0);
	for (uint64_t k = 0; k < r2; k++) {
		uint8_t b = *(const uint8_t *)rt_guest_ptr(x, r3 + k, 1, 0);
		int d = (int)a[k] - (int)b;
		if (d != 0 || a[k] == 0) return (uint64_t)(int64_t)d;
	}
	return 0;
}

/* bpf_csum_diff: the one's complement sum of `to`'s 32-bit words minus `from`'s, plus the seed, folded to 32 bits. */
HELPER(csum_diff)
{
	if (r2 % 4 || r4 % 4) return RET_ERR(EINVAL);
	uint64_t sum = (uint32_t)r5;
	uint32_t w;
	const uint8_t *from = r2 ? rt_guest_ptr(x, r1, r2, 0) : NULL, *to = r4 ? rt_guest_ptr(x, r3, r4, 0) : NULL;
	for (uint64_t k = 0; k < r2; k += 4) __builtin_memcpy(&w, from + k, 4), sum += (uint32_t)~w;
	for (uint64_t k = 0; k < r4; k += 4) __builtin_memcpy(&w, to + k, 4), sum += w;
	while (sum >> 32) sum = (sum & 0xffffffffu) + (sum >> 32);
	return sum;
}
