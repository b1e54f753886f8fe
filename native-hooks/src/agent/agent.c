/*
 * agent.c: the agent's life in a process (bpftime.h). Start: open the session's segment inside the runtime's guest
 * window, register, install the attachments, start the control thread. The control thread sleeps on the segment's
 * tables futex and reconciles on every change; it detaches the agent when asked to (a detach request), when the
 * session ends, or when the session's control plane is gone (a stale segment). Detach removes every hook (original
 * bytes back), unloads the programs, marks the registration detached and unmaps the segment; the library stays
 * loaded (a thread may still be returning through a trampoline) and can attach again.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "qsbr.h"

#define API __attribute__((visibility("default")))
/* How often the control thread checks that the session's control plane is alive (the futex wakes it sooner). */
#define CONTROL_POLL_MS 250
/* How often uprobes whose binary is not mapped yet are tried again. */
#define RETRY_MS 1000

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

struct agent agent_state = { .lock = PTHREAD_MUTEX_INITIALIZER };

void agent_say(const char *fmt, ...)
{
	if (agent_state.quiet)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(2, "bpftime-agent[%d]: %s\n", (int)getpid(), buf);
}

void agent_log(enum bpftime_log_kind kind, const char *fmt, ...)
{
	struct bpftime_seg *seg = agent_state.seg;
	if (!seg)
		return;
	char buf[BPFTIME_LOG_MAX_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	bpftime_log(seg, kind, 0, buf, strlen(buf));
}

static void set_state(struct agent *ag, enum bpftime_agent_state st, const char *msg)
{
	if (ag->seg && ag->agent_id)
		bpftime_agent_set_state(ag->seg, ag->agent_id, st, msg);
}

/* detach_locked removes everything and leaves the session (lock held, control thread not running or itself). */
static void detach_locked(struct agent *ag, const char *why)
{
	if (!ag->seg)
		return;
	set_state(ag, BPFTIME_AGENT_DETACHING, why);
	agent_uninstall_all(ag);
	agent_syscalls_uninstall(ag);
	struct bpftime_agent_entry *me = bpftime_agent_get(ag->seg, ag->agent_id);
	if (me)
		__atomic_store_n(&me->hooks, 0, __ATOMIC_RELEASE);
	agent_log(BPFTIME_LOG_INFO, "agent %u detached: %s", ag->agent_id, why);
	set_state(ag, BPFTIME_AGENT_DETACHED, why);
	bpftime_seg_close(ag->seg);
	bpftime_runtime_segment_unmapped(ag->rt);
	ag->seg = NULL;
	ag->agent_id = 0;
	ag->session[0] = 0;
}

/* leave_reason: why the agent must detach now, or NULL. */
static const char *leave_reason(struct agent *ag)
{
	struct bpftime_shm *shm = bpftime_seg_shm(ag->seg);
	struct bpftime_agent_entry *me = bpftime_agent_get(ag->seg, ag->agent_id);
	if (me && __atomic_load_n(&me->request, __ATOMIC_ACQUIRE) == BPFTIME_REQ_DETACH)
		return "detach requested";
	if (__atomic_load_n(&shm->hdr.state, __ATOMIC_ACQUIRE) == BPFTIME_SEG_ENDED)
		return "the session ended";
	if (bpftime_seg_is_stale(&shm->hdr))
		return "the session's control plane is gone (stale session)";
	if (!me)
		return "the registration was removed";
	return NULL;
}

/* install_locked installs the syscall hooks when wanted and the attachments, and says the agent runs (lock held). */
static void install_locked(struct agent *ag)
{
	char err[BPFTIME_ERR_LEN];
	ag->installed = 1;
	/* Preloaded, before main: the only moment the fallback (per thread, inherited) can cover every thread. */
	if (ag->sys_env > 0 || (ag->sys_env == 0 && agent_session_has_syscalls(ag))) {
		enum bpftime_syscall_mode m = ag->sys_env == 2 ? BPFTIME_SYSCALL_SUD
					      : ag->mode == BPFTIME_AGENT_PRELOAD ? BPFTIME_SYSCALL_AUTO
									      : BPFTIME_SYSCALL_ZPOLINE;
		agent_syscalls_install(ag, m, err, sizeof(err));
	}
	agent_reconcile(ag);
	struct bpftime_agent_entry *me = bpftime_agent_get(ag->seg, ag->agent_id);
	if (me)
		__atomic_store_n(&me->flags, ag->sys_mode == BPFTIME_SYSCALL_ZPOLINE ? BPFTIME_AGENT_F_SYSCALLS
					     : ag->sys_mode == BPFTIME_SYSCALL_SUD   ? BPFTIME_AGENT_F_SUD
										     : 0u, __ATOMIC_RELEASE);
	/* The registration's message says how syscalls are hooked (the fallback and why), when they are. */
	set_state(ag, BPFTIME_AGENT_RUNNING, ag->sys_mode ? ag->sys_msg : "");
	agent_log(BPFTIME_LOG_INFO, "agent %u (%s) running: %u hooks%s%s", ag->agent_id,
		  ag->mode == BPFTIME_AGENT_PRELOAD ? "preloaded" : "injected", ag->hooks, ag->sys_mode ? "; " : "",
		  ag->sys_mode ? ag->sys_msg : "");
}

static void *control(void *arg)
{
	struct agent *ag = arg;
	/* This thread's own calls are neither probed nor traced. */
	bpftime_hook_thread_pause();
	bpftime_syscall_guard_enter();
	prctl(PR_SET_NAME, "bpftime-agent");
	pthread_mutex_lock(&ag->lock);
	if (ag->seg && !ag->installed)
		install_locked(ag);
	while (!ag->stop && ag->seg) {
		const char *why = leave_reason(ag);
		if (why) {
			detach_locked(ag, why);
			break;
		}
		uint32_t gen = __atomic_load_n(&bpftime_seg_shm(ag->seg)->hdr.tables_gen, __ATOMIC_ACQUIRE);
		if (gen != ag->seen_gen) {
			ag->seen_gen = gen;
			agent_reconcile(ag);
			continue;
		}
		/* Uprobes on a binary not mapped yet (a library the process will dlopen) are tried every RETRY_MS. */
		uint64_t now = now_ms();
		if (ag->pending && now - ag->retried_ms >= RETRY_MS) {
			ag->retried_ms = now;
			ag->pending = agent_retry_pending(ag);
		}
		struct bpftime_seg *seg = ag->seg;
		pthread_mutex_unlock(&ag->lock);
		bpftime_tables_wait(seg, gen, CONTROL_POLL_MS);
		pthread_mutex_lock(&ag->lock);
	}
	ag->thread_live = 0;
	pthread_mutex_unlock(&ag->lock);
	return NULL;
}

/* session_name normalises a session name to the shm name (leading slash). */
static int session_name(const char *arg, char *out, size_t len)
{
	if (!arg || !*arg || strlen(arg) + 2 > len || strchr(arg + 1, '/'))
		return -EINVAL;
	snprintf(out, len, "%s%s", arg[0] == '/' ? "" : "/", arg);
	return 0;
}

/* start: attach to `session` (lock held). Returns NULL or a message (static storage). */
static const char *start_locked(struct agent *ag, const char *session, enum bpftime_agent_mode mode)
{
	static char msg[BPFTIME_ERR_LEN + 128];
	char name[BPFTIME_NAME_LEN], err[BPFTIME_ERR_LEN] = "";
	if (session_name(session, name, sizeof(name)) != 0)
		return snprintf(msg, sizeof(msg), "bad session name \"%s\"", session ? session : ""), msg;
	if (ag->seg) {
		if (strcmp(ag->session, name) == 0)
			return NULL;
		return snprintf(msg, sizeof(msg), "this process is already attached to session %s (detach it first)",
				ag->session), msg;
	}
	if (!ag->rt && !(ag->rt = bpftime_runtime_create(NULL, err)))
		return snprintf(msg, sizeof(msg), "runtime: %s", err), msg;
	agent_grace_init();
	struct bpftime_seg_opts so = { .owner_uid = -1, .map_at = bpftime_runtime_segment_addr(ag->rt) };
	int rc = bpftime_seg_open(name, &so, &ag->seg, err, sizeof(err));
	if (rc != 0) {
		ag->seg = NULL;
		if (rc == -ENOENT)
			return snprintf(msg, sizeof(msg), "no session %s (start one with bpftime-vm load)", name), msg;
		return snprintf(msg, sizeof(msg), "session %s: %s", name, err), msg;
	}
	if ((rc = bpftime_runtime_use_segment(ag->rt, ag->seg, err)) != 0) {
		bpftime_seg_close(ag->seg);
		bpftime_runtime_segment_unmapped(ag->rt);
		ag->seg = NULL;
		return snprintf(msg, sizeof(msg), "session %s: %s", name, err), msg;
	}
	int id = bpftime_agent_register(ag->seg, mode, err, sizeof(err));
	if (id < 0) {
		bpftime_seg_close(ag->seg);
		bpftime_runtime_segment_unmapped(ag->rt);
		ag->seg = NULL;
		return snprintf(msg, sizeof(msg), "session %s: %s", name, err), msg;
	}
	snprintf(ag->session, sizeof(ag->session), "%s", name);
	ag->agent_id = (uint32_t)id;
	ag->mode = mode;
	ag->stop = 0;
	ag->installed = 0;
	ag->seen_gen = __atomic_load_n(&bpftime_seg_shm(ag->seg)->hdr.tables_gen, __ATOMIC_ACQUIRE);
	/* Preloaded: the hooks go in now, before main. Injected: the control thread installs them, so the thread the
	 * injector holds returns at once (and is a running thread like the others when code is patched). */
	if (mode == BPFTIME_AGENT_PRELOAD)
		install_locked(ag);
	if (pthread_create(&ag->thread, NULL, control, ag) != 0) {
		if (!ag->installed)
			install_locked(ag);
		agent_log(BPFTIME_LOG_WARN, "no control thread (pthread_create failed): the hooks stay until the process exits");
	} else {
		pthread_detach(ag->thread);
		ag->thread_live = 1;
	}
	return NULL;
}

static int env_syscalls(void)
{
	const char *s = getenv(BPFTIME_ENV_SYSCALLS);
	if (!s || !*s)
		return 0;
	if (!strcmp(s, "0"))
		return -1;
	return !strcmp(s, "sud") ? 2 : 1;
}

/* wait_control: let a previous control thread (detached) finish before starting again (lock not held). */
static void wait_control(struct agent *ag)
{
	for (int i = 0; i < 4000 && __atomic_load_n(&ag->thread_live, __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

/* start: start_locked with the calling thread's own syscalls and probe hits kept out of the session. */
static const char *start(struct agent *ag, const char *session, enum bpftime_agent_mode mode)
{
	bpftime_syscall_guard_enter();
	int hooks = bpftime_hook_thread_pause();
	pthread_mutex_lock(&ag->lock);
	const char *why = start_locked(ag, session, mode);
	pthread_mutex_unlock(&ag->lock);
	bpftime_hook_thread_resume(hooks);
	bpftime_syscall_guard_leave();
	return why;
}

API const char *bpftime_agent_main(const char *arg)
{
	struct agent *ag = &agent_state;
	wait_control(ag);
	return start(ag, arg, BPFTIME_AGENT_INJECTED);
}

static void before_fork(void)
{
	pthread_mutex_lock(&agent_state.lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&agent_state.lock);
}

/* after_fork_child: the child keeps the hooks and the segment but not the control thread: it registers as an
 * agent of its own and starts one. */
static void after_fork_child(void)
{
	struct agent *ag = &agent_state;
	agent_qsbr_after_fork();
	pthread_mutex_init(&ag->lock, NULL);
	ag->thread_live = 0;
	if (!ag->seg)
		return;
	char err[BPFTIME_ERR_LEN];
	bpftime_syscall_guard_enter();
	int hooks = bpftime_hook_thread_pause();
	int id = bpftime_agent_register(ag->seg, ag->mode, err, sizeof(err));
	bpftime_hook_thread_resume(hooks);
	bpftime_syscall_guard_leave();
	if (id < 0)
		return;
	ag->agent_id = (uint32_t)id;
	struct bpftime_agent_entry *me = bpftime_agent_get(ag->seg, ag->agent_id);
	if (me)
		__atomic_store_n(&me->hooks, ag->hooks, __ATOMIC_RELEASE);
	set_state(ag, BPFTIME_AGENT_RUNNING, "forked");
	if (pthread_create(&ag->thread, NULL, control, ag) == 0) {
		pthread_detach(ag->thread);
		ag->thread_live = 1;
	}
}

__attribute__((constructor)) static void agent_init(void)
{
	struct agent *ag = &agent_state;
	const char *q = getenv(BPFTIME_ENV_QUIET);
	ag->quiet = q && !strcmp(q, "1");
	ag->sys_env = env_syscalls();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	const char *session = getenv(BPFTIME_ENV_SESSION);
	if (!session || !*session)
		return; /* injected: bpftime_agent_main follows */
	const char *why = start(ag, session, BPFTIME_AGENT_PRELOAD);
	if (why)
		agent_say("not tracing: %s", why);
}

/* At exit the hooks stay (other threads may still run them); the registration says the process is gone. */
__attribute__((destructor)) static void agent_fini(void)
{
	struct agent *ag = &agent_state;
	if (ag->seg && ag->agent_id)
		set_state(ag, BPFTIME_AGENT_DETACHED, "process exited");
}
