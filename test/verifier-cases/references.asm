# References: memory from bpf_ringbuf_reserve must be submitted or discarded on every path (and not used after), a
# bpf_spin_lock taken must be released on every path, with no helper calls or second lock in between, at offset of the
# map value's lock field, only in map values that declare one (BTF), and not from kernel tracing programs or socket filters
# (uprobes may: bpftime-vm runs them in user space; KNOWN-DIFFERENCES.md).

## case ringbuf-reserve-submit
## map ringbuf:0:0:4096
## expect accept
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
stdw [%r0+0], 1
mov %r1, %r0
mov %r2, 0
call 132
out:
mov %r0, 0
exit

## case ringbuf-reserve-discard
## map ringbuf:0:0:4096
## expect accept
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 0
call 133
out:
mov %r0, 0
exit

## case ringbuf-reserve-never-released
## map ringbuf:0:0:4096
## expect reject
## kernel Unreleased reference id=2 alloc_insn=4
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
stdw [%r0+0], 1
out:
mov %r0, 0
exit

## case ringbuf-released-on-one-path
## map ringbuf:0:0:4096
## expect reject
## kernel Unreleased reference
## ours
mov %r6, %r1
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
ldxw %r2, [%r6+0]
jeq %r2, 0, out
mov %r1, %r0
mov %r2, 0
call 132
out:
mov %r0, 0
exit

## case ringbuf-released-on-both-paths
## map ringbuf:0:0:4096
## expect accept
mov %r6, %r1
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 0
ldxw %r3, [%r6+0]
jeq %r3, 0, discard
call 132
ja out
discard:
call 133
out:
mov %r0, 0
exit

## case ringbuf-submit-unchecked
## map ringbuf:0:0:4096
## expect reject
## kernel R1 type=ringbuf_mem_or_null expected=ringbuf_mem
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
mov %r1, %r0
mov %r2, 0
call 132
mov %r0, 0
exit

## case ringbuf-use-after-submit
## map ringbuf:0:0:4096
## expect reject
## kernel R6 invalid mem access 'scalar'
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r0
mov %r2, 0
call 132
stdw [%r6+0], 1
out:
mov %r0, 0
exit

## case ringbuf-double-submit
## map ringbuf:0:0:4096
## expect reject
## kernel R1 type=scalar expected=ringbuf_mem
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r0
mov %r2, 0
call 132
mov %r1, %r6
mov %r2, 0
call 132
out:
mov %r0, 0
exit

## case ringbuf-write-past-reserved
## map ringbuf:0:0:4096
## expect reject
## kernel invalid access to memory, mem_size=8 off=8 size=1
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
stb [%r0+8], 1
mov %r1, %r0
mov %r2, 0
call 133
out:
mov %r0, 0
exit

## case ringbuf-reserve-size-not-constant
## map ringbuf:0:0:4096
## expect reject
## kernel R2 is not a known constant
## ours
ldxw %r2, [%r1+0]
and %r2, 8
lddw %r1, map_fd 0
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 0
call 133
out:
mov %r0, 0
exit

## case ringbuf-submit-moved-pointer
## map ringbuf:0:0:4096
## expect reject
## kernel R1 must have zero offset when passed to release func
## ours
lddw %r1, map_fd 0
mov %r2, 16
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r1, %r0
add %r1, 8
mov %r2, 0
call 132
out:
mov %r0, 0
exit

## case ringbuf-spill-then-submit
## map ringbuf:0:0:4096
## expect accept
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
stxdw [%r10-8], %r0
ldxdw %r1, [%r10-8]
jeq %r1, 0, out
mov %r2, 0
call 132
out:
mov %r0, 0
exit

## case ringbuf-released-in-subprog
## map ringbuf:0:0:4096
## expect accept
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r1, %r0
call local release
out:
mov %r0, 0
exit
release:
mov %r2, 0
call 132
mov %r0, 0
exit

## case ringbuf-reserve-in-subprog-leaks
## map ringbuf:0:0:4096
## expect reject
## kernel Unreleased reference
## ours
call local reserve
mov %r0, 0
exit
reserve:
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
mov %r0, 0
exit

## case ringbuf-reserve-wrong-map
## map array:4:8:1
## expect reject
## kernel cannot pass map_type 2 into func bpf_ringbuf_reserve#131
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
mov %r0, 0
exit

## case spin-lock-unlock
## type sched_cls
## map hash:4:16:16:lock
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
stdw [%r6+8], 1
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-lock-not-released
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
call 93
out:
mov %r0, 0
exit

## case spin-lock-released-on-one-path
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region
## ours
mov %r7, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
ldxw %r2, [%r7+0]
jeq %r2, 0, out
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-unlock-without-lock
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel bpf_spin_unlock without taking a lock
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
call 94
out:
mov %r0, 0
exit

## case spin-lock-helper-call-inside
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel function calls are not allowed while holding a lock
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
call 5
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-lock-twice-is-a-call-under-lock
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel function calls are not allowed while holding a lock
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r1, %r6
call 93
out:
mov %r0, 0
exit

## case spin-lock-wrong-offset
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel off 8 doesn't point to 'struct bpf_spin_lock' that is at 0
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
add %r1, 8
call 93
out:
mov %r0, 0
exit

## case spin-lock-map-without-lock
## type sched_cls
## map hash:4:16:16
## expect reject
## kernel has to have BTF in order to use bpf_spin_lock
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-lock-field-direct-access
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel bpf_spin_lock cannot be accessed directly by load/store
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case spin-lock-in-socket-filter
## map hash:4:16:16:lock
## expect reject
## kernel socket filter progs cannot use bpf_spin_lock yet
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-lock-in-kprobe
## type kprobe
## map hash:4:16:16:lock
## expect reject
## kernel tracing progs cannot use bpf_spin_lock yet
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-lock-exit-from-subprog-while-locked
## type sched_cls
## map hash:4:16:16:lock
## expect reject
## kernel BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
call local lock
out:
mov %r0, 0
exit
lock:
call 93
mov %r0, 0
exit

## case spin-lock-in-uprobe
## type uprobe
## map hash:4:16:16:lock
## expect reject
## kernel tracing progs cannot use bpf_spin_lock yet
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
stdw [%r6+8], 1
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-lock-in-uprobe-not-released
## type uprobe
## map hash:4:16:16:lock
## expect reject
## kernel tracing progs cannot use bpf_spin_lock yet
## ours exit while holding a bpf_spin_lock
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
call 93
out:
mov %r0, 0
exit

## case spin-lock-in-uprobe-helper-call-inside
## type uprobe
## map hash:4:16:16:lock
## expect reject
## kernel tracing progs cannot use bpf_spin_lock yet
## ours calling ktime_get_ns while holding a bpf_spin_lock is not allowed
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
call 5
mov %r1, %r6
call 94
out:
mov %r0, 0
exit

## case spin-lock-in-uprobe-direct-access
## type uprobe
## map hash:4:16:16:lock
## expect reject
## kernel tracing progs cannot use bpf_spin_lock yet
## ours may only be used through bpf_spin_lock/unlock
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r6, %r0
mov %r1, %r6
call 93
stw [%r6+0], 0
mov %r1, %r6
call 94
out:
mov %r0, 0
exit
