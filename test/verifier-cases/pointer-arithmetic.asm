# Pointer arithmetic: only pointer +/- scalar on 64-bit registers, and pointer - pointer (privileged); never on the
# context, a map pointer, a maybe-null pointer or the packet end; unprivileged programs may not leave the object.

## case stack-pointer-plus-constant
## expect accept
mov %r2, %r10
add %r2, -8
stdw [%r2+0], 0
mov %r0, 0
exit

## case scalar-plus-stack-pointer
## expect accept
mov %r2, -8
add %r2, %r10
stdw [%r2+0], 0
mov %r0, 0
exit

## case pointer-plus-pointer
## expect reject
## kernel R2 pointer += pointer prohibited
## ours
mov %r2, %r10
add %r2, %r1
mov %r0, 0
exit

## case pointer-minus-pointer-privileged
## expect accept
mov %r2, %r10
add %r2, -8
mov %r3, %r10
sub %r2, %r3
mov %r0, %r2
exit

## case pointer-minus-pointer-unprivileged
## priv bpf
## expect reject
## kernel R2 pointer -= pointer prohibited
## ours
mov %r2, %r10
add %r2, -8
mov %r3, %r10
sub %r2, %r3
mov %r0, 0
exit

## case scalar-minus-pointer
## expect reject
## kernel R2 tried to subtract pointer from scalar
## ours
mov %r2, 8
sub %r2, %r10
mov %r0, 0
exit

## case pointer-times-scalar
## expect reject
## kernel R2 pointer arithmetic with *= operator prohibited
## ours
mov %r2, %r10
mul %r2, 2
mov %r0, 0
exit

## case pointer-and-mask
## expect reject
## kernel R2 bitwise operator &= on pointer prohibited
## ours
mov %r2, %r10
and %r2, -8
mov %r0, 0
exit

## case pointer-or
## expect reject
## kernel R2 bitwise operator |= on pointer prohibited
## ours
mov %r2, %r10
or %r2, 1
mov %r0, 0
exit

## case pointer-shift
## expect reject
## kernel R2 pointer arithmetic with <<= operator prohibited
## ours
mov %r2, %r10
lsh %r2, 1
mov %r0, 0
exit

## case pointer-negate-privileged
## expect accept
mov %r2, %r10
neg %r2
mov %r0, 0
exit

## case pointer-negate-unprivileged
## priv bpf
## expect reject
## kernel R2 pointer arithmetic prohibited
## ours
mov %r2, %r10
neg %r2
mov %r0, 0
exit

## case pointer-add32
## expect reject
## kernel R2 32-bit pointer arithmetic prohibited
## ours
mov %r2, %r10
add32 %r2, -8
mov %r0, 0
exit

## case ctx-pointer-plus-constant-deref
## expect reject
## kernel dereference of modified ctx ptr R1 off=4 disallowed
## ours
add %r1, 4
ldxw %r0, [%r1+0]
exit

## case ctx-pointer-offset-in-insn
## expect accept
ldxw %r0, [%r1+4]
exit

## case ctx-pointer-variable-offset
## expect reject
## kernel variable ctx access var_off=
## ours
ldxw %r2, [%r1+0]
and %r2, 4
add %r1, %r2
ldxw %r0, [%r1+0]
exit

## case map-pointer-arithmetic
## map array:4:8:1
## expect reject
## kernel R1 pointer arithmetic on map_ptr prohibited
## ours
lddw %r1, map_fd 0
add %r1, 8
mov %r0, 0
exit

## case maybe-null-pointer-arithmetic
## map hash:4:8:1
## expect reject
## kernel R0 pointer arithmetic on map_value_or_null prohibited
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
add %r0, 4
mov %r0, 0
exit

## case map-value-arithmetic-after-null-check
## map array:4:8:1
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, 4
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case map-value-out-and-back-privileged
## map array:4:8:1
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, 100
sub %r0, 96
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case map-value-out-and-back-unprivileged
## map array:4:8:1
## priv bpf
## expect reject
## kernel R0 pointer arithmetic of map value goes out of range, prohibited for !root
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, 100
sub %r0, 96
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case stack-variable-offset-unprivileged
## priv bpf
## expect reject
## kernel R2 variable stack access prohibited for !root
## ours
ldxb %r3, [%r1+0]
and %r3, 7
mov %r2, %r10
add %r2, -16
add %r2, %r3
stb [%r2+0], 0
mov %r0, 0
exit

## case stack-pointer-huge-constant
## expect reject
## kernel math between fp pointer and -1073741824 is not allowed
## ours
mov %r2, %r10
add %r2, -0x40000000
mov %r0, 0
exit

## case packet-end-arithmetic
## type xdp
## expect reject
## kernel R3 pointer arithmetic on pkt_end prohibited
## ours
ldxw %r3, [%r1+4]
add %r3, -1
mov %r0, 2
exit

## case packet-pointer-plus-constant
## type xdp
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
add %r2, 8
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, +1
ldxb %r0, [%r2+0]
mov %r0, 2
exit

## case pointer-comparison-privileged
## expect accept
mov %r2, %r10
mov %r0, 0
jgt %r1, %r2, +1
mov %r0, 1
exit

## case pointer-comparison-unprivileged
## priv bpf
## expect reject
## kernel R2 pointer comparison prohibited
## ours
mov %r2, %r10
mov %r0, 0
jgt %r1, %r2, +1
mov %r0, 1
exit

## case pointer-compare-with-scalar-unprivileged
## priv bpf
## expect reject
## kernel R1 pointer comparison prohibited
## ours
mov %r0, 0
jeq %r1, 5, +1
mov %r0, 1
exit

## case scalar-arithmetic-on-copied-pointer-value
## expect accept
mov %r2, %r10
sub %r2, %r1
mul %r2, 3
mov %r0, 0
exit
