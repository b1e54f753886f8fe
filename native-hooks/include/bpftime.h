/*
 * bpftime.h: the agent library, build/libbpftime-agent.so (docs/native.md, "agent").
 *
 * The agent runs a session's eBPF programs inside a target process. It enters the process in one of two ways:
 *   - LD_PRELOAD (`bpftime-vm start`, `bpftime-vm trace`): its constructor reads BPFTIME_SESSION and attaches before
 *     the program's main runs;
 *   - injection (`bpftime-vm attach PID`): bpftime-inject makes a thread of the running process dlopen the library
 *     and call bpftime_agent_main(SESSION).
 * Either way it opens the session's shared-memory segment (checking its owner, layout version and that its control
 * plane is alive), registers itself in the segment's agent table, maps the segment into the runtime's linear memory,
 * installs every attachment of the session that applies to this process (uprobes, uretprobes, syscall tracepoints),
 * and starts a control thread that follows the session: new or removed attachments, programs enabled again, a
 * detach request, the session ending or its control plane dying (the agent then removes its hooks, restoring the
 * original bytes). The agent never ends or blocks the target: whatever fails is reported in the segment (agent and
 * attachment messages, the log ring) and on the target's stderr once, and the target goes on untraced.
 *
 * The library exports nothing else: every other symbol is internal.
 */
#ifndef BPFTIME_H
#define BPFTIME_H

#ifdef __cplusplus
extern "C" {
#endif

/* Environment of a preloaded agent. */
#define BPFTIME_ENV_SESSION "BPFTIME_SESSION"   /* the session (shm segment name); unset: the agent stays idle */
#define BPFTIME_ENV_SYSCALLS "BPFTIME_SYSCALLS" /* "1": install the syscall hooks at start (zpoline, else Syscall
						   User Dispatch); "sud": force Syscall User Dispatch; "0": never */
#define BPFTIME_ENV_QUIET "BPFTIME_AGENT_QUIET" /* "1": no agent messages on the target's stderr */

/*
 * bpftime_agent_main: the injected entry point. `arg` is the session name ("/bpftime-vm", or without the slash).
 * Returns NULL when the agent runs in the session, or a message saying why it refused (no such session, a stale
 * one, another session already attached in this process, ...). Called again after a detach, it attaches anew.
 */
const char *bpftime_agent_main(const char *arg);

#ifdef __cplusplus
}
#endif

#endif
