/*
 * install.c: choosing the mechanism and installing it (docs/native.md, "syscall"). zpoline when page 0 can be
 * mapped; otherwise Syscall User Dispatch, and the message the agent logs says so and why. Nothing is silent: the
 * message always names the mechanism in use.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "internal.h"

int zp_msg(char *msg, size_t len, int err, const char *fmt, ...)
{
	if (msg && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int install_zpoline(char *msg, size_t len)
{
	int rc = zp_page_map(bpftime_zp_entry, msg, len);
	if (rc)
		return rc;
	zp.mode = BPFTIME_SYSCALL_ZPOLINE;
	zp.active = 1;
	char why[256];
	rc = zp_rewrite_all(why, sizeof(why));
	if (rc) {
		zp.active = 0;
		zp_restore_all(NULL, 0);
		zp.mode = BPFTIME_SYSCALL_NONE; /* page 0 stays: a thread may be in it */
		return zp_msg(msg, len, rc, "%s", why);
	}
	return 0;
}

int bpftime_syscall_install(const struct bpftime_syscall_opts *opts, char *msg, size_t msglen)
{
	if (zp.mode != BPFTIME_SYSCALL_NONE)
		return zp_msg(msg, msglen, -EALREADY, "syscall hooks are already installed");
	int mode = opts->mode == BPFTIME_SYSCALL_NONE ? BPFTIME_SYSCALL_AUTO : opts->mode;
	if (mode != BPFTIME_SYSCALL_AUTO && mode != BPFTIME_SYSCALL_ZPOLINE && mode != BPFTIME_SYSCALL_SUD)
		return zp_msg(msg, msglen, -EINVAL, "unknown syscall hook mode %d", mode);
	int rc = zp_self_region(&zp.self_lo, &zp.self_hi);
	if (rc)
		return zp_msg(msg, msglen, rc, "cannot find the agent's own code in /proc/self/maps");
	zp.enter = opts->enter;
	zp.exit = opts->exit;
	zp.data = opts->data;
	struct zp_thread *t = &zp_tls;
	zp_hold(t);
	char why[256] = "";
	if (mode != BPFTIME_SYSCALL_SUD) {
		rc = install_zpoline(why, sizeof(why));
		if (rc == 0) {
			zp_release(t);
			return zp_msg(msg, msglen, 0,
				      "syscall hooks: zpoline, %llu syscall instructions rewritten in %llu mappings (%llu left alone)",
				      (unsigned long long)zp_stats.sites, (unsigned long long)zp_stats.mappings,
				      (unsigned long long)zp_stats.skipped);
		}
		if (mode == BPFTIME_SYSCALL_ZPOLINE) {
			zp_release(t);
			return zp_msg(msg, msglen, rc, "syscall hooks: zpoline: %s", why);
		}
	}
	char err[256];
	rc = zp_sud_install(err, sizeof(err));
	if (rc) {
		zp_release(t);
		if (why[0])
			return zp_msg(msg, msglen, rc, "syscall hooks: zpoline: %s; Syscall User Dispatch: %s", why, err);
		return zp_msg(msg, msglen, rc, "syscall hooks: Syscall User Dispatch: %s", err);
	}
	zp.mode = BPFTIME_SYSCALL_SUD;
	zp.active = 1;
	zp_release(t);
	const char *note = "a SIGSYS per syscall, slower; threads that already existed are not traced";
	if (why[0])
		return zp_msg(msg, msglen, 0, "syscall hooks: zpoline unavailable (%s); using Syscall User Dispatch instead (%s)",
			      why, note);
	return zp_msg(msg, msglen, 0, "syscall hooks: Syscall User Dispatch, as asked (%s)", note);
}

int bpftime_syscall_uninstall(char *msg, size_t msglen)
{
	int mode = zp.mode;
	if (mode == BPFTIME_SYSCALL_NONE)
		return zp_msg(msg, msglen, -ENOENT, "syscall hooks are not installed");
	zp_hold(&zp_tls);
	zp.active = 0;
	int rc = 0;
	if (mode == BPFTIME_SYSCALL_ZPOLINE)
		rc = zp_restore_all(msg, msglen);
	else
		rc = zp_sud_uninstall();
	zp_release(&zp_tls);
	if (rc && mode == BPFTIME_SYSCALL_SUD)
		return zp_msg(msg, msglen, rc, "switching Syscall User Dispatch off: %s", strerror(-rc));
	return rc ? rc : zp_msg(msg, msglen, 0, "syscall hooks removed");
}

enum bpftime_syscall_mode bpftime_syscall_mode_now(void)
{
	return (enum bpftime_syscall_mode)zp.mode;
}

void bpftime_syscall_get_stats(struct bpftime_syscall_stats *st)
{
	*st = zp_stats;
}
