// Symbol resolution: the PIE executable, a shared library, libc by basename, SYM+OFF, raw file offsets,
// versioned names, ifuncs, and the errors.
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "targets.h"

static void *libc_sym(const char *name)
{
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *p = h ? dlsym(h, name) : NULL;
	if (h)
		dlclose(h);
	return p;
}

static void resolves(void)
{
	struct bpftime_resolved r;
	struct bpftime_hook_error err = {0};
	CHECK(bpftime_resolve(NULL, "t_endbr", &r, &err) == 0, "%s", err.msg);
	CHECK(r.addr == (uintptr_t)t_endbr && r.is_entry && r.func_size == 14, "exe: %#lx size %lu",
	      (unsigned long)r.addr, (unsigned long)r.func_size);
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	CHECK(bpftime_resolve(exe, "t_riprel+3", &r, &err) == 0, "%s", err.msg);
	CHECK(r.addr == (uintptr_t)t_riprel + 3 && !r.is_entry && r.func == (uintptr_t)t_riprel, "SYM+OFF");
	CHECK(bpftime_resolve(NULL, "t_riprel+0x3", &r, &err) == 0 && r.addr == (uintptr_t)t_riprel + 3, "hex OFF");
	CHECK(bpftime_resolve("libhooktarget.so", "hooktarget_mul", &r, &err) == 0, "%s", err.msg);
	CHECK(r.addr == (uintptr_t)hooktarget_mul && strstr(r.path, "libhooktarget.so"), "shared library");
	CHECK(bpftime_resolve("libc.so.6", "malloc", &r, &err) == 0, "%s", err.msg);
	CHECK(r.addr == (uintptr_t)libc_sym("malloc"), "libc malloc %#lx", (unsigned long)r.addr);
	CHECK(bpftime_resolve("libc.so.6", "malloc@@GLIBC_2.2.5", &r, &err) == 0, "%s", err.msg);
	CHECK(r.addr == (uintptr_t)libc_sym("malloc"), "versioned malloc");
	/* memcpy is an ifunc in glibc: the probe goes on the implementation the dynamic linker chose */
	CHECK(bpftime_resolve("libc.so.6", "memcpy", &r, &err) == 0, "%s", err.msg);
	CHECK(r.addr == (uintptr_t)libc_sym("memcpy") && r.is_entry, "ifunc memcpy %#lx", (unsigned long)r.addr);
	CHECK(bpftime_resolve_spec("libhooktarget.so:hooktarget_mul+1", &r, &err) == 0, "%s", err.msg);
	CHECK(r.addr == (uintptr_t)hooktarget_mul + 1, "spec");
}

/* file_offset: the offset in the executable of address p (what a raw "0x..." spec names). */
static unsigned long file_offset(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	unsigned long lo, hi, off, res = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && (uintptr_t)p >= lo && (uintptr_t)p < hi)
			res = (uintptr_t)p - lo + off;
	if (f)
		fclose(f);
	return res;
}

static void raw_offsets(void)
{
	struct bpftime_resolved r;
	struct bpftime_hook_error err = {0};
	char spec[64];
	snprintf(spec, sizeof spec, "%#lx", file_offset((void *)t_pushrbp));
	CHECK(bpftime_resolve(NULL, spec, &r, &err) == 0, "%s: %s", spec, err.msg);
	CHECK(r.addr == (uintptr_t)t_pushrbp && r.is_entry && r.func == (uintptr_t)t_pushrbp, "raw offset %s", spec);
	CHECK(bpftime_function_at((uintptr_t)t_riplea + 4, &r, &err) == 0, "%s", err.msg);
	CHECK(r.func == (uintptr_t)t_riplea && !r.is_entry && r.func_size > 4, "function_at");
}

static void errors(void)
{
	struct bpftime_resolved r;
	struct bpftime_hook_error err = {0};
	CHECK(bpftime_resolve(NULL, "no_such_function", &r, &err) == -ENOENT && strstr(err.msg, "no function symbol"),
	      "missing symbol: %d %s", err.code, err.msg);
	CHECK(bpftime_resolve("libnope.so.9", "f", &r, &err) == -ESRCH && strstr(err.msg, "libnope.so.9"),
	      "unmapped library: %s", err.msg);
	CHECK(bpftime_resolve("/usr/bin/true", "main", &r, &err) == -ESRCH && strstr(err.msg, "not mapped"),
	      "unmapped path: %s", err.msg);
	CHECK(bpftime_resolve(NULL, "t_endbr+0x100", &r, &err) == -ERANGE && strstr(err.msg, "beyond the end"),
	      "offset beyond: %s", err.msg);
	CHECK(bpftime_resolve(NULL, "t_endbr+", &r, &err) == -EINVAL, "bad spec: %s", err.msg);
	CHECK(bpftime_resolve(NULL, "0x7fffffffffff", &r, &err) == -ESRCH, "unmapped offset: %s", err.msg);
	CHECK(bpftime_resolve_spec("no-colon", &r, &err) == -EINVAL && strstr(err.msg, "BINARY:FUNC"), "spec: %s",
	      err.msg);
	CHECK(bpftime_resolve("libc.so.6", "malloc@NOPE_1.0", &r, &err) == -ENOENT, "bad version: %s", err.msg);
	CHECK(bpftime_function_at((uintptr_t)&err, &r, &err) == -ESRCH, "stack address: %s", err.msg);
}

int main(void)
{
	RUN(resolves);
	RUN(raw_offsets);
	RUN(errors);
	return DONE();
}
