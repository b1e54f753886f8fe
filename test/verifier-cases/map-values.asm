# Map values: a lookup returns a map value or null that must be null-checked before use (hash maps; the kernel knows
# that an array lookup whose key is a zeroed stack slot is never null, but loses other constant keys); accesses stay
# within the value size and aligned for atomics; the check carries over to copies and spills of the pointer; direct
# value access (`lddw map_value`) on arrays; reading the map pointer itself (struct bpf_map fields, CAP_PERFMON).

## case lookup-null-checked
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case lookup-not-null-checked
## map hash:4:8:16
## expect reject
## kernel R0 invalid mem access 'map_value_or_null'
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
ldxdw %r1, [%r0+0]
mov %r0, 0
exit

## case lookup-used-on-null-branch
## map hash:4:8:16
## expect reject
## kernel R0 invalid mem access 'scalar'
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jne %r0, 0, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case lookup-checked-with-jne
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jne %r0, 0, found
mov %r0, 0
exit
found:
ldxdw %r1, [%r0+0]
mov %r0, 0
exit

## case lookup-compared-with-one
## map hash:4:8:16
## expect reject
## kernel R0 invalid mem access 'map_value_or_null'
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 1, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case lookup-check-on-copy
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r6, %r0
jeq %r6, 0, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case lookup-check-after-spill
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
stxdw [%r10-16], %r0
ldxdw %r6, [%r10-16]
jeq %r6, 0, out
ldxdw %r1, [%r6+0]
out:
mov %r0, 0
exit

## case lookup-check-of-other-lookup
## map hash:4:8:16
## expect reject
## kernel R6 invalid mem access 'map_value_or_null'
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r6, %r0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r6+0]
out:
mov %r0, 0
exit

## case array-zero-key-never-null
## map array:4:8:4
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
ldxdw %r1, [%r0+0]
mov %r0, 0
exit

## case array-nonzero-constant-key-maybe-null
## map array:4:8:4
## expect reject
## kernel R0 invalid mem access 'map_value_or_null'
## ours
stw [%r10-4], 3
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
ldxdw %r1, [%r0+0]
mov %r0, 0
exit

## case value-last-byte
## map hash:4:64:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxb %r1, [%r0+63]
out:
mov %r0, 0
exit

## case value-one-past-end
## map hash:4:64:16
## expect reject
## kernel invalid access to map value, value_size=64 off=64 size=1
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxb %r1, [%r0+64]
out:
mov %r0, 0
exit

## case value-straddles-end
## map hash:4:64:16
## expect reject
## kernel invalid access to map value, value_size=64 off=60 size=8
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+60]
out:
mov %r0, 0
exit

## case value-negative-offset
## map hash:4:64:16
## expect reject
## kernel invalid access to map value, value_size=64 off=-8 size=8
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0-8]
out:
mov %r0, 0
exit

## case value-write-in-bounds
## map hash:4:64:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stdw [%r0+56], 1
out:
mov %r0, 0
exit

## case value-write-past-end
## map hash:4:64:16
## expect reject
## kernel invalid access to map value, value_size=64 off=62 size=4
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stw [%r0+62], 1
out:
mov %r0, 0
exit

## case value-atomic-add
## map hash:4:64:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+8], %r1
out:
mov %r0, 0
exit

## case value-atomic-misaligned
## map hash:4:64:16
## expect reject
## kernel misaligned value access off 0+0+60 size 8
## ours misaligned atomic access
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+60], %r1
out:
mov %r0, 0
exit

## case value-atomic-past-end
## map hash:4:64:16
## expect reject
## kernel invalid access to map value, value_size=64 off=64 size=8
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+64], %r1
out:
mov %r0, 0
exit

## case value-offset-after-pointer-add
## map hash:4:64:16
## expect reject
## kernel invalid access to map value, value_size=64 off=64 size=4
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, 32
ldxw %r1, [%r0+32]
out:
mov %r0, 0
exit

## case percpu-array-value
## map percpu_array:4:16:1
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+8]
out:
mov %r0, 0
exit

## case lru-hash-key-8
## map lru_hash:8:16:16
## expect accept
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+8]
out:
mov %r0, 0
exit

## case direct-value-access
## map array:4:16:1
## expect accept
lddw %r1, map_value 0, 8
ldxdw %r0, [%r1+0]
exit

## case direct-value-access-past-end
## map array:4:16:1
## expect reject
## kernel invalid access to map value, value_size=16 off=16 size=8
## ours
lddw %r1, map_value 0, 8
ldxdw %r0, [%r1+8]
exit

## case direct-value-offset-past-value
## map array:4:16:1
## expect reject
## kernel invalid access to map value pointer, value_size=16 off=16
## ours
lddw %r1, map_value 0, 16
mov %r0, 0
exit

## case direct-value-access-hash
## map hash:4:16:1
## expect reject
## kernel no direct value access support for this map type
## ours
lddw %r1, map_value 0, 0
mov %r0, 0
exit

## case map-pointer-read-privileged
## map hash:4:16:1
## expect accept
lddw %r1, map_fd 0
ldxdw %r0, [%r1+0]
exit

## case map-pointer-read-unprivileged
## map hash:4:16:1
## priv bpf
## expect reject
## kernel 'struct bpf_htab' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN
## ours
lddw %r1, map_fd 0
ldxdw %r0, [%r1+0]
exit

## case map-pointer-write
## map hash:4:16:1
## expect reject
## kernel only read from bpf_htab is supported
## ours
lddw %r1, map_fd 0
stdw [%r1+0], 0
mov %r0, 0
exit

## case queue-lookup-zero-sized-key
## map queue:0:8:16
## expect reject
## kernel invalid zero-sized read
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case perf-event-array-lookup-not-allowed
## map perf_event_array:4:4:2
## expect reject
## kernel cannot pass map_type 4 into func bpf_map_lookup_elem#1
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case queue-peek
## map queue:0:8:16
## expect accept
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 89
mov %r0, 0
exit

## case value-atomic-fetch-or-32
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 4
lock fetch or32 [%r0+4], %r1
out:
mov %r0, 0
exit

## case value-atomic-32-past-end
## map hash:4:8:16
## expect reject
## kernel invalid access to map value, value_size=8 off=8 size=4
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 4
lock fetch or32 [%r0+8], %r1
out:
mov %r0, 0
exit

## case lookup-map-by-index
## map array:4:8:1
## map hash:4:8:16
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_idx 1
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
out:
mov %r0, 0
exit

## case direct-value-access-by-index-past-end
## map array:4:16:1
## expect reject
## kernel invalid access to map value, value_size=16 off=16 size=8
## ours
lddw %r1, map_idx_value 0, 8
ldxdw %r0, [%r1+8]
exit
