# A rotating checksum of the input buffer read as 32-bit words (loads, 32-bit ALU, shifts).
mov %r0, 0
mov %r3, 0
mov %r4, %r2
rsh %r4, 2
loop:
ldxw %r5, [%r1]
add32 %r0, %r5
add32 %r3, %r0
mov32 %r6, %r3
lsh32 %r6, 5
rsh32 %r3, 27
or32 %r3, %r6
add %r1, 4
sub %r4, 1
jne %r4, 0, loop
xor %r0, %r3
exit
