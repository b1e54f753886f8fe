# Verify the header checksum of the IPv4 packet passed as input memory (r1 = packet, r2 = its length).
# Returns 1 when the checksum is valid, 0 when it is not, and 2 when the packet is too short or not IPv4.
#   npx bpftime-vm run examples/ipv4-checksum.asm --mem examples/ipv4-header.bin   -> r0 = 0x1 (1)
jlt %r2, 20, bad             # shorter than a minimal header
ldxb %r3, [%r1]
mov %r4, %r3
rsh %r4, 4
jne %r4, 4, bad              # version must be 4
and %r3, 0xf
lsh %r3, 2                   # header length in bytes (IHL * 4)
jlt %r3, 20, bad
jgt %r3, %r2, bad
mov %r0, 0                   # one's complement sum of 16-bit big-endian words
mov %r5, %r1
mov %r6, %r1
add %r6, %r2                 # end of the packet
add %r3, %r1                 # end of header
sum:
mov %r7, %r5
add %r7, 2
jgt %r7, %r6, bad            # never taken (the header fits): the bound the verifier needs for the load
ldxh %r4, [%r5]
be16 %r4
add %r0, %r4
add %r5, 2
jlt %r5, %r3, sum
mov %r4, %r0                 # fold the carries twice: a sum of at most 30 words needs no more
rsh %r4, 16
and %r0, 0xffff
add %r0, %r4
mov %r4, %r0
rsh %r4, 16
and %r0, 0xffff
add %r0, %r4
jeq %r0, 0xffff, good
mov %r0, 0
exit
good:
mov %r0, 1
exit
bad:
mov %r0, 2
exit
