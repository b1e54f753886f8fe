# Helper arguments against each helper's prototype: the map argument is a constant map pointer of an allowed type,
# key and value pointers cover the map's key and value sizes in initialised memory, memory + size pairs have a
# bounded size within the buffer, context arguments are the context, GPL-only helpers need a GPL license, and each
# program type has its own helper set.

## case lookup-key-on-stack
## map hash:8:8:16
## priv bpf
## expect accept
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case lookup-key-uninit
## map hash:8:8:16
## priv bpf
## expect reject
## kernel invalid read from stack R2 off=-8 size=8
## ours
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case lookup-key-partly-init
## map hash:8:8:16
## priv bpf
## expect reject
## kernel invalid read from stack R2 off -8+4 size 8
## ours
stw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case lookup-key-beyond-frame
## map hash:8:8:16
## expect reject
## kernel invalid read from stack R2 off=-4 size=8
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case lookup-key-scalar
## map hash:4:8:16
## expect reject
## kernel R2 type=scalar expected=fp
## ours
mov %r2, 0
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case lookup-key-ctx
## map hash:4:8:16
## expect reject
## kernel R2 type=ctx expected=fp
## ours
mov %r2, %r1
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case lookup-map-scalar
## map hash:4:8:16
## expect reject
## kernel R1 type=scalar expected=map_ptr
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
mov %r1, 0
call 1
mov %r0, 0
exit

## case lookup-map-ctx
## map hash:4:8:16
## expect reject
## kernel R1 type=ctx expected=map_ptr
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 0
exit

## case lookup-map-pointer-spilled
## map hash:4:8:16
## expect accept
lddw %r1, map_fd 0
stxdw [%r10-16], %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
ldxdw %r1, [%r10-16]
call 1
mov %r0, 0
exit

## case lookup-key-from-map-value
## map hash:4:8:16
## map array:4:4:1
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 1
call 1
mov %r2, %r0
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit

## case update-value-on-stack
## map hash:4:16:16
## priv bpf
## expect accept
stw [%r10-4], 0
stdw [%r10-24], 0
stdw [%r10-16], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -24
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case update-value-too-short
## map hash:4:16:16
## priv bpf
## expect reject
## kernel invalid read from stack R3 off -24+8 size 16
## ours
stw [%r10-4], 0
stdw [%r10-24], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -24
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case update-value-from-smaller-map-value
## map hash:4:16:16
## map array:4:8:1
## expect reject
## kernel invalid access to map value, value_size=8 off=0 size=16
## ours
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 1
call 1
mov %r3, %r0
mov %r2, %r10
add %r2, -4
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case update-value-from-larger-map-value
## map hash:4:8:16
## map array:4:16:1
## expect accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 1
call 1
mov %r3, %r0
mov %r2, %r10
add %r2, -4
mov %r4, 0
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case update-flags-uninit
## map hash:4:8:16
## expect reject
## kernel R4 !read_ok
## ours
stw [%r10-4], 0
stdw [%r10-16], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
lddw %r1, map_fd 0
call 2
mov %r0, 0
exit

## case delete-key-uninit
## map hash:4:8:16
## priv bpf
## expect reject
## kernel invalid read from stack R2 off=-4 size=4
## ours
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 3
mov %r0, 0
exit

## case queue-push-value
## map queue:0:8:16
## priv bpf
## expect accept
stdw [%r10-8], 1
mov %r2, %r10
add %r2, -8
mov %r3, 0
lddw %r1, map_fd 0
call 87
mov %r0, 0
exit

## case queue-pop-into-uninit-stack
## map queue:0:8:16
## priv bpf
## expect accept
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 88
ldxdw %r0, [%r10-8]
exit

## case load-bytes-constant-size
## expect accept
mov %r2, 0
mov %r3, %r10
add %r3, -16
mov %r4, 16
call 26
mov %r0, 0
exit

## case load-bytes-size-past-buffer
## expect reject
## kernel invalid write to stack R3 off=-16 size=32
## ours
mov %r2, 0
mov %r3, %r10
add %r3, -16
mov %r4, 32
call 26
mov %r0, 0
exit

## case load-bytes-size-zero
## expect reject
## kernel invalid zero-sized read
## ours
mov %r2, 0
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 26
mov %r0, 0
exit

## case load-bytes-size-unbounded
## expect reject
## kernel R4 unbounded memory access, use 'var &= const' or 'if (var < const)'
## ours
ldxw %r4, [%r1+0]
add %r4, 1
mov %r2, 0
mov %r3, %r10
add %r3, -16
call 26
mov %r0, 0
exit

## case load-bytes-size-masked
## expect accept
mov %r6, %r1
call 7
mov %r4, %r0
and %r4, 15
add %r4, 1
mov %r1, %r6
mov %r2, 0
mov %r3, %r10
add %r3, -16
call 26
mov %r0, 0
exit

## case load-bytes-size-masked-too-wide
## expect reject
## kernel invalid write to stack R3 off=-16 size=32
## ours
mov %r6, %r1
call 7
mov %r4, %r0
and %r4, 31
add %r4, 1
mov %r1, %r6
mov %r2, 0
mov %r3, %r10
add %r3, -16
call 26
mov %r0, 0
exit

## case load-bytes-size-negative
## expect reject
## kernel R4 min value is negative, either use unsigned or 'var &= const'
## ours
mov %r6, %r1
call 7
mov %r4, %r0
jsgt %r4, 8, out
mov %r1, %r6
mov %r2, 0
mov %r3, %r10
add %r3, -16
call 26
out:
mov %r0, 0
exit

## case load-bytes-into-map-value
## map hash:4:32:16
## expect accept
mov %r6, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r6
mov %r2, 0
mov %r3, %r0
mov %r4, 32
call 26
out:
mov %r0, 0
exit

## case load-bytes-past-map-value
## map hash:4:32:16
## expect reject
## kernel invalid access to map value, value_size=32 off=8 size=32
## ours
mov %r6, %r1
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r6
mov %r2, 0
mov %r3, %r0
add %r3, 8
mov %r4, 32
call 26
out:
mov %r0, 0
exit

## case load-bytes-ctx-not-ctx
## expect reject
## kernel R1 type=fp expected=ctx
## ours
mov %r1, %r10
mov %r2, 0
mov %r3, %r10
add %r3, -16
mov %r4, 16
call 26
mov %r0, 0
exit

## case probe-read-kernel-into-uninit-stack
## type kprobe
## expect accept
ldxdw %r3, [%r1+112]
mov %r1, %r10
add %r1, -16
mov %r2, 16
call 113
ldxdw %r0, [%r10-16]
exit

## case probe-read-kernel-size-unknown
## type kprobe
## expect reject
## kernel R2 unbounded memory access
## ours
ldxdw %r3, [%r1+112]
ldxw %r2, [%r1+104]
mov %r1, %r10
add %r1, -16
call 113
mov %r0, 0
exit

## case probe-read-kernel-size-zero
## type kprobe
## expect accept
ldxdw %r3, [%r1+112]
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 113
mov %r0, 0
exit

## case perf-event-output
## type kprobe
## map perf_event_array:4:4:2
## expect accept
stdw [%r10-8], 0
lddw %r2, map_fd 0
lddw %r3, 0xffffffff
mov %r4, %r10
add %r4, -8
mov %r5, 8
call 25
mov %r0, 0
exit

## case perf-event-output-ctx-not-ctx
## type kprobe
## map perf_event_array:4:4:2
## expect reject
## kernel R1 type=fp expected=ctx
## ours
stdw [%r10-8], 0
mov %r1, %r10
lddw %r2, map_fd 0
lddw %r3, 0xffffffff
mov %r4, %r10
add %r4, -8
mov %r5, 8
call 25
mov %r0, 0
exit

## case perf-event-output-wrong-map
## type kprobe
## map hash:4:4:2
## expect reject
## kernel cannot pass map_type 1 into func bpf_perf_event_output#25
## ours
stdw [%r10-8], 0
lddw %r2, map_fd 0
lddw %r3, 0xffffffff
mov %r4, %r10
add %r4, -8
mov %r5, 8
call 25
mov %r0, 0
exit

## case ringbuf-output-wrong-map
## map array:4:8:1
## expect reject
## kernel cannot pass map_type 2 into func bpf_ringbuf_output#130
## ours
stdw [%r10-8], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
mov %r3, 8
mov %r4, 0
call 130
mov %r0, 0
exit

## case ringbuf-output
## map ringbuf:0:0:4096
## expect accept
stdw [%r10-8], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
mov %r3, 8
mov %r4, 0
call 130
mov %r0, 0
exit

## case stackid-wrong-map
## type kprobe
## map hash:4:8:16
## expect reject
## kernel cannot pass map_type 1 into func bpf_get_stackid#27
## ours
lddw %r2, map_fd 0
mov %r3, 0
call 27
mov %r0, 0
exit

## case trace-printk-gpl
## type kprobe
## expect accept
stdw [%r10-8], 0x0a6968
mov %r1, %r10
add %r1, -8
mov %r2, 8
call 6
mov %r0, 0
exit

## case trace-printk-non-gpl
## type kprobe
## license MIT
## expect reject
## kernel cannot call GPL-restricted function from non-GPL compatible program
## ours
stdw [%r10-8], 0x0a6968
mov %r1, %r10
add %r1, -8
mov %r2, 8
call 6
mov %r0, 0
exit

## case ktime-non-gpl
## type kprobe
## license MIT
## expect accept
call 5
mov %r0, 0
exit

## case kprobe-cannot-load-skb-bytes
## type kprobe
## expect reject
## kernel program of this type cannot use helper bpf_skb_load_bytes#26
## ours
mov %r2, 0
mov %r3, %r10
add %r3, -16
mov %r4, 16
call 26
mov %r0, 0
exit

## case socket-filter-printk-privileged
## expect accept
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 8
call 6
mov %r0, 0
exit

## case socket-filter-printk-unprivileged
## priv bpf
## expect reject
## kernel program of this type cannot use helper bpf_trace_printk#6
## ours
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 8
call 6
mov %r0, 0
exit

## case xdp-cannot-skb-store-bytes
## type xdp
## expect reject
## kernel program of this type cannot use helper bpf_skb_store_bytes#9
## ours
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 8
mov %r5, 0
call 9
mov %r0, 2
exit
