// SPDX-License-Identifier: MIT
/*
 * A tracepoint-style program on syscalls/sys_enter_openat: sums the syscall's arguments with bpf_loop (a callback),
 * then reports an event both through a ring buffer and through a perf buffer.
 *
 *   npx bpftime-vm run examples/events.bpf.o --args 1,2,3
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* The tracefs layout of syscalls/sys_enter_*: 8 bytes of common fields, the syscall number, six arguments. */
struct sys_enter_ctx {
	__u64 common;
	long id;
	unsigned long args[6];
};

struct event {
	__u32 pid;
	__u32 tid;
	long syscall;
	__u64 args_sum;
	char comm[16];
};

/* Keeps struct event in the object's BTF, so bpftime-vm (and bpftool) can decode the records. */
struct event *event_type __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} perf_events SEC(".maps");

struct sum_state {
	__u64 args[6];
	__u64 sum;
};

static long add_arg(__u32 i, void *data)
{
	struct sum_state *s = data;

	if (i >= 6)
		return 1;
	s->sum += s->args[i];
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int trace_openat(struct sys_enter_ctx *ctx)
{
	struct sum_state state = {};
	struct event *e;
	__u64 id;

	for (int i = 0; i < 6; i++)
		state.args[i] = ctx->args[i];
	bpf_loop(6, add_arg, &state, 0);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 1;
	id = bpf_get_current_pid_tgid();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->syscall = ctx->id;
	e->args_sum = state.sum;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, e, sizeof(*e));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
