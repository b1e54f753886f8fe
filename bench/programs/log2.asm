# Sum floor(log2(x)) over 8192 pseudo-random 64-bit values x, by binary search on shifts.
mov %r0, 0
mov %r6, 1
lddw %r7, 0x9e3779b97f4a7c15
loop:
mov %r1, %r6
mul %r1, %r7
mov %r2, 0
mov %r3, %r1
rsh %r3, 32
jeq %r3, 0, +2
add %r2, 32
rsh %r1, 32
mov %r3, %r1
rsh %r3, 16
jeq %r3, 0, +2
add %r2, 16
rsh %r1, 16
mov %r3, %r1
rsh %r3, 8
jeq %r3, 0, +2
add %r2, 8
rsh %r1, 8
mov %r3, %r1
rsh %r3, 4
jeq %r3, 0, +2
add %r2, 4
rsh %r1, 4
mov %r3, %r1
rsh %r3, 2
jeq %r3, 0, +2
add %r2, 2
rsh %r1, 2
mov %r3, %r1
rsh %r3, 1
jeq %r3, 0, +1
add %r2, 1
add %r0, %r2
add %r6, 1
jne %r6, 8193, loop
exit
