# Return types: what a helper's r0 is after the call (a scalar, a map value or null, ring buffer memory or null), and
# the ranges a program type or a callback must return (cgroup_skb returns 0 or 1; xdp and socket filters any
# value; a subprogram cannot hand back its own stack).

## case scalar-return-deref
## expect reject
## kernel R0 invalid mem access 'scalar'
## ours
call 5
ldxw %r1, [%r0+0]
mov %r0, 0
exit

## case scalar-return-arithmetic
## expect accept
call 5
rsh %r0, 10
and %r0, 1
exit

## case lookup-return-is-value-size
## map hash:4:4:16
## expect reject
## kernel invalid access to map value, value_size=4 off=0 size=8
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case update-return-is-scalar
## map hash:4:8:16
## expect reject
## kernel R0 invalid mem access 'scalar'
## ours
stw [%r10-4], 0
stdw [%r10-16], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, map_fd 0
call 2
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case ringbuf-reserve-return-not-checked
## map ringbuf:0:0:4096
## expect reject
## kernel R0 invalid mem access 'ringbuf_mem_or_null'
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
stdw [%r0+0], 0
mov %r0, 0
exit

## case current-task-is-scalar
## type kprobe
## expect reject
## kernel R0 invalid mem access 'scalar'
## ours
call 35
ldxdw %r1, [%r0+0]
mov %r0, 0
exit

## case cgroup-skb-return-one
## type cgroup_skb
## expect accept
mov %r0, 1
exit

## case cgroup-skb-return-two
## type cgroup_skb
## expect reject
## kernel should have been in [0, 1]
## ours
mov %r0, 2
exit

## case cgroup-skb-return-unknown
## type cgroup_skb
## expect reject
## kernel should have been in [0, 1]
## ours
ldxw %r0, [%r1+0]
exit

## case cgroup-skb-return-masked
## type cgroup_skb
## expect accept
ldxw %r0, [%r1+0]
and %r0, 1
exit

## case cgroup-skb-return-pointer
## type cgroup_skb
## expect reject
## kernel R0 is not a known value (ctx)
## ours
mov %r0, %r1
exit

## case cgroup-skb-return-negative
## type cgroup_skb
## expect reject
## kernel should have been in [0, 1]
## ours
mov %r0, -1
exit

## case xdp-return-any-value
## type xdp
## expect accept
mov %r0, 100
exit

## case socket-filter-return-any-value
## expect accept
mov %r0, -1
exit

## case kprobe-return-any-value
## type kprobe
## expect accept
mov %r0, 12345
exit

## case subprog-return-value-used
## map hash:4:8:16
## expect accept
call local sub
and %r0, 7
exit
sub:
call 7
exit

## case subprog-returns-caller-stack-pointer
## priv bpf
## expect reject
## kernel cannot return stack pointer to the caller
## ours
stdw [%r10-8], 9
mov %r1, %r10
add %r1, -8
call local sub
ldxdw %r0, [%r0+0]
exit
sub:
mov %r0, %r1
exit
