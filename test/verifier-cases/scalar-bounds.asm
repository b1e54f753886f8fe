# Scalar bounds and tnums: an unknown value (from bpf_get_prandom_u32: 64-bit unknown; "u32": skb->len, zero
# extended; "u8": one byte) is bounded by ALU operations and branches (JMP and JMP32, signed and unsigned), then used
# as a variable offset into a 64-byte map value. The access is in bounds only if the proved range allows it.

## case and-mask-in-bounds
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 63
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case and-mask-past-end
## map array:4:64:1
## expect reject
## kernel invalid access to map value, value_size=64 off=64 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 64
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case unbounded-index
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case u32-index-unbounded
## map array:4:64:1
## expect reject
## kernel R0 unbounded memory access
## ours
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jge-upper-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jge %r7, 64, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jge-upper-bound-off-by-one
## map array:4:64:1
## expect reject
## kernel value_size=64 off=64 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jge %r7, 65, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jgt-upper-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jgt %r7, 63, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jlt-fallthrough-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jlt %r7, 64, +1
ja out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jle-fallthrough-bound-off-by-one
## map array:4:64:1
## expect reject
## kernel value_size=64 off=64 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jle %r7, 64, +1
ja out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jsgt-upper-only
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jsgt %r7, 63, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jsgt-and-jslt-zero
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jsgt %r7, 63, out
jslt %r7, 0, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jsge-and-jsle
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jsle %r7, 0, out
jsge %r7, 64, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case reg-bound-constant
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mov %r3, 63
jgt %r7, %r3, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case reg-bound-unknown
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mov %r8, %r0
call 7
mov %r3, %r0
jgt %r7, %r3, out
mov %r0, %r8
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jmp32-bound-on-64bit-value
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jgt32 %r7, 63, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jmp32-bound-on-u32-value
## map array:4:64:1
## expect accept
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jgt32 %r7, 63, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jmp32-bound-after-zero-extension
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mov32 %r7, %r7
jgt32 %r7, 63, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jmp32-signed-bound-on-u32-value
## map array:4:64:1
## expect reject
## kernel R0 unbounded memory access
## ours
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jsgt32 %r7, 63, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jmp32-signed-both-on-u32-value
## map array:4:64:1
## expect accept
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jsgt32 %r7, 63, out
jslt32 %r7, 0, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jeq-constant
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jne %r7, 56, out
add %r0, %r7
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jeq-constant-past-end
## map array:4:64:1
## expect reject
## kernel value_size=64 off=57 size=8
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jne %r7, 57, out
add %r0, %r7
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case rsh-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
rsh %r7, 26
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case rsh-bound-too-wide
## map array:4:64:1
## expect reject
## kernel value_size=64 off=127 size=1
## ours
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
rsh %r7, 25
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case rsh-64bit-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
rsh %r7, 58
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case arsh-keeps-sign
## map array:4:64:1
## expect reject
## kernel R0 min value is negative
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
arsh %r7, 58
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case mul-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 7
mul %r7, 8
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case mul-bound-past-end
## map array:4:64:1
## expect reject
## kernel value_size=64 off=70 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 7
mul %r7, 10
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case lsh-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 7
lsh %r7, 3
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case lsh-bound-past-end
## map array:4:64:1
## expect reject
## kernel value_size=64 off=112 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 7
lsh %r7, 4
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case add-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 31
add %r7, 32
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case add-bound-past-end
## map array:4:64:1
## expect reject
## kernel value_size=64 off=64 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 31
add %r7, 33
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case sub-below-zero
## map array:4:64:1
## expect reject
## kernel R0 min value is negative
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 31
sub %r7, 1
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case or-tnum
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 15
or %r7, 48
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case or-tnum-past-end
## map array:4:64:1
## expect reject
## kernel R0 min value is outside of the allowed memory range
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 15
or %r7, 64
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case xor-tnum
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 63
xor %r7, 42
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case tnum-aligned-word
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 0x3c
add %r0, %r7
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case tnum-unaligned-word-past-end
## map array:4:64:1
## expect reject
## kernel value_size=64 off=62 size=4
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 0x3e
add %r0, %r7
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case and32-bound
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and32 %r7, 63
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case add32-wraps
## map array:4:64:1
## expect reject
## kernel R0 unbounded memory access
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 63
add32 %r7, -1
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case mod-bound
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mod %r7, 64
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case div-bound
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
div %r7, 0x4000000
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case constant-index
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mov %r7, 63
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case constant-index-past-end
## map array:4:64:1
## expect reject
## kernel value_size=64 off=64 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mov %r7, 64
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case variable-plus-constant-offset
## map array:4:64:1
## expect reject
## kernel value_size=64 off=64 size=1
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 63
add %r0, %r7
ldxb %r1, [%r0+1]
out:
mov %r0, 0
exit

## case variable-plus-constant-offset-in-bounds
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 62
add %r0, %r7
ldxb %r1, [%r0+1]
out:
mov %r0, 0
exit

## case dead-branch-not-explored
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mov %r7, 100
jgt %r7, 50, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case ldxb-zero-extends
## map array:4:64:1
## expect accept
mov %r6, %r1
ldxb %r7, [%r6+0]           # low byte of skb->len: unknown u8
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jgt %r7, 63, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case ldxb-range-past-end
## map array:4:64:1
## expect reject
## kernel R0 max value is outside of the allowed memory range
## ours
mov %r6, %r1
ldxb %r7, [%r6+0]           # low byte of skb->len: unknown u8
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case movsx-keeps-negative
## map array:4:64:1
## expect reject
## kernel R0 min value is negative
## ours
mov %r6, %r1
ldxb %r7, [%r6+0]           # low byte of skb->len: unknown u8
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
movsx864 %r7, %r7
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case neg-of-bounded
## map array:4:64:1
## expect reject
## kernel R0 min value is negative
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 63
neg %r7
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case bswap-unknown
## map array:4:64:1
## expect reject
## kernel value_size=64 off=65280 size=1
## ours
mov %r6, %r1
ldxb %r7, [%r6+0]           # low byte of skb->len: unknown u8
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
be16 %r7
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jset-does-not-bound
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jset %r7, 0x40, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jset-after-mask
## map array:4:64:1
## expect accept
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 127
jset %r7, 64, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jeq32-constant-on-u32
## map array:4:64:1
## expect accept
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jne32 %r7, 60, out
add %r0, %r7
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jeq32-constant-on-64bit-value
## map array:4:64:1
## expect reject
## kernel makes map_value pointer be out of bounds
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jne32 %r7, 60, out
add %r0, %r7
ldxw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jmp32-signed-both-on-64bit-value
## map array:4:64:1
## expect reject
## kernel math between map_value pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
call 7                      # get_prandom_u32: unknown 64-bit
mov %r7, %r0
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
jsgt32 %r7, 63, out
jslt32 %r7, 0, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case jmp32-register-bound-on-u32
## map array:4:64:1
## expect accept
mov %r6, %r1
ldxw %r7, [%r6+0]           # skb->len: unknown u32
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
mov %r3, 64
jge32 %r7, %r3, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case ldxsb-sign-extends
## map array:4:64:1
## expect reject
## kernel R0 min value is negative
## ours
mov %r6, %r1
ldxsb %r7, [%r6+0]          # low byte of skb->len, sign-extended: [-128, 127]
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case ldxsb-masked
## map array:4:64:1
## expect accept
mov %r6, %r1
ldxsb %r7, [%r6+0]          # low byte of skb->len, sign-extended: [-128, 127]
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1                      # map_lookup_elem
jeq %r0, 0, out
and %r7, 63
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit
