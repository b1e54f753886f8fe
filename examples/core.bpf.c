// SPDX-License-Identifier: MIT
/*
 * CO-RE: reads fields of the current task through BTF-relocatable accesses, so the same object works whatever the
 * kernel's struct task_struct layout is. bpftime-vm resolves the relocations against the target BTF
 * (/sys/kernel/btf/vmlinux, or --btf FILE) and gives bpf_get_current_task a stand-in task built with that layout.
 *
 *   npx bpftime-vm run examples/core.bpf.o --host pid=4242
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

char comm[16];

SEC("uprobe")
int task_info(void *ctx)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	if (!bpf_core_field_exists(task->tgid))
		return -1;
	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	return BPF_CORE_READ(task, tgid);
}
