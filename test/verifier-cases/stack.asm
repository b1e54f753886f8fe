# The stack: 512 bytes below r10, aligned accesses, reads of initialised bytes only (the kernel allows uninitialised
# reads under CAP_PERFMON, so those pairs run with `priv bpf`), spilled pointers and precise scalars survive a fill,
# partial overwrites of a spilled pointer, variable offsets, and helper-initialised buffers.

## case stack-write-then-read
## priv bpf
## expect accept
stdw [%r10-8], 1
ldxdw %r0, [%r10-8]
exit

## case stack-read-uninit
## priv bpf
## expect reject
## kernel invalid read from stack R10 off=-8 size=8
## ours
ldxdw %r0, [%r10-8]
exit

## case stack-read-uninit-privileged
## expect accept
ldxdw %r0, [%r10-8]
exit

## case stack-read-partly-init
## priv bpf
## expect reject
## kernel invalid read from stack off -8+4 size 8
## ours
stw [%r10-8], 1
ldxdw %r0, [%r10-8]
exit

## case stack-read-both-halves-init
## priv bpf
## expect accept
stw [%r10-8], 1
stw [%r10-4], 2
ldxdw %r0, [%r10-8]
exit

## case stack-init-on-one-path
## priv bpf
## expect reject
## kernel invalid read from stack R10 off=-8 size=8
## ours
ldxw %r2, [%r1+0]
jeq %r2, 0, +1
stdw [%r10-8], 1
ldxdw %r0, [%r10-8]
exit

## case stack-bottom
## expect accept
stdw [%r10-512], 0
mov %r0, 0
exit

## case stack-below-bottom
## expect reject
## kernel invalid write to stack R10 off=-520 size=8
## ours
stdw [%r10-520], 0
mov %r0, 0
exit

## case stack-at-frame-pointer
## expect reject
## kernel invalid write to stack R10 off=0 size=8
## ours
stdw [%r10+0], 0
mov %r0, 0
exit

## case stack-byte-at-frame-pointer
## expect reject
## kernel invalid write to stack R10 off=0 size=1
## ours
stb [%r10+0], 0
mov %r0, 0
exit

## case stack-misaligned
## expect reject
## kernel misaligned stack access off 0+0+-12 size 8
## ours
stdw [%r10-12], 0
mov %r0, 0
exit

## case stack-aligned-narrow
## expect accept
stw [%r10-12], 0
sth [%r10-14], 0
stb [%r10-15], 0
mov %r0, 0
exit

## case spill-fill-ctx-pointer
## expect accept
stxdw [%r10-8], %r1
ldxdw %r2, [%r10-8]
ldxw %r0, [%r2+0]
exit

## case spill-fill-ctx-pointer-narrow
## expect reject
## kernel invalid size of register fill
## ours
stxdw [%r10-8], %r1
ldxw %r2, [%r10-8]
mov %r0, 0
exit

## case spilled-pointer-overwritten-privileged
## expect reject
## kernel R2 invalid mem access 'scalar'
## ours
stxdw [%r10-8], %r1
stb [%r10-8], 0
ldxdw %r2, [%r10-8]
ldxw %r0, [%r2+0]
exit

## case spilled-pointer-overwritten-unprivileged
## priv bpf
## expect reject
## kernel attempt to corrupt spilled pointer on stack
## ours
stxdw [%r10-8], %r1
stb [%r10-8], 0
mov %r0, 0
exit

## case spill-precise-constant
## map array:4:64:1
## expect accept
mov %r6, 63
stxdw [%r10-16], %r6
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r7, [%r10-16]
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case spill-precise-constant-past-end
## map array:4:64:1
## expect reject
## kernel invalid access to map value, value_size=64 off=64 size=1
## ours
mov %r6, 64
stxdw [%r10-16], %r6
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r7, [%r10-16]
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case spill-bounded-scalar
## map array:4:64:1
## expect accept
ldxw %r6, [%r1+0]
and %r6, 63
stxdw [%r10-16], %r6
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r7, [%r10-16]
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case spill-scalar-narrow-fill-loses-bounds
## map array:4:64:1
## expect accept
ldxw %r6, [%r1+0]
and %r6, 63
stxdw [%r10-16], %r6
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxb %r7, [%r10-16]
add %r0, %r7
ldxb %r1, [%r0+0]
out:
mov %r0, 0
exit

## case stack-variable-offset-write-privileged
## expect accept
ldxb %r3, [%r1+0]
and %r3, 7
mov %r2, %r10
add %r2, -16
add %r2, %r3
stb [%r2+0], 0
mov %r0, 0
exit

## case stack-variable-offset-write-out-of-frame
## expect reject
## kernel invalid variable-offset write to stack R2
## ours
ldxb %r3, [%r1+0]
and %r3, 15
mov %r2, %r10
add %r2, -8
add %r2, %r3
stb [%r2+0], 0
mov %r0, 0
exit

## case stack-variable-offset-read-initialised
## priv bpf
## expect reject
## kernel R2 variable stack access prohibited for !root
## ours
stdw [%r10-16], 0
stdw [%r10-8], 0
ldxb %r3, [%r1+0]
and %r3, 7
mov %r2, %r10
add %r2, -16
add %r2, %r3
ldxb %r0, [%r2+0]
exit

## case stack-variable-offset-read-privileged
## expect accept
stdw [%r10-16], 0
stdw [%r10-8], 0
ldxb %r3, [%r1+0]
and %r3, 7
mov %r2, %r10
add %r2, -16
add %r2, %r3
ldxb %r0, [%r2+0]
exit

## case helper-initialises-stack
## priv bpf
## expect accept
mov %r2, 0
mov %r3, %r10
add %r3, -16
mov %r4, 16
call 26                     # skb_load_bytes(skb, offset, to, len)
ldxdw %r0, [%r10-16]
exit

## case helper-initialises-only-its-size
## priv bpf
## expect reject
## kernel invalid read from stack R10 off=-16 size=8
## ours
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 8
call 26                     # skb_load_bytes(skb, offset, to, len)
ldxdw %r0, [%r10-16]
exit

## case subprog-writes-caller-stack
## priv bpf
## expect accept
mov %r1, %r10
add %r1, -8
call local sub
ldxdw %r0, [%r10-8]
exit
sub:
stdw [%r1+0], 5
mov %r0, 0
exit

## case subprog-stack-is-its-own
## priv bpf
## expect reject
## kernel invalid read from stack R10 off=-8 size=8
## ours
stdw [%r10-8], 1
call local sub
exit
sub:
ldxdw %r0, [%r10-8]
exit

## case subprog-returns-stack-pointer
## expect reject
## kernel cannot return stack pointer to the caller
## ours
call local sub
mov %r0, 0
exit
sub:
mov %r0, %r10
add %r0, -8
exit

## case stack-atomic-on-initialised-slot
## priv bpf
## expect accept
stdw [%r10-8], 0
mov %r1, 1
lock add [%r10-8], %r1
ldxdw %r0, [%r10-8]
exit

## case stack-atomic-on-uninit-slot
## priv bpf
## expect reject
## kernel invalid read from stack R10 off=-8 size=8
## ours
mov %r1, 1
lock add [%r10-8], %r1
mov %r0, 0
exit

## case stack-cmpxchg
## priv bpf
## expect accept
stdw [%r10-8], 5
mov %r0, 5
mov %r1, 7
lock cmpxchg [%r10-8], %r1
ldxdw %r0, [%r10-8]
exit

## case stack-cmpxchg-r0-uninit
## priv bpf
## expect reject
## kernel R0 !read_ok
## ours
stdw [%r10-8], 5
mov %r1, 7
lock cmpxchg [%r10-8], %r1
mov %r0, 0
exit

## case stack-fetch-add-result
## priv bpf
## expect accept
stdw [%r10-8], 5
mov %r1, 1
lock fetch add [%r10-8], %r1
mov %r0, %r1
exit

## case stack-atomic-on-spilled-pointer-privileged
## expect accept
stxdw [%r10-8], %r1
mov %r2, 1
lock add [%r10-8], %r2
mov %r0, 0
exit

## case stack-atomic-on-spilled-pointer-unprivileged
## priv bpf
## expect reject
## kernel leaking pointer from stack off -8
## ours
stxdw [%r10-8], %r1
mov %r2, 1
lock add [%r10-8], %r2
mov %r0, 0
exit
