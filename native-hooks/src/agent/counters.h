/*
 * counters.h: the per-CPU hit and missed counters of attachments (bpftime_shm.h: struct bpftime_attach_counters
 * [ncpus][BPFTIME_MAX_ATTACH] at header.counters_off), counted on the hot path with a restartable sequence: the
 * add to this CPU's counter is the commit of an rseq critical section (glibc's registered rseq area), so it needs no
 * locked instruction and is exact; a thread preempted, migrated or signalled inside restarts it. Without rseq (or
 * with more CPUs than the segment's copies) the add is atomic instead. bpftime_attach_hit does the same with a
 * locked add.
 */
#ifndef BPFTIME_AGENT_COUNTERS_H
#define BPFTIME_AGENT_COUNTERS_H

#include <linux/rseq.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/rseq.h>

#include "internal.h"

/* The signature glibc registers its rseq area with on x86 (the 4 bytes before every abort handler). */
#define AGENT_RSEQ_SIG 0x53053053

/* agent_counter_add adds 1 to this CPU's counter `field` (0: hits, 1: missed) of an attachment whose counters of CPU
 * 0 are at `base`, CPU c's at base + c * stride. */
static inline void agent_counter_add(uint64_t *base, uint64_t stride, uint32_t ncpus, int field)
{
	if (AGENT_LIKELY(__rseq_size > 0)) {
		struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
		for (;;) {
			uint32_t cpu = __atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
			if (AGENT_UNLIKELY(cpu >= ncpus))
				break;
			uint64_t *v = (uint64_t *)((char *)base + cpu * stride) + field;
			__asm__ goto(
				".pushsection __rseq_cs, \"aw\"\n\t"
				".balign 32\n"
				"3:\n\t"
				".long 0, 0\n\t"
				".quad 1f, 2f - 1f, 4f\n\t"
				".popsection\n\t"
				"leaq 3b(%%rip), %%rax\n\t"
				"movq %%rax, %c[cs](%[rs])\n"
				"1:\n\t"
				"cmpl %[cpu], %c[id](%[rs])\n\t"
				"jnz 4f\n\t"
				"addq $1, %[v]\n"
				"2:\n\t"
				".pushsection __rseq_failure, \"ax\"\n\t"
				".byte 0x0f, 0xb9, 0x3d\n\t"
				".long %c[sig]\n"
				"4:\n\t"
				"jmp %l[again]\n\t"
				".popsection\n\t"
				:
				: [rs] "r"(rs), [cpu] "r"(cpu), [v] "m"(*v), [cs] "i"(offsetof(struct rseq, rseq_cs)),
				  [id] "i"(offsetof(struct rseq, cpu_id)), [sig] "i"(AGENT_RSEQ_SIG)
				: "rax", "cc", "memory"
				: again);
			return;
		again:;
		}
	}
	uint32_t cpu = 0;
	if (__rseq_size > 0)
		cpu = __atomic_load_n(&((struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset))->cpu_id,
				      __ATOMIC_RELAXED);
	__atomic_fetch_add((uint64_t *)((char *)base + (cpu % ncpus) * stride) + field, 1, __ATOMIC_RELAXED);
}

/* agent_hit and agent_miss count one run (or one skipped hit) of attachment `a`. */
static inline void agent_hit(const struct agent_att *a)
{
	agent_counter_add(a->counters, a->counters_stride, a->ncpus, 0);
}

static inline void agent_miss(const struct agent_att *a)
{
	agent_counter_add(a->counters, a->counters_stride, a->ncpus, 1);
}

#endif
