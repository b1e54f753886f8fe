# A rotating checksum of the input buffer read as 32-bit words (loads, 32-bit ALU, shifts). The loop runs while
# four more bytes fit before the end of the input (r1 + r2), the bound the verifier needs for every load.
mov %r0, 0
mov %r3, 0
mov %r4, %r1
add %r4, %r2        # end of the input
loop:
mov %r7, %r1
add %r7, 4
jgt %r7, %r4, done
ldxw %r5, [%r1]
add32 %r0, %r5
add32 %r3, %r0
mov32 %r6, %r3
lsh32 %r6, 5
rsh32 %r3, 27
or32 %r3, %r6
add %r1, 4
ja loop
done:
xor %r0, %r3
exit
