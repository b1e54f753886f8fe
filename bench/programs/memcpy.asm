# Copy the first half of the input buffer (r1, length r2) to its second half, one byte at a time;
# returns the number of bytes copied.
mov %r6, %r2
rsh %r6, 1
mov %r7, %r1
add %r7, %r6
mov %r3, 0
loop:
ldxb %r5, [%r1]
stxb [%r7], %r5
add %r1, 1
add %r7, 1
add %r3, 1
jne %r3, %r6, loop
mov %r0, %r3
exit
