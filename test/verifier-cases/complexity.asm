# Complexity: the kernel stops after 1M processed instructions or 8192 pending branches. States that differ only
# in values nothing depends on are pruned, so n independent branches cost n, unless the result is used in a way
# that needs every value (a map value offset), which makes the states distinct and the cost 2^n.

## case branches-8-precise
## map array:4:64:1
## expect accept
mov %r6, 0
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
and %r6, 63
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, %r6
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case branches-20-precise
## map array:4:64:1
## expect reject
## kernel BPF program is too large. Processed 1000001 insn
## ours
mov %r6, 0
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
and %r6, 63
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, %r6
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case branches-20-imprecise
## expect accept
mov %r6, 0
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
lsh %r6, 1
call 7
jeq %r0, 0, +1
or %r6, 1
mov %r0, 0
exit

## case pending-branches-8193
## expect reject
## kernel The sequence of 8193 jumps is too complex
## ours
mov %r6, 0
mov %r7, 0
loop:
call 7
jeq %r0, 0, +1
add %r7, 0
add %r6, 1
jlt %r6, 10000, loop
mov %r0, 0
exit

## case pending-branches-8000
## expect accept
mov %r6, 0
mov %r7, 0
loop:
call 7
jeq %r0, 0, +1
add %r7, 0
add %r6, 1
jlt %r6, 8000, loop
mov %r0, 0
exit
