/*
 * inject.c: bpftime-inject PID AGENT.so [ARG] (docs/native.md, "inject"): loads the agent into a running process.
 * One thread of the target is held with ptrace and made to call dlopen(AGENT, RTLD_NOW) (found in the target's
 * libc through /proc/PID/maps and its ELF symbols), then, when the agent exports it, bpftime_agent_main(ARG); then
 * the thread gets back its registers and stack bytes and resumes. Errors are said plainly, with an exit status
 * per kind (inject.h); --json prints the result (stdout) or {"error", "code"} (stderr) for the control plane.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inject.h"

#define ENTRY "bpftime_agent_main"

static const char *code_name(int status)
{
	static const char *const names[] = { "OK", "EFAIL", "EUSAGE", "EPERM", "ESRCH", "EDLOPEN", "EAGENT" };
	return status >= 0 && status <= INJ_AGENT ? names[status] : "EFAIL";
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

struct result {
	pid_t tid;
	uint64_t handle, entry;
	char libc[512];
};

enum { FN_DLOPEN, FN_DLERROR, FN_DLSYM, FN_DLCLOSE, NFNS };
static const char *const fn_names[NFNS] = { "dlopen", "dlerror", "dlsym", "dlclose" };

/* load runs the calls in the held thread: dlopen, then dlerror or dlsym + the entry point. An agent that is loaded
 * but cannot start (no entry point for ARG, or a refusal) is unloaded again: a refusing agent installs nothing. */
static int load(struct inj_thread *t, const char *agent, const char *arg, const uint64_t fns[NFNS], struct result *res,
		struct inj_err *e)
{
	uint64_t path = inj_push_string(t, agent), name = inj_push_string(t, ENTRY);
	uint64_t argp = arg ? inj_push_string(t, arg) : 0;
	if (!path || !name || (arg && !argp))
		return inj_fail(e, INJ_USAGE, "the agent path and ARG must fit in %zu bytes", sizeof(t->saved) - 512);
	int rc = inj_call(t, fns[FN_DLOPEN], path, RTLD_NOW, 0, &res->handle, e);
	if (rc)
		return rc;
	if (!res->handle) {
		uint64_t m = 0;
		char why[400] = "no message from dlerror";
		if (inj_call(t, fns[FN_DLERROR], 0, 0, 0, &m, e) == 0 && m)
			inj_read_string(t, m, why, sizeof(why));
		return inj_fail(e, INJ_DLOPEN, "dlopen in process %d failed: %s", t->pid, why);
	}
	if ((rc = inj_call(t, fns[FN_DLSYM], res->handle, name, 0, &res->entry, e)))
		return rc;
	uint64_t refusal = 0, ignored;
	if (!res->entry && arg)
		inj_fail(e, INJ_AGENT, "%s has no %s to give ARG to (unloaded again)", agent, ENTRY);
	else if (res->entry && (rc = inj_call(t, res->entry, argp, 0, 0, &refusal, e)))
		return rc;
	if (refusal) {
		char why[400] = "";
		inj_read_string(t, refusal, why, sizeof(why));
		inj_fail(e, INJ_AGENT, "%s refused (unloaded again): %s", ENTRY, why[0] ? why : "(no message)");
	}
	if (e->status == INJ_AGENT) {
		struct inj_err ce = { 0, "" };
		inj_call(t, fns[FN_DLCLOSE], res->handle, 0, 0, &ignored, &ce);
		return INJ_AGENT;
	}
	return 0;
}

/* prepare checks what the held thread will need: the agent visible from the target's root, and dl* in its libc. */
static int prepare(pid_t pid, const char *agent, uint64_t fns[NFNS], struct result *res, struct inj_err *e)
{
	char seen[PATH_MAX + 64];
	snprintf(seen, sizeof(seen), "/proc/%d/root%s", pid, agent);
	if (access(seen, R_OK) != 0)
		return inj_fail(e, INJ_USAGE, "%s is not readable from process %d's root directory (%s)", agent, pid,
				strerror(errno));
	for (int i = 0; i < NFNS; i++) {
		int rc = inj_symbol(pid, fn_names[i], &fns[i], res->libc, sizeof(res->libc), e);
		if (rc)
			return rc;
	}
	return 0;
}

static int inject(pid_t pid, const char *agent_arg, const char *arg, struct result *res, struct inj_err *e)
{
	char agent[PATH_MAX];
	if (!realpath(agent_arg, agent))
		return inj_fail(e, INJ_USAGE, "%s: %s", agent_arg, strerror(errno));
	struct inj_thread *t = calloc(1, sizeof(*t));
	if (!t)
		return inj_fail(e, INJ_FAIL, "out of memory");
	/* Attach first: without the privilege, the permission error is the one to report. */
	int rc = inj_attach(t, pid, e);
	res->tid = t->tid;
	uint64_t fns[NFNS];
	if (rc == 0)
		rc = prepare(pid, agent, fns, res, e);
	if (rc == 0)
		rc = load(t, agent, arg, fns, res, e);
	{ /* whatever happened: undo what was done (nothing when the seize itself failed) */
		struct inj_err de = { 0, "" };
		int drc = inj_detach(t, &de);
		if (rc == 0 && drc) {
			*e = de;
			rc = drc;
		}
	}
	free(t);
	return rc;
}

int main(int argc, char **argv)
{
	int json = 0, a = 1;
	if (a < argc && !strcmp(argv[a], "--json"))
		json = 1, a++;
	struct inj_err e = { 0, "" };
	struct result res = { 0 };
	char *end = NULL;
	long pid = argc - a >= 2 ? strtol(argv[a], &end, 10) : 0;
	int rc;
	if (argc - a < 2 || argc - a > 3 || !end || *end || pid <= 0 || pid > INT_MAX)
		rc = inj_fail(&e, INJ_USAGE, "usage: bpftime-inject [--json] PID AGENT.so [ARG]");
	else
		rc = inject((pid_t)pid, argv[a + 1], argc - a == 3 ? argv[a + 2] : NULL, &res, &e);
	if (rc) {
		if (json) {
			fprintf(stderr, "{\"error\":");
			json_string(stderr, e.msg);
			fprintf(stderr, ",\"code\":\"%s\"}\n", code_name(rc));
		} else {
			fprintf(stderr, "bpftime-inject: %s\n", e.msg);
		}
		return rc;
	}
	if (json) {
		printf("{\"pid\":%ld,\"tid\":%d,\"handle\":\"0x%llx\",\"entry\":%s,\"libc\":", pid, res.tid,
		       (unsigned long long)res.handle, res.entry ? "\"" ENTRY "\"" : "null");
		json_string(stdout, res.libc);
		printf("}\n");
	} else {
		printf("loaded %s into process %ld (thread %d, handle 0x%llx)%s\n", argv[a + 1], pid, res.tid,
		       (unsigned long long)res.handle, res.entry ? ", " ENTRY " returned success" : "");
	}
	return 0;
}
