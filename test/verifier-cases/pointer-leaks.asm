# Pointer leaks: without CAP_PERFMON (`priv bpf`) a program may not return a pointer, store one into a map value or
# the packet, pass one where a helper takes a plain value, or hand stack bytes holding a spilled pointer to a helper
# that copies them out. As root the same programs load (the `-privileged` twins).

## case return-stack-pointer-unprivileged
## priv bpf
## expect reject
## kernel R0 leaks addr as return value
## ours
mov %r0, %r10
exit

## case return-stack-pointer-privileged
## expect accept
mov %r0, %r10
exit

## case return-ctx-unprivileged
## priv bpf
## expect reject
## kernel R0 leaks addr as return value
## ours
mov %r0, %r1
exit

## case return-scalar-unprivileged
## priv bpf
## expect accept
ldxw %r0, [%r1+0]
exit

## case stack-pointer-into-map-unprivileged
## map hash:4:8:16
## priv bpf
## expect reject
## kernel R10 leaks addr into map
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stxdw [%r0+0], %r10
out:
mov %r0, 0
exit

## case stack-pointer-into-map-privileged
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stxdw [%r0+0], %r10
out:
mov %r0, 0
exit

## case ctx-pointer-into-map-unprivileged
## map hash:4:8:16
## priv bpf
## expect reject
## kernel R6 leaks addr into map
## ours
mov %r6, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stxdw [%r0+0], %r6
out:
mov %r0, 0
exit

## case map-value-pointer-into-itself-unprivileged
## map hash:4:8:16
## priv bpf
## expect reject
## kernel R0 leaks addr into map
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stxdw [%r0+0], %r0
out:
mov %r0, 0
exit

## case scalar-into-map-unprivileged
## map hash:4:8:16
## priv bpf
## expect accept
mov %r6, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxw %r1, [%r6+0]
stxdw [%r0+0], %r1
out:
mov %r0, 0
exit

## case pointer-as-update-flags-unprivileged
## map hash:4:8:16
## priv bpf
## expect reject
## kernel R4 leaks addr into helper function
## ours
stw [%r10-4], 0
stdw [%r10-16], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, %r10
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case spilled-pointer-as-map-value-unprivileged
## map hash:4:8:16
## priv bpf
## expect reject
## kernel invalid read from stack R3 off -16+0 size 8
## ours
stw [%r10-4], 0
stxdw [%r10-16], %r1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case spilled-pointer-as-map-value-privileged
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
stxdw [%r10-16], %r1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case pointer-into-packet-unprivileged
## type sched_cls
## priv bpf
## expect reject
## kernel R10 leaks addr into packet
## ours
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
stxdw [%r2+0], %r10
out:
mov %r0, 0
exit

## case pointer-into-packet-privileged
## type sched_cls
## expect accept
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
stxdw [%r2+0], %r10
out:
mov %r0, 0
exit

## case pointer-into-ctx-cb-unprivileged
## priv bpf
## expect reject
## kernel R10 leaks addr into ctx
## ours
stxw [%r1+48], %r10
mov %r0, 0
exit

## case pointer-into-ringbuf-unprivileged
## map ringbuf:0:0:4096
## priv bpf
## expect reject
## kernel R10 leaks addr into mem
## ours
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
stxdw [%r0+0], %r10
mov %r1, %r0
mov %r2, 0
call 132
out:
mov %r0, 0
exit

## case pointer-xchg-into-map-unprivileged
## map hash:4:8:16
## priv bpf
## expect reject
## kernel R1 leaks addr into mem
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r10
lock xchg [%r0+0], %r1
out:
mov %r0, 0
exit

## case scalar-xchg-into-map-unprivileged
## map hash:4:8:16
## priv bpf
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 3
lock xchg [%r0+0], %r1
out:
mov %r0, 0
exit
