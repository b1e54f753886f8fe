/* The probe_read family (src/helpers/kernel/common.ts probeCopy, probeCopyString): copies from an address the program
 * cannot be trusted with. A source inside what the program may read in guest memory (its stack, context, map
 * storage) is read there, as the TypeScript runtime does; any other address is the probed process's own memory and
 * is read with process_vm_readv on the process itself, which fails with EFAULT on an unmapped page instead of
 * faulting: no signal handler. A bad source zero-fills the destination and returns -EFAULT, as the kernel does. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "helpers.h"

#define PAGE 4096u

static int host_read(void *dst, uint64_t src, size_t n)
{
	if (n == 0) return 0;
	struct iovec local = { dst, n }, remote = { (void *)(uintptr_t)src, n };
	return process_vm_readv(rt_pid(), &local, 1, &remote, 1, 0) == (ssize_t)n ? 0 : -EFAULT;
}

int rt_read_any(struct bpftime_exec *x, void *dst, uint64_t src, size_t n)
{
	if (rt_guest_readable(x, src, n)) {
		memcpy(dst, x->th->rt->guest + src, n);
		return 0;
	}
	return host_read(dst, src, n);
}

long rt_read_any_str(struct bpftime_exec *x, char *dst, uint64_t src, size_t max)
{
	if (max == 0) return 0;
	rt_vec_spill(x->th); /* memchr */
	char buf[256];
	size_t k = 0;
	while (k < max - 1) {
		/* Never cross a page in one read (the next page may be unmapped past the string's end), and copy out only
		 * up to the NUL: the bytes after it stay as they were, as in the TypeScript runtime and the kernel. */
		size_t chunk = PAGE - (size_t)((src + k) % PAGE);
		if (chunk > max - 1 - k) chunk = max - 1 - k;
		if (chunk > sizeof(buf)) chunk = sizeof(buf);
		/* In guest memory, a string may end at its region's end (a constant at the end of .rodata). */
		uint64_t end = rt_guest_span_end(x, src + k);
		if (end && chunk > end - (src + k)) chunk = (size_t)(end - (src + k));
		if (rt_read_any(x, buf, src + k, chunk) != 0) return -EFAULT;
		char *nul = memchr(buf, 0, chunk);
		size_t n = nul ? (size_t)(nul - buf) + 1 : chunk;
		memcpy(dst + k, buf, n);
		if (nul) return (long)(k + n);
		k += chunk;
	}
	dst[max - 1] = 0;
	return (long)max;
}

static uint64_t probe_read(struct bpftime_exec *x, uint64_t dst, uint64_t size, uint64_t src)
{
	uint8_t *out = rt_guest_ptr(x, dst, size, 1);
	if (rt_read_any(x, out, src, size) == 0) return 0;
	memset(out, 0, size);
	return RET_ERR(EFAULT);
}

static uint64_t probe_read_str(struct bpftime_exec *x, uint64_t dst, uint64_t size, uint64_t src)
{
	if (size == 0) return 0;
	char *out = rt_guest_ptr(x, dst, size, 1);
	long n = rt_read_any_str(x, out, src, size);
	if (n >= 0) return (uint64_t)n;
	memset(out, 0, size);
	return RET_ERR(EFAULT);
}

HELPER(probe_read) { return probe_read(x, r1, r2, r3); }
HELPER(probe_read_user) { return probe_read(x, r1, r2, r3); }
HELPER(probe_read_kernel) { return probe_read(x, r1, r2, r3); }
HELPER(probe_read_str) { return probe_read_str(x, r1, r2, r3); }
HELPER(probe_read_user_str) { return probe_read_str(x, r1, r2, r3); }
HELPER(probe_read_kernel_str) { return probe_read_str(x, r1, r2, r3); }
