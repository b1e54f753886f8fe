# Copy the first half of the input buffer (r1, length r2) to its second half, one byte at a time;
# returns the number of bytes copied. Both indexes are compared with a length before use, which is what
# lets the verifier prove every access inside the input (bpftime-vm verify bench/programs/memcpy.asm).
mov %r6, %r2
rsh %r6, 1          # half
mov %r3, 0          # i
loop:
jge %r3, %r6, done  # i < half
mov %r7, %r3
add %r7, %r6
jge %r7, %r2, done  # i + half < len
mov %r4, %r1
add %r4, %r3
ldxb %r5, [%r4]
mov %r4, %r1
add %r4, %r7
stxb [%r4], %r5
add %r3, 1
ja loop
done:
mov %r0, %r3
exit
