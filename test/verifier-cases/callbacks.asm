# Callbacks: bpf_loop(nr, callback, ctx, flags) and bpf_for_each_map_elem(map, callback, ctx, flags) take a
# subprogram's address (`lddw rN, func LABEL`); the callback is verified with its own arguments (index and ctx for
# bpf_loop; map, key, value, ctx for for_each_map_elem) and must return 0 or 1.

## case loop-callback
## expect accept
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
mov %r0, 0
exit

## case loop-callback-returns-two
## expect reject
## kernel At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]
## ours
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
mov %r0, 2
exit

## case loop-callback-returns-unknown
## expect reject
## kernel should have been in [0, 1]
## ours
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
mov %r0, %r1
exit

## case loop-callback-returns-index-bit
## expect accept
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
mov %r0, %r1
and %r0, 1
exit

## case loop-callback-r0-uninit
## expect reject
## kernel R0 not a scalar value
## ours
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
exit

## case loop-callback-not-a-function
## expect reject
## kernel R2 type=scalar expected=func
## ours
mov %r1, 10
mov %r2, 0
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit

## case loop-callback-index-is-scalar
## expect reject
## kernel R1 invalid mem access 'scalar'
## ours
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
ldxw %r0, [%r1+0]
mov %r0, 0
exit

## case loop-callback-third-arg-uninit
## expect reject
## kernel R3 !read_ok
## ours
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
mov %r0, %r3
exit

## case loop-callback-writes-ctx-on-caller-stack
## priv bpf
## expect accept
stdw [%r10-8], 0
mov %r1, 10
lddw %r2, func cb
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
ldxdw %r0, [%r10-8]
exit
cb:
ldxdw %r3, [%r2+0]
add %r3, %r1
stxdw [%r2+0], %r3
mov %r0, 0
exit

## case loop-callback-ctx-past-caller-slot
## priv bpf
## expect reject
## kernel invalid read from stack R2 off=-16 size=8
## ours
stdw [%r10-8], 0
mov %r1, 10
lddw %r2, func cb
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
ldxdw %r3, [%r2-8]
mov %r0, 0
exit

## case loop-callback-ctx-is-null
## expect reject
## kernel R2 invalid mem access 'scalar'
## ours
mov %r1, 10
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
ldxdw %r3, [%r2+0]
mov %r0, 0
exit

## case loop-callback-leaks-ringbuf-record
## map ringbuf:0:0:4096
## expect reject
## kernel Unreleased reference
## ours
mov %r1, 4
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 181
mov %r0, 0
exit
cb:
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
call 131
mov %r0, 0
exit

## case for-each-map-elem
## map array:4:8:4
## expect accept
lddw %r1, map_fd 0
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
cb:
ldxdw %r0, [%r3+0]
mov %r0, 0
exit

## case for-each-map-elem-value-past-end
## map array:4:8:4
## expect reject
## kernel invalid access to map value, value_size=8 off=8 size=8
## ours
lddw %r1, map_fd 0
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
cb:
ldxdw %r0, [%r3+8]
mov %r0, 0
exit

## case for-each-map-elem-key-read
## map hash:8:8:4
## expect accept
lddw %r1, map_fd 0
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
cb:
ldxdw %r0, [%r2+0]
mov %r0, 0
exit

## case for-each-map-elem-key-past-end
## map hash:8:8:4
## expect reject
## kernel invalid access to map key, key_size=8 off=4 size=8
## ours
lddw %r1, map_fd 0
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
cb:
ldxdw %r0, [%r2+4]
mov %r0, 0
exit

## case for-each-map-elem-returns-two
## map array:4:8:4
## expect reject
## kernel should have been in [0, 1]
## ours
lddw %r1, map_fd 0
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
cb:
mov %r0, 2
exit

## case for-each-map-elem-ringbuf
## map ringbuf:0:0:4096
## expect reject
## kernel callback function not allowed for map
## ours
lddw %r1, map_fd 0
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
cb:
mov %r0, 0
exit

## case for-each-map-elem-callback-writes-value
## map hash:4:8:4
## expect accept
lddw %r1, map_fd 0
lddw %r2, func cb
mov %r3, 0
mov %r4, 0
call 164
mov %r0, 0
exit
cb:
stdw [%r3+0], 0
mov %r0, 0
exit
