/* Time, task and program-introspection helpers (src/helpers/kernel/task.ts): clocks, ids, comm, CPU, randomness,
 * override_return (reported to the hook through the run), the probed function's address and the attach cookie. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static int32_t process_id;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void pid_refresh(void)
{
	process_id = (int32_t)getpid();
}

static void pid_init(void)
{
	rt_vec_spill(bpftime_tls_thread); /* pthread_atfork allocates */
	pid_refresh();
	pthread_atfork(NULL, NULL, pid_refresh);
}

int32_t rt_pid(void)
{
	pthread_once(&pid_once, pid_init);
	return process_id;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

HELPER(ktime_get_ns) { return clock_ns(CLOCK_MONOTONIC); }
HELPER(ktime_get_boot_ns) { return clock_ns(CLOCK_BOOTTIME); }
HELPER(ktime_get_coarse_ns) { return clock_ns(CLOCK_MONOTONIC_COARSE); }
HELPER(ktime_get_tai_ns) { return clock_ns(CLOCK_TAI); }

/* xorshift64*, per thread: no shared state, no syscall. */
HELPER(get_prandom_u32)
{
	uint64_t s = x->th->rand_state;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	x->th->rand_state = s;
	return (uint32_t)((s * 0x2545f4914f6cdd1dull) >> 32);
}

HELPER(get_smp_processor_id)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (uint64_t)cpu;
}

HELPER(get_numa_node_id)
{
	unsigned cpu, node;
	return getcpu(&cpu, &node) == 0 ? node : 0;
}

HELPER(get_current_pid_tgid) { return ((uint64_t)(uint32_t)rt_pid() << 32) | (uint32_t)x->th->tid; }
HELPER(get_current_uid_gid) { return ((uint64_t)getgid() << 32) | getuid(); }

/* The calling thread's name (the kernel's current->comm), NUL-terminated and zero-padded to size. */
HELPER(get_current_comm)
{
	uint8_t *out = rt_guest_ptr(x, r1, r2, 1);
	char comm[17] = "";
	rt_vec_spill(x->th); /* strnlen */
	prctl(PR_GET_NAME, comm, 0, 0, 0);
	memset(out, 0, r2);
	if (r2 > 0) memcpy(out, comm, strnlen(comm, r2 - 1));
	return 0;
}

HELPER(override_return)
{
	x->th->run->flags |= BPFTIME_RUN_OVERRIDE;
	x->th->run->override_value = r2;
	return 0;
}

HELPER(get_func_ip) { return x->th->run->func_ip; }
HELPER(get_attach_cookie) { return x->prog->cookie; }

/* The probed function's arguments and return value, from the run's context by the layout its program type fixes
 * (bpftime_prog_desc.ctx_*): pt_regs for uprobes; other contexts have none (src/helpers/kernel/task.ts). */
static uint64_t ctx_u64(struct bpftime_exec *x, uint32_t off)
{
	uint64_t v;
	__builtin_memcpy(&v, rt_guest_ptr(x, (uint64_t)x->th->ctx_lo + off, 8, 0), 8);
	return v;
}

HELPER(get_func_arg)
{
	const struct bpftime_prog_desc *d = x->prog->desc;
	if (d->ctx_kind != BPFTIME_CTX_PT_REGS || (uint32_t)r2 >= d->ctx_nargs || r2 >> 32) return RET_ERR(EINVAL);
	uint64_t v = ctx_u64(x, d->ctx_arg_off[(uint32_t)r2]);
	__builtin_memcpy(rt_guest_ptr(x, r3, 8, 1), &v, 8);
	return 0;
}

HELPER(get_func_ret)
{
	const struct bpftime_prog_desc *d = x->prog->desc;
	if (d->ctx_kind != BPFTIME_CTX_PT_REGS) return RET_ERR(EOPNOTSUPP);
	uint64_t v = ctx_u64(x, d->ctx_ret_off);
	__builtin_memcpy(rt_guest_ptr(x, r2, 8, 1), &v, 8);
	return 0;
}

HELPER(get_func_arg_cnt)
{
	const struct bpftime_prog_desc *d = x->prog->desc;
	return d->ctx_kind == BPFTIME_CTX_PT_REGS ? d->ctx_nargs : 0;
}
