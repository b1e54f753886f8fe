// Symbol resolution for probes: "BINARY:FUNC+OFF" -> an address in the calling process (bpftime_hook.h).
#include "elf_internal.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* same_path compares a maps path with a file path, ignoring the " (deleted)" mark of a replaced file. */
static int same_path(const char *mapped, const char *path)
{
	size_t n = strlen(path);
	return strncmp(mapped, path, n) == 0 && (mapped[n] == 0 || strcmp(mapped + n, " (deleted)") == 0);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* find_binary: the mapped file `binary` names (a path, a basename, or NULL/"" for the executable). */
static int find_binary(const struct bpftime_map_entry *m, size_t n, const char *binary, char *path, size_t len,
		       struct bpftime_hook_error *err)
{
	char buf[PATH_MAX];
	if (!binary || !*binary) {
		ssize_t k = readlink("/proc/self/exe", buf, sizeof buf - 1);
		if (k < 0)
			return bpftime_set_error(err, -errno, "readlink /proc/self/exe: %s", strerror(errno));
		buf[k] = 0;
		binary = buf;
	} else if (strchr(binary, '/')) {
		if (!realpath(binary, buf))
			return bpftime_set_error(err, -errno, "%s: %s", binary, strerror(errno));
		binary = buf;
	} else {
		const char *hit = NULL;
		for (size_t i = 0; i < n; i++) {
			if (m[i].path[0] != '/' || strcmp(base_name(m[i].path), binary) != 0)
				continue;
			if (hit && strcmp(hit, m[i].path) != 0)
				return bpftime_set_error(err, -ENOTUNIQ, "'%s' names several mapped files: %s and %s",
							 binary, hit, m[i].path);
			hit = m[i].path;
		}
		if (!hit)
			return bpftime_set_error(err, -ESRCH, "no mapped file named '%s' in this process", binary);
		snprintf(path, len, "%s", hit);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (same_path(m[i].path, binary)) {
			snprintf(path, len, "%s", binary);
			return 0;
		}
	return bpftime_set_error(err, -ESRCH, "%s is not mapped in this process", binary);
}

/* runtime_addr: where file offset `off` of `path` is mapped. */
static int runtime_addr(const struct bpftime_map_entry *m, size_t n, const char *path, uint64_t off, uintptr_t *addr)
{
	for (size_t i = 0; i < n; i++) {
		if (!same_path(m[i].path, path) || off < m[i].offset || off - m[i].offset >= m[i].end - m[i].start)
			continue;
		*addr = m[i].start + (uintptr_t)(off - m[i].offset);
		return 0;
	}
	return -ESRCH;
}

/* parse_func splits "NAME[@[@]VERSION][+OFF]" (into name and version buffers) or reads a raw number. */
static int parse_func(const char *func, char *name, size_t name_len, char *ver, size_t ver_len, uint64_t *off,
		      int *raw)
{
	char *end;
	*raw = func[0] >= '0' && func[0] <= '9';
	*ver = 0;
	if (*raw) {
		errno = 0;
		*off = strtoull(func, &end, 0);
		return errno || *end ? -EINVAL : 0;
	}
	const char *plus = strchr(func, '+');
	size_t nlen = plus ? (size_t)(plus - func) : strlen(func);
	*off = 0;
	if (plus) {
		errno = 0;
		*off = strtoull(plus + 1, &end, 0);
		if (errno || *end || plus[1] == 0 || plus[1] == '-')
			return -EINVAL;
	}
	if (nlen == 0 || nlen >= name_len)
		return -EINVAL;
	memcpy(name, func, nlen);
	name[nlen] = 0;
	char *at = strchr(name, '@');
	if (at) {
		*at = 0;
		const char *v = at[1] == '@' ? at + 2 : at + 1;
		if (!*v || strlen(v) >= ver_len || !*name)
			return -EINVAL;
		snprintf(ver, ver_len, "%s", v);
	}
	return 0;
}

/* ifunc_target: the implementation the dynamic linker chose for an ifunc (the resolver is not the function). */
static int ifunc_target(const char *path, const char *name, const char *ver, uintptr_t *addr,
			struct bpftime_hook_error *err)
{
	void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (!h)
		return bpftime_set_error(err, -ESRCH, "%s: ifunc '%s': the file is not loaded by the dynamic linker",
					 path, name);
	void *p = *ver ? dlvsym(h, name, ver) : dlsym(h, name);
	dlclose(h);
	if (!p)
		return bpftime_set_error(err, -ENOENT, "%s: ifunc '%s' has no resolved implementation", path, name);
	*addr = (uintptr_t)p;
	return 0;
}

static int resolve_in(const struct bpftime_map_entry *m, size_t n, const char *binary, const char *func,
		      struct bpftime_resolved *out, struct bpftime_hook_error *err)
{
	char name[512], ver[128];
	uint64_t off;
	int raw;
	if (!func || parse_func(func, name, sizeof name, ver, sizeof ver, &off, &raw) != 0)
		return bpftime_set_error(err, -EINVAL, "bad function spec '%s' (want NAME, NAME+OFF or 0xOFFSET)",
					 func ? func : "(null)");
	int rc = find_binary(m, n, binary, out->path, sizeof out->path, err);
	if (rc)
		return rc;
	if (raw) {
		if (runtime_addr(m, n, out->path, off, &out->addr) != 0)
			return bpftime_set_error(err, -ESRCH, "%s: file offset 0x%llx is not mapped", out->path,
						 (unsigned long long)off);
		struct bpftime_resolved f;
		if (bpftime_function_at(out->addr, &f, NULL) == 0) {
			out->func = f.func;
			out->func_size = f.func_size;
			out->is_entry = f.func == out->addr;
		} else {
			out->func = out->addr, out->func_size = 0, out->is_entry = 0;
		}
		return 0;
	}
	struct bpftime_elf e;
	if ((rc = bpftime_elf_open(&e, out->path, err)))
		return rc;
	struct bpftime_elf_sym s;
	uint64_t foff;
	rc = bpftime_elf_find_func(&e, name, *ver ? ver : NULL, &s, err);
	if (rc == 0 && s.type != STT_GNU_IFUNC && bpftime_elf_vaddr_to_offset(&e, s.value, &foff) != 0)
		rc = bpftime_set_error(err, -ENOEXEC, "%s: '%s' (0x%llx) is in no loadable segment", out->path, name,
				       (unsigned long long)s.value);
	bpftime_elf_close(&e);
	if (rc)
		return rc;
	if (s.type == STT_GNU_IFUNC) {
		if ((rc = ifunc_target(out->path, name, ver, &out->func, err)))
			return rc;
		struct bpftime_resolved f;
		s.size = bpftime_function_at(out->func, &f, NULL) == 0 && f.func == out->func ? f.func_size : 0;
	} else if (runtime_addr(m, n, out->path, foff, &out->func) != 0) {
		return bpftime_set_error(err, -ESRCH, "%s: '%s' is not in a mapped part of the file", out->path, name);
	}
	if (s.size && off >= s.size)
		return bpftime_set_error(err, -ERANGE, "%s: offset +0x%llx is beyond the end of '%s' (size 0x%llx)",
					 out->path, (unsigned long long)off, name, (unsigned long long)s.size);
	out->addr = out->func + (uintptr_t)off;
	out->func_size = s.size;
	out->is_entry = off == 0;
	return 0;
}

int bpftime_resolve(const char *binary, const char *func, struct bpftime_resolved *out, struct bpftime_hook_error *err)
{
	struct bpftime_map_entry *m;
	size_t n;
	int rc = bpftime_maps_read(&m, &n, err);
	if (rc)
		return rc;
	rc = resolve_in(m, n, binary, func, out, err);
	free(m);
	return rc;
}

int bpftime_resolve_spec(const char *spec, struct bpftime_resolved *out, struct bpftime_hook_error *err)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	if (!colon || colon == spec || !colon[1])
		return bpftime_set_error(err, -EINVAL, "bad uprobe spec '%s' (want BINARY:FUNC[+OFF] or BINARY:0xOFF)",
					 spec ? spec : "(null)");
	char binary[PATH_MAX];
	size_t len = (size_t)(colon - spec);
	if (len >= sizeof binary)
		return bpftime_set_error(err, -ENAMETOOLONG, "uprobe spec '%.64s...': binary path too long", spec);
	memcpy(binary, spec, len);
	binary[len] = 0;
	return bpftime_resolve(binary, colon + 1, out, err);
}

int bpftime_function_at(uintptr_t addr, struct bpftime_resolved *out, struct bpftime_hook_error *err)
{
	struct bpftime_map_entry *m;
	size_t n;
	int rc = bpftime_maps_read(&m, &n, err);
	if (rc)
		return rc;
	const struct bpftime_map_entry *me = bpftime_maps_find(m, n, addr);
	if (!me || me->path[0] != '/') {
		free(m);
		return bpftime_set_error(err, -ESRCH, "address %p is not in a file mapping", (void *)addr);
	}
	snprintf(out->path, sizeof out->path, "%s", me->path);
	char *deleted = strstr(out->path, " (deleted)");
	if (deleted && deleted[10] == 0)
		*deleted = 0;
	uint64_t off = addr - me->start + me->offset, vaddr;
	free(m);
	struct bpftime_elf e;
	if ((rc = bpftime_elf_open(&e, out->path, err)))
		return rc;
	struct bpftime_elf_sym s;
	char name[256];
	rc = bpftime_elf_offset_to_vaddr(&e, off, &vaddr);
	if (rc == 0)
		rc = bpftime_elf_func_containing(&e, vaddr, &s, name, sizeof name);
	bpftime_elf_close(&e);
	if (rc)
		return bpftime_set_error(err, -ENOENT, "%s: no function symbol covers %p", out->path, (void *)addr);
	out->func = addr - (uintptr_t)(vaddr - s.value);
	out->func_size = s.size;
	out->is_entry = out->func == addr;
	out->addr = addr;
	return 0;
}
