/*
 * tracefs.c: the records of syscall tracepoints (syscalls:sys_enter_NAME / sys_exit_NAME, raw_syscalls:sys_enter /
 * sys_exit). With tracefs mounted, the layout and event id come from the event's `format` file, as the kernel
 * defines them on this machine. Without it, the built-in layout is the one src/loader/contexts.ts defines for the
 * TypeScript side (SYS_ENTER, SYS_EXIT), through the header generated from it: one definition of the layout. The
 * syscall names and numbers come from <asm/unistd_64.h> at build time (build/gen/syscall_names.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpftime_syscall_layout.gen.h"
#include "internal.h"

static const struct {
	const char *name;
	int nr;
} names[] = {
#include "syscall_names.h"
};

int bpftime_syscall_nr(const char *name)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name))
			return names[i].nr;
	return -1;
}

const char *bpftime_syscall_name(long nr)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	return NULL;
}

static const char *const tracefs_roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

/* tracefs_root returns the mounted tracefs, or NULL. */
static const char *tracefs_root(void)
{
	char p[64];
	for (size_t i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++) {
		snprintf(p, sizeof(p), "%s/events", tracefs_roots[i]);
		if (access(p, X_OK) == 0)
			return tracefs_roots[i];
	}
	return NULL;
}

/* parse_format reads an event's format file: its id and the fields after the common header. */
static int parse_format(FILE *f, struct bpftime_syscall_tp *tp)
{
	char line[512];
	unsigned id = 0, end = 0;
	int have_id = 0, have_nr = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "ID: %u", &id) == 1) {
			have_id = 1;
			continue;
		}
		char *fp = strstr(line, "field:");
		unsigned off, size;
		char *semi = fp ? strchr(fp, ';') : NULL;
		if (!semi || sscanf(semi, ";%*[ \t]offset:%u;%*[ \t]size:%u;", &off, &size) != 2)
			continue;
		*semi = 0; /* "field:TYPE NAME" (NAME possibly with [N]) */
		char *name = strrchr(fp, ' ');
		name = name ? name + 1 : fp + 6;
		char *br = strchr(name, '[');
		if (br)
			*br = 0;
		if (off + size > end)
			end = off + size;
		if (!strncmp(name, "common_", 7))
			continue;
		if (!strcmp(name, "__syscall_nr") || !strcmp(name, "id")) {
			tp->nr_off = (uint16_t)off;
			tp->nr_size = (uint16_t)size;
			have_nr = 1;
		} else if (!strcmp(name, "ret")) {
			tp->ret_off = (uint16_t)off;
		} else if (!strcmp(name, "args") && size == 48) { /* raw_syscalls: unsigned long args[6] */
			for (int i = 0; i < 6; i++)
				tp->arg_off[i] = (uint16_t)(off + 8 * i);
			tp->nargs = 6;
		} else if (tp->nargs < 6 && size == 8) {
			tp->arg_off[tp->nargs++] = (uint16_t)off;
		}
	}
	tp->common_type = (uint16_t)id;
	tp->size = (uint16_t)end;
	return have_id && have_nr ? 0 : -EINVAL;
}

static void builtin_layout(struct bpftime_syscall_tp *tp)
{
	if (tp->is_exit) {
		tp->size = BPFTIME_SYS_EXIT_SIZE;
		tp->nr_off = BPFTIME_SYS_EXIT_ID_OFF;
		tp->nr_size = BPFTIME_SYS_EXIT_ID_SIZE;
		tp->ret_off = BPFTIME_SYS_EXIT_RET_OFF;
		return;
	}
	tp->size = BPFTIME_SYS_ENTER_SIZE;
	tp->nr_off = BPFTIME_SYS_ENTER_ID_OFF;
	tp->nr_size = BPFTIME_SYS_ENTER_ID_SIZE;
	tp->nargs = 6;
	for (int i = 0; i < 6; i++)
		tp->arg_off[i] = (uint16_t)(BPFTIME_SYS_ENTER_ARGS_OFF + 8 * i);
}

int bpftime_syscall_tp_resolve(const char *category, const char *name, struct bpftime_syscall_tp *tp, char *msg,
			       size_t msglen)
{
	memset(tp, 0, sizeof(*tp));
	if (!strcmp(category, "raw_syscalls")) {
		if (strcmp(name, "sys_enter") && strcmp(name, "sys_exit"))
			return zp_msg(msg, msglen, -ENOENT, "unknown tracepoint raw_syscalls:%s (sys_enter or sys_exit)", name);
		tp->is_raw = 1;
		tp->nr = -1;
		tp->is_exit = !strcmp(name, "sys_exit");
	} else if (!strcmp(category, "syscalls")) {
		int exit = !strncmp(name, "sys_exit_", 9);
		if (!exit && strncmp(name, "sys_enter_", 10))
			return zp_msg(msg, msglen, -ENOENT, "unknown tracepoint syscalls:%s (sys_enter_NAME or sys_exit_NAME)", name);
		const char *sc = name + (exit ? 9 : 10);
		tp->nr = bpftime_syscall_nr(sc);
		if (tp->nr < 0)
			return zp_msg(msg, msglen, -ENOENT, "tracepoint syscalls:%s: no syscall named %s on x86-64", name, sc);
		tp->is_exit = exit;
	} else {
		return zp_msg(msg, msglen, -ENOENT, "tracepoint %s:%s is not a syscall tracepoint (syscalls, raw_syscalls)",
			      category, name);
	}
	const char *root = tracefs_root();
	if (!root) {
		builtin_layout(tp);
		return 0;
	}
	char path[256];
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", root, category, name);
	FILE *f = fopen(path, "re");
	if (!f)
		return zp_msg(msg, msglen, -ENOENT, "tracepoint %s:%s: %s: %s", category, name, path, strerror(errno));
	int rc = parse_format(f, tp);
	fclose(f);
	if (rc || !tp->size || (tp->is_exit && !tp->ret_off))
		return zp_msg(msg, msglen, -EINVAL, "tracepoint %s:%s: %s: unexpected format", category, name, path);
	tp->from_tracefs = 1;
	return 0;
}

size_t bpftime_syscall_tp_fill(const struct bpftime_syscall_tp *tp, void *buf, long nr, const long args[6], long ret)
{
	uint8_t *b = buf;
	memset(b, 0, tp->size);
	struct zp_thread *t = &zp_tls;
	if (!t->tid)
		t->tid = (int)bpftime_syscall_raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	memcpy(b + BPFTIME_TP_COMMON_TYPE_OFF, &tp->common_type, 2);
	memcpy(b + BPFTIME_TP_COMMON_PID_OFF, &t->tid, 4);
	if (tp->nr_size == 8) {
		int64_t v = nr;
		memcpy(b + tp->nr_off, &v, 8);
	} else {
		int32_t v = (int32_t)nr;
		memcpy(b + tp->nr_off, &v, 4);
	}
	if (tp->is_exit)
		memcpy(b + tp->ret_off, &ret, 8);
	else
		for (int i = 0; i < tp->nargs; i++)
			memcpy(b + tp->arg_off[i], &args[i], 8);
	return tp->size;
}
