# Tail calls: bpf_tail_call(ctx, prog_array, index) with the context, a prog_array map and an index (any value when
# privileged, no pointer otherwise); not while holding a reference; from a subprogram (which needs BTF, as clang
# always emits) only when the frames below it use at most 256 bytes of stack.

## case tail-call
## map prog_array:4:4:4
## expect accept
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit

## case tail-call-wrong-map
## map hash:4:4:4
## expect reject
## kernel expected prog array map for tail call
## ours
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit

## case tail-call-ctx-not-ctx
## map prog_array:4:4:4
## expect reject
## kernel R1 type=scalar expected=ctx
## ours
mov %r1, 0
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit

## case tail-call-map-scalar
## map prog_array:4:4:4
## expect reject
## kernel R2 type=scalar expected=map_ptr
## ours
mov %r2, 0
mov %r3, 0
call 12
mov %r0, 0
exit

## case tail-call-index-uninit
## map prog_array:4:4:4
## expect reject
## kernel R3 !read_ok
## ours
lddw %r2, map_fd 0
call 12
mov %r0, 0
exit

## case tail-call-index-unknown
## map prog_array:4:4:4
## expect accept
ldxw %r3, [%r1+0]
lddw %r2, map_fd 0
call 12
mov %r0, 0
exit

## case tail-call-index-pointer-privileged
## map prog_array:4:4:4
## expect accept
mov %r3, %r10
lddw %r2, map_fd 0
call 12
mov %r0, 0
exit

## case tail-call-index-pointer-unprivileged
## map prog_array:4:4:4
## priv bpf
## expect reject
## kernel R3 leaks addr into helper function
## ours
mov %r3, %r10
lddw %r2, map_fd 0
call 12
mov %r0, 0
exit

## case prog-array-lookup
## map prog_array:4:4:4
## expect reject
## kernel cannot pass map_type 3 into func bpf_map_lookup_elem#1
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case tail-call-from-subprog
## map prog_array:4:4:4
## expect accept
stdw [%r10-64], 0
call local sub
exit
sub:
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit

## case tail-call-from-subprog-deep-stack
## map prog_array:4:4:4
## expect reject
## kernel tail_calls are not allowed when call stack of previous frames is 288 bytes. Too large
## ours
stdw [%r10-288], 0
call local sub
exit
sub:
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit

## case tail-call-holding-ringbuf-reference
## map prog_array:4:4:4
## map ringbuf:0:0:4096
## expect reject
## kernel tail_call would lead to reference leak
## ours
mov %r6, %r1
lddw %r1, map_fd 1
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r7, %r0
mov %r1, %r6
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r1, %r7
mov %r2, 0
call 133
out:
mov %r0, 0
exit

## case tail-call-after-ringbuf-release
## map prog_array:4:4:4
## map ringbuf:0:0:4096
## expect accept
mov %r6, %r1
lddw %r1, map_fd 1
mov %r2, 8
mov %r3, 0
call 131
jeq %r0, 0, out
mov %r1, %r0
mov %r2, 0
call 133
out:
mov %r1, %r6
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit

## case tail-call-clobbers-r1-r5
## map prog_array:4:4:4
## expect reject
## kernel R1 !read_ok
## ours
lddw %r2, map_fd 0
mov %r3, 0
call 12
ldxw %r0, [%r1+0]
exit

## case tail-call-in-xdp
## type xdp
## map prog_array:4:4:4
## expect accept
lddw %r2, map_fd 0
mov %r3, 1
call 12
mov %r0, 2
exit
