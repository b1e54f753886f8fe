/* bpf_trace_printk, bpf_trace_vprintk and bpf_snprintf: the kernel's bpf_bprintf_prepare rules as
 * src/helpers/kernel/printf.ts implements them (conversions d i u x X o c s p % with flags, width and precision;
 * l/ll/z take 64 bits, h/hh 16/8, none 32; %s and %pI4/%pi4/%pI6/%pi6 read memory, fault-safe). A format the kernel
 * rejects makes the helper return -EINVAL. Lines go to the runtime's printk callback without their newline. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

#define MAX_STRING 512    /* longest %s read, the kernel's MAX_BPRINTF_STR_LEN */
#define MAX_FORMAT 4096
#define MAX_OUTPUT 1024
#define TRACE_PRINTK_MAX_ARGS 3
#define VPRINTK_MAX_ARGS 12

struct out {
	char buf[MAX_OUTPUT];
	size_t len;       /* may exceed MAX_OUTPUT: the length the text would have */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len < MAX_OUTPUT) memcpy(o->buf + o->len, s, o->len + n <= MAX_OUTPUT ? n : MAX_OUTPUT - o->len);
	o->len += n;
}

static void put_fill(struct out *o, char c, size_t n)
{
	for (size_t i = 0; i < n; i++) put(o, &c, 1);
}

struct spec {
	int minus, plus, space, zero, hash;
	int width, precision;   /* -1: none */
	int bits;
	char conv;
};

/* pad writes body padded to the width as printf.ts pad does (zero padding after the sign and 0x prefix). */
static void pad(struct out *o, const char *body, size_t n, const struct spec *sp, int numeric)
{
	size_t width = sp->width < 0 ? 0 : (size_t)sp->width;
	if (n >= width) return put(o, body, n);
	if (sp->minus) return put(o, body, n), put_fill(o, ' ', width - n);
	if (numeric && sp->zero && sp->precision < 0) {
		size_t sign = (body[0] == '-' || body[0] == '+' || body[0] == ' ') ? 1 : 0;
		size_t prefix = (n >= sign + 2 && body[sign] == '0' && (body[sign + 1] == 'x' || body[sign + 1] == 'X')) ? 2 : 0;
		put(o, body, sign + prefix);
		put_fill(o, '0', width - n);
		return put(o, body + sign + prefix, n - sign - prefix);
	}
	put_fill(o, ' ', width - n);
	put(o, body, n);
}

static void integer(struct out *o, uint64_t v, const struct spec *sp)
{
	int is_signed = sp->conv == 'd' || sp->conv == 'i';
	uint64_t mask = sp->bits == 64 ? ~0ull : (1ull << sp->bits) - 1;
	uint64_t u = v & mask;
	int neg = 0;
	if (is_signed && sp->bits < 64 && (u >> (sp->bits - 1)) & 1) neg = 1, u = (~u + 1) & mask;
	else if (is_signed && sp->bits == 64 && (int64_t)u < 0) neg = 1, u = ~u + 1;
	unsigned base = sp->conv == 'x' || sp->conv == 'X' ? 16 : sp->conv == 'o' ? 8 : 10;
	const char *digit = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[32];
	int k = 0;
	for (uint64_t m = u; m; m /= base) tmp[k++] = digit[m % base];
	if (k == 0) tmp[k++] = '0';
	char body[160];
	size_t n = 0;
	if (neg) body[n++] = '-';
	else if (is_signed && sp->plus) body[n++] = '+';
	else if (is_signed && sp->space) body[n++] = ' ';
	if (sp->hash && u != 0) {
		if (sp->conv == 'o') body[n++] = '0';
		else if (sp->conv == 'x' || sp->conv == 'X') body[n++] = '0', body[n++] = sp->conv;
	}
	if (sp->precision == 0 && u == 0) k = 0;
	for (int z = k; z < sp->precision && n < 120; z++) body[n++] = '0';
	while (k > 0) body[n++] = tmp[--k];
	pad(o, body, n, sp, 1);
}

static void ip_address(struct bpftime_exec *x, struct out *o, uint64_t addr, int v6, int leading_zeros)
{
	uint8_t b[16];
	char text[48];
	size_t n = 0;
	if (rt_read_any(x, b, addr, v6 ? 16 : 4) != 0) return put(o, "(fault)", 7);
	if (!v6) n = (size_t)snprintf(text, sizeof(text), leading_zeros ? "%03u.%03u.%03u.%03u" : "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	else
		for (int k = 0; k < 16; k += 2) n += (size_t)snprintf(text + n, sizeof(text) - n, leading_zeros ? "%s%04x" : "%s%x", k ? ":" : "", (b[k] << 8) | b[k + 1]);
	put(o, text, n);
}

/* format runs fmt over args; returns 0 or -EINVAL as the kernel's checks would. */
static int format(struct bpftime_exec *x, struct out *o, const char *fmt, const uint64_t *args, int nargs)
{
	int next = 0;
	for (const char *p = fmt; *p;) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			put(o, p, n);
			p += n;
			continue;
		}
		struct spec sp = { .width = -1, .precision = -1, .bits = 32 };
		const char *q = p + 1;
		for (;; q++) {
			if (*q == '-') sp.minus = 1;
			else if (*q == '+') sp.plus = 1;
			else if (*q == ' ') sp.space = 1;
			else if (*q == '0') sp.zero = 1;
			else if (*q == '#') sp.hash = 1;
			else break;
		}
		if (*q >= '0' && *q <= '9')
			for (sp.width = 0; *q >= '0' && *q <= '9'; q++) sp.width = sp.width < 100000 ? sp.width * 10 + (*q - '0') : sp.width;
		if (*q == '.' && q[1] >= '0' && q[1] <= '9')
			for (q++, sp.precision = 0; *q >= '0' && *q <= '9'; q++) sp.precision = sp.precision < 100000 ? sp.precision * 10 + (*q - '0') : sp.precision;
		if (q[0] == 'h' && q[1] == 'h') sp.bits = 8, q += 2;
		else if (q[0] == 'h') sp.bits = 16, q++;
		else if (q[0] == 'l' && q[1] == 'l') sp.bits = 64, q += 2;
		else if (q[0] == 'l' || q[0] == 'z') sp.bits = 64, q++;
		if (!*q || !strchr("diuxXocsp%", *q)) return -EINVAL;
		sp.conv = *q++;
		p = q;
		if (sp.conv == '%') {
			put(o, "%", 1);
			continue;
		}
		if (next >= nargs) return -EINVAL;
		uint64_t v = args[next++];
		if (sp.conv == 'c') {
			char c = (char)(v & 0xff);
			pad(o, &c, 1, &sp, 0);
		} else if (sp.conv == 's') {
			char s[MAX_STRING + 1];
			long n;
			if (v == 0) n = (long)strlen(strcpy(s, "(null)"));
			else if ((n = rt_read_any_str(x, s, v, MAX_STRING + 1)) < 0) n = (long)strlen(strcpy(s, "(fault)"));
			else n = (long)strlen(s);
			if (sp.precision >= 0 && n > sp.precision) n = sp.precision;
			pad(o, s, (size_t)n, &sp, 0);
		} else if (sp.conv == 'p') {
			static const char *const ext[] = { "I4", "i4", "I6", "i6", "K", "x", "s", "S", "B" };
			size_t used = 0;
			for (size_t e = 0; e < sizeof(ext) / sizeof(ext[0]) && !used; e++)
				if (strncmp(p, ext[e], strlen(ext[e])) == 0) used = strlen(ext[e]);
			if (used == 2 && (p[0] == 'I' || p[0] == 'i')) ip_address(x, o, v, p[1] == '6', p[0] == 'i');
			else {
				char body[24];
				int n = snprintf(body, sizeof(body), "0x%016llx", (unsigned long long)v);
				pad(o, body, (size_t)n, &sp, 0);
			}
			p += used;
		} else integer(o, v, &sp);
	}
	return 0;
}

/* guest_cstring reads the format string: NUL-terminated within max bytes of readable guest memory (a bad byte
 * before the NUL traps, as cString does in the TypeScript runtime). */
static void guest_cstring(struct bpftime_exec *x, uint64_t addr, uint64_t max, char *buf, size_t cap)
{
	size_t k = 0;
	for (; k < max && k + 1 < cap; k++) {
		const char *c = rt_guest_ptr(x, addr + k, 1, 0);
		if (*c == 0) break;
		buf[k] = *c;
	}
	buf[k] = 0;
}

static uint64_t emit(struct bpftime_exec *x, uint64_t fmt, uint64_t fmt_size, const uint64_t *args, int nargs)
{
	char f[MAX_FORMAT + 1];
	struct out o;
	o.len = 0;
	guest_cstring(x, fmt, fmt_size, f, sizeof(f));
	if (format(x, &o, f, args, nargs) != 0) return RET_ERR(EINVAL);
	size_t shown = o.len < MAX_OUTPUT ? o.len : MAX_OUTPUT;
	if (shown > 0 && o.buf[shown - 1] == '\n') shown--;
	struct bpftime_runtime *rt = x->th->rt;
	rt->opts.printk(rt->opts.printk_arg, x->prog, o.buf, shown);
	return o.len;
}

/* u64_array reads the argument array of vprintk and snprintf, or says -EINVAL (a bad length). */
static int u64_array(struct bpftime_exec *x, uint64_t addr, uint64_t len, uint64_t *out)
{
	if (len % 8 != 0 || len / 8 > VPRINTK_MAX_ARGS) return -EINVAL;
	if (len) memcpy(out, rt_guest_ptr(x, addr, len, 0), len);
	return (int)(len / 8);
}

/* The formatting helpers call libc's snprintf and string functions: they save the vector registers first
 * (rt_vec_spill). */
HELPER(trace_printk)
{
	uint64_t args[TRACE_PRINTK_MAX_ARGS] = { r3, r4, r5 };
	rt_vec_spill(x->th);
	return emit(x, r1, r2, args, TRACE_PRINTK_MAX_ARGS);
}

HELPER(trace_vprintk)
{
	uint64_t args[VPRINTK_MAX_ARGS];
	rt_vec_spill(x->th);
	int n = u64_array(x, r3, r4, args);
	return n < 0 ? RET_ERR(EINVAL) : emit(x, r1, r2, args, n);
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): returns the full length with the NUL. */
HELPER(snprintf)
{
	uint64_t args[VPRINTK_MAX_ARGS];
	rt_vec_spill(x->th);
	int n = u64_array(x, r4, r5, args);
	if (n < 0) return RET_ERR(EINVAL);
	char f[MAX_FORMAT + 1];
	struct out o;
	o.len = 0;
	guest_cstring(x, r3, MAX_FORMAT, f, sizeof(f));
	if (format(x, &o, f, args, n) != 0) return RET_ERR(EINVAL);
	if (r2 > 0) {
		char *dst = rt_guest_ptr(x, r1, r2, 1);
		size_t k = o.len < r2 - 1 ? o.len : r2 - 1;
		if (k > MAX_OUTPUT) k = MAX_OUTPUT;
		memcpy(dst, o.buf, k);
		dst[k] = 0;
	}
	return o.len + 1;
}
