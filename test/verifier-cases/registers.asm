# Register types and uninitialised reads: r0 at exit, reads before writes on every path, r1-r5 clobbered by calls,
# r6-r9 preserved, scalars are not pointers, subprogram frames start with only r1-r5 and r10.

## case r0-uninit-at-exit
## expect reject
## kernel R0 !read_ok
## ours
exit

## case r0-set-at-exit
## expect accept
mov %r0, 0
exit

## case read-uninit-r2
## expect reject
## kernel R2 !read_ok
## ours
mov %r0, %r2
exit

## case read-ctx-r1
## expect accept
mov %r2, %r1
mov %r0, 0
exit

## case uninit-jump-operand
## expect reject
## kernel R4 !read_ok
## ours
mov %r0, 0
jeq %r4, 0, +0
exit

## case uninit-store-source
## expect reject
## kernel R5 !read_ok
## ours
stxdw [%r10-8], %r5
mov %r0, 0
exit

## case uninit-memory-base
## expect reject
## kernel R3 !read_ok
## ours
ldxw %r0, [%r3+0]
exit

## case uninit-alu-source
## expect reject
## kernel R7 !read_ok
## ours
mov %r0, 1
add %r0, %r7
exit

## case uninit-alu-destination
## expect reject
## kernel R8 !read_ok
## ours
add %r8, 1
mov %r0, 0
exit

## case init-alu-destination-by-mov
## expect accept
mov %r8, 0
add %r8, 1
mov %r0, %r8
exit

## case helper-clobbers-r1-r5
## expect reject
## kernel R2 !read_ok
## ours
mov %r2, 1
call 5
mov %r0, %r2
exit

## case helper-preserves-r6-r9
## expect accept
mov %r6, 1
call 5
mov %r0, %r6
exit

## case helper-result-in-r0
## expect accept
call 5
exit

## case uninit-on-one-path
## expect reject
## kernel R3 !read_ok
## ours
ldxw %r2, [%r1+0]
jeq %r2, 0, +1
mov %r3, 1
mov %r0, %r3
exit

## case init-on-both-paths
## expect accept
ldxw %r2, [%r1+0]
mov %r3, 2
jeq %r2, 0, +1
mov %r3, 1
mov %r0, %r3
exit

## case scalar-load-base
## expect reject
## kernel R1 invalid mem access 'scalar'
## ours
mov %r1, 0
ldxw %r0, [%r1+0]
exit

## case scalar-store-base
## expect reject
## kernel R1 invalid mem access 'scalar'
## ours
mov %r1, 4096
stw [%r1+0], 0
mov %r0, 0
exit

## case ctx-copy-load
## expect accept
mov %r2, %r1
ldxw %r0, [%r2+0]
exit

## case loaded-field-is-scalar
## expect reject
## kernel R2 invalid mem access 'scalar'
## ours
ldxw %r2, [%r1+0]
ldxw %r0, [%r2+0]
exit

## case lddw-scalar-is-not-a-pointer
## expect reject
## kernel R2 invalid mem access 'scalar'
## ours
lddw %r2, 0xffff888000000000
ldxdw %r0, [%r2+0]
exit

## case mov32-pointer-is-scalar
## expect reject
## kernel R2 invalid mem access 'scalar'
## ours
mov32 %r2, %r1
ldxw %r0, [%r2+0]
exit

## case mov32-pointer-unprivileged
## priv bpf
## expect reject
## kernel R1 partial copy of pointer
## ours
mov32 %r2, %r1
mov %r0, 0
exit

## case subprog-r6-uninit
## expect reject
## kernel R6 !read_ok
## ours
mov %r6, 1
call local sub
exit
sub:
mov %r0, %r6
exit

## case subprog-gets-args
## expect accept
mov %r1, 1
mov %r2, 2
call local sub
exit
sub:
mov %r0, %r1
add %r0, %r2
exit

## case subprog-r0-uninit
## expect reject
## kernel R0 !read_ok
## ours
call local sub
exit
sub:
exit

## case subprog-clobbers-r1
## expect reject
## kernel R1 !read_ok
## ours
call local sub
mov %r0, %r1
exit
sub:
mov %r0, 0
exit

## case subprog-preserves-r6
## expect accept
mov %r6, 7
call local sub
mov %r0, %r6
exit
sub:
mov %r6, 0
mov %r0, 0
exit

## case subprog-ctx-arg
## expect accept
call local sub
exit
sub:
ldxw %r0, [%r1+0]
exit

## case subprog-scalar-arg-deref
## expect reject
## kernel R1 invalid mem access 'scalar'
## ours
mov %r1, 0
call local sub
exit
sub:
ldxw %r0, [%r1+0]
exit

## case ctx-pointer-as-return-privileged
## expect accept
mov %r0, %r1
exit
