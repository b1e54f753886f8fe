# Kernel objects through BTF (the kernel's PTR_TO_BTF_ID), typed from the running kernel's BTF: the arguments of fentry
# and tp_btf programs, reads through them checked against the struct's members (inside the struct, inside one member,
# pointer members read whole), no writes, bpf_get_current_task_btf, and kfunc calls against their BTF prototypes with
# acquired references released on every path and RCU read sections closed. The kernel oracle loads the tp_btf cases
# against the tracepoint's BTF id; the fentry ones are `## no-kernel`: the CI machine's kernel refuses to load fentry
# programs (EPERM, bpftool included); the offsets are those of Linux 6.18's
# `struct filename` (name 0, uptr 8, refcnt 16, aname 24; 32 bytes), `struct audit_names` (name 16) and
# `struct task_struct` (pid 1264, real_parent 1280; 3264 bytes). do_unlinkat(int dfd, struct filename *name);
# sched_switch(bool preempt, struct task_struct *prev, struct task_struct *next, unsigned int prev_state).

## case btf-fentry-read-member
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
ldxdw %r2, [%r1+8]
ldxdw %r3, [%r2+0]
ldxw %r4, [%r2+16]
mov %r0, 0
exit

## case btf-fentry-int-argument
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
ldxw %r0, [%r1+0]
exit

## case btf-fentry-walk-pointers
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
# name->aname->name->refcnt: pointers read out of kernel memory, read through again.
ldxdw %r2, [%r1+8]
ldxdw %r3, [%r2+24]
ldxdw %r4, [%r3+16]
ldxw %r0, [%r4+16]
exit

## case btf-fentry-narrow-read-of-int-member
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
ldxdw %r2, [%r1+8]
ldxb %r0, [%r2+17]
exit

## case btf-fentry-pointer-spilled-and-filled
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
ldxdw %r2, [%r1+8]
stxdw [%r10-8], %r2
ldxdw %r3, [%r10-8]
ldxdw %r0, [%r3+8]
exit

## case btf-fentry-probe-read-kernel-str
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
# bpf_probe_read_kernel_str(buf, 16, name->name): the address read from the struct is any value for the helper.
ldxdw %r2, [%r1+8]
ldxdw %r3, [%r2+0]
mov %r1, %r10
add %r1, -16
mov %r2, 16
call 115
mov %r0, 0
exit

## case btf-fentry-probe-read-kernel-of-member-address
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
# bpf_probe_read_kernel(buf, 8, &name->uptr): pointer arithmetic on a BTF pointer gives an address to copy from.
ldxdw %r3, [%r1+8]
add %r3, 8
mov %r1, %r10
add %r1, -8
mov %r2, 8
call 113
mov %r0, 0
exit

## case btf-fentry-write-member
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours tracing programs may only read it, not write it
ldxdw %r2, [%r1+8]
stw [%r2+16], 1
mov %r0, 0
exit

## case btf-fentry-atomic-on-member
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours tracing programs may only read it
ldxdw %r2, [%r1+8]
mov %r3, 1
lock add [%r2+24], %r3
mov %r0, 0
exit

## case btf-fentry-read-before-struct
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours is outside struct filename (32 bytes)
ldxdw %r2, [%r1+8]
ldxdw %r0, [%r2-8]
exit

## case btf-fentry-read-past-walked-struct
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours is outside struct filename (32 bytes)
ldxdw %r2, [%r1+8]
ldxdw %r3, [%r2+24]
ldxdw %r4, [%r3+16]
ldxdw %r0, [%r4+40]
exit

## case btf-fentry-partial-pointer-member
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours is a pointer: read it whole
ldxdw %r2, [%r1+8]
ldxw %r0, [%r2+24]
exit

## case btf-fentry-read-across-member-end
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours goes past the end of member struct filename.refcnt
ldxdw %r2, [%r1+8]
ldxdw %r0, [%r2+16]
exit

## case btf-fentry-variable-offset
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours at a variable offset
ldxdw %r2, [%r1+8]
ldxw %r3, [%r1+0]
and %r3, 8
add %r2, %r3
ldxdw %r0, [%r2+0]
exit

## case btf-fentry-int-argument-is-not-a-pointer
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours r2 is a scalar
ldxdw %r2, [%r1+0]
ldxdw %r0, [%r2+0]
exit

## case btf-fentry-char-pointer-member-is-a-scalar
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours r3 is a scalar
# name->name is a const char *: a pointer to a non-struct is a number to copy from with bpf_probe_read_kernel.
ldxdw %r2, [%r1+8]
ldxdw %r3, [%r2+0]
ldxb %r0, [%r3+0]
exit

## case btf-fentry-context-write
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours fentry programs may not write their context
stdw [%r1+0], 0
mov %r0, 0
exit

## case btf-fentry-context-beyond-arguments
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours is outside the 2 u64 arguments of this fentry program
ldxdw %r0, [%r1+16]
exit

## case btf-fentry-pointer-argument-read-partly
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours argument 1 is a pointer to struct filename: read it whole
ldxw %r2, [%r1+8]
mov %r0, 0
exit

## case btf-tp-sched-switch-next-task
## type tp_btf
## attach tp_btf:sched_switch
## expect accept
ldxdw %r2, [%r1+16]
ldxw %r0, [%r2+1264]
ldxw %r3, [%r1+24]
exit

## case btf-tp-sched-switch-beyond-arguments
## type tp_btf
## attach tp_btf:sched_switch
## expect reject
## kernel func 'sched_switch' doesn't have 5-th argument
## ours is outside the 4 u64 arguments of this tp_btf program
ldxdw %r0, [%r1+32]
exit

## case btf-tp-task-read-past-end
## type tp_btf
## attach tp_btf:sched_switch
## expect reject
## kernel access beyond struct task_struct at off 3264 size 4
## ours is outside struct task_struct (3264 bytes)
ldxdw %r2, [%r1+16]
ldxw %r0, [%r2+3264]
exit

## case btf-current-task-btf
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
call 158
ldxw %r0, [%r0+1264]
exit

## case btf-current-task-btf-write
## type fentry
## attach fentry:do_unlinkat
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours points to kernel memory (struct task_struct)
call 158
stw [%r0+1264], 0
mov %r0, 0
exit

## case kfunc-task-from-pid-released
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## kfunc bpf_task_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
mov %r1, 1
.insn 0x85, 0, 2, 0, 0
jeq %r0, 0, out
ldxw %r6, [%r0+1264]
mov %r1, %r0
.insn 0x85, 0, 2, 0, 1
out:
mov %r0, 0
exit

## case kfunc-task-from-pid-not-released
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours the reference bpf_task_from_pid returned at pc 1 is not released on this path before exit (bpf_task_release)
mov %r1, 1
.insn 0x85, 0, 2, 0, 0
mov %r0, 0
exit

## case kfunc-task-released-on-one-path
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## kfunc bpf_task_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours is not released on this path before exit
ldxw %r7, [%r1+0]
mov %r1, 1
.insn 0x85, 0, 2, 0, 0
jeq %r0, 0, out
jeq %r7, 3, out
mov %r1, %r0
.insn 0x85, 0, 2, 0, 1
out:
mov %r0, 0
exit

## case kfunc-task-read-before-null-check
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## kfunc bpf_task_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours may be NULL
mov %r1, 1
.insn 0x85, 0, 2, 0, 0
ldxw %r6, [%r0+1264]
mov %r1, %r0
.insn 0x85, 0, 2, 0, 1
mov %r0, 0
exit

## case kfunc-release-maybe-null
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## kfunc bpf_task_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours may be NULL
mov %r1, 1
.insn 0x85, 0, 2, 0, 0
mov %r1, %r0
.insn 0x85, 0, 2, 0, 1
mov %r0, 0
exit

## case kfunc-use-after-release
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## kfunc bpf_task_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours r6 is used before it is initialised
mov %r1, 1
.insn 0x85, 0, 2, 0, 0
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r0
.insn 0x85, 0, 2, 0, 1
ldxw %r0, [%r6+1264]
out:
mov %r0, 0
exit

## case kfunc-release-of-unreferenced-task
## type tp_btf
## attach tp_btf:sched_switch
## kfunc bpf_task_release
## expect reject
## kernel release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID
## ours r1 must be a referenced struct task_struct
ldxdw %r1, [%r1+16]
.insn 0x85, 0, 2, 0, 0
mov %r0, 0
exit

## case kfunc-release-of-wrong-struct
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours r1 points to struct filename, but bpf_task_release takes a struct task_struct
ldxdw %r1, [%r1+8]
.insn 0x85, 0, 2, 0, 0
mov %r0, 0
exit

## case kfunc-release-of-map-value
## type fentry
## attach fentry:do_unlinkat
## map array:4:8:1
## kfunc bpf_task_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours must be a pointer to struct task_struct
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
.insn 0x85, 0, 2, 0, 0
out:
mov %r0, 0
exit

## case kfunc-scalar-argument-given-a-pointer
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours must be a scalar
mov %r1, %r10
.insn 0x85, 0, 2, 0, 0
mov %r0, 0
exit

## case kfunc-argument-uninitialised
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_task_from_pid
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours r1 (argument 1 of bpf_task_from_pid) is not initialised
call 5
.insn 0x85, 0, 2, 0, 0
mov %r0, 0
exit

## case kfunc-not-implemented
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_cgroup_release
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours kfunc bpf_cgroup_release is not implemented by bpftime-vm
mov %r1, 0
.insn 0x85, 0, 2, 0, 0
mov %r0, 0
exit

## case kfunc-acquire-trusted-argument
## type tp_btf
## attach tp_btf:sched_switch
## kfunc bpf_task_acquire
## kfunc bpf_task_release
## expect accept
ldxdw %r1, [%r1+16]
.insn 0x85, 0, 2, 0, 0
jeq %r0, 0, out
mov %r1, %r0
.insn 0x85, 0, 2, 0, 1
out:
mov %r0, 0
exit

## case kfunc-acquire-untrusted-argument
## type tp_btf
## attach tp_btf:sched_switch
## kfunc bpf_task_acquire
## kfunc bpf_task_release
## expect accept
# next->real_parent, read outside bpf_rcu_read_lock(): the kernel trusts it (a non-sleepable program runs in an RCU
# read section, and real_parent is one of its BTF_TYPE_SAFE_RCU fields); we refuse it (KNOWN-DIFFERENCES.md).
ldxdw %r1, [%r1+16]
ldxdw %r1, [%r1+1280]
.insn 0x85, 0, 2, 0, 0
jeq %r0, 0, out
mov %r1, %r0
.insn 0x85, 0, 2, 0, 1
out:
mov %r0, 0
exit

## case kfunc-acquire-walked-argument-under-rcu
## type tp_btf
## attach tp_btf:sched_switch
## kfunc bpf_task_acquire
## kfunc bpf_task_release
## kfunc bpf_rcu_read_lock
## kfunc bpf_rcu_read_unlock
## expect accept
ldxdw %r6, [%r1+16]
.insn 0x85, 0, 2, 0, 2
ldxdw %r1, [%r6+1280]
.insn 0x85, 0, 2, 0, 0
mov %r7, %r0
.insn 0x85, 0, 2, 0, 3
jeq %r7, 0, out
mov %r1, %r7
.insn 0x85, 0, 2, 0, 1
out:
mov %r0, 0
exit

## case kfunc-rcu-section
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_rcu_read_lock
## kfunc bpf_rcu_read_unlock
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect accept
.insn 0x85, 0, 2, 0, 0
.insn 0x85, 0, 2, 0, 1
mov %r0, 0
exit

## case kfunc-rcu-unlock-without-lock
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_rcu_read_unlock
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours bpf_rcu_read_unlock without a matching bpf_rcu_read_lock
.insn 0x85, 0, 2, 0, 0
mov %r0, 0
exit

## case kfunc-rcu-section-not-closed
## type fentry
## attach fentry:do_unlinkat
## kfunc bpf_rcu_read_lock
## kfunc bpf_rcu_read_unlock
## no-kernel this kernel refuses to load fentry programs (EPERM, with bpftool too)
## expect reject
## ours the RCU read section bpf_rcu_read_lock opened at pc 1 is not closed
ldxw %r6, [%r1+0]
.insn 0x85, 0, 2, 0, 0
jeq %r6, 0, out
.insn 0x85, 0, 2, 0, 1
out:
mov %r0, 0
exit
