# Context access per program type: __sk_buff for socket filters and tc, xdp_md, pt_regs (read-only) for kprobes,
# tracepoint records (checked against the tracepoint's format when attached), raw tracepoint arguments,
# bpf_perf_event_data. Offsets, sizes, alignment, read-only fields and the stores each type allows.

## case skb-len-read
## expect accept
ldxw %r0, [%r1+0]
exit

## case skb-len-write
## expect reject
## kernel invalid bpf_context access off=0 size=4
## ours
stxw [%r1+0], %r1
mov %r0, 0
exit

## case skb-cb-write-register
## expect accept
mov %r2, 7
stxw [%r1+48], %r2
mov %r0, 0
exit

## case skb-cb-write-immediate
## expect accept
stw [%r1+48], 7
mov %r0, 0
exit

## case skb-cb-last-word
## expect accept
ldxw %r0, [%r1+64]
exit

## case skb-mark-write-socket-filter
## expect reject
## kernel invalid bpf_context access off=8 size=4
## ours
mov %r2, 1
stxw [%r1+8], %r2
mov %r0, 0
exit

## case skb-mark-write-tc
## type sched_cls
## expect accept
mov %r2, 1
stxw [%r1+8], %r2
mov %r0, 0
exit

## case skb-mark-read-socket-filter
## expect accept
ldxw %r0, [%r1+8]
exit

## case skb-data-socket-filter
## expect reject
## kernel invalid bpf_context access off=76 size=4
## ours
ldxw %r0, [%r1+76]
exit

## case skb-data-tc
## type sched_cls
## expect accept
ldxw %r2, [%r1+76]
mov %r0, 0
exit

## case skb-tc-classid-socket-filter
## expect reject
## kernel invalid bpf_context access off=72 size=4
## ours
ldxw %r0, [%r1+72]
exit

## case skb-past-end
## expect reject
## kernel invalid bpf_context access off=192 size=4
## ours
ldxw %r0, [%r1+192]
exit

## case skb-negative-offset
## expect reject
## kernel invalid bpf_context access off=-4 size=4
## ours
ldxw %r0, [%r1-4]
exit

## case skb-misaligned
## expect reject
## kernel invalid bpf_context access off=2 size=4
## ours
ldxw %r0, [%r1+2]
exit

## case skb-narrow-read
## expect accept
ldxb %r0, [%r1+0]
exit

## case skb-wide-read-of-u32
## expect reject
## kernel invalid bpf_context access off=0 size=8
## ours
ldxdw %r0, [%r1+0]
exit

## case skb-remote-ip6-read
## type cgroup_skb
## expect accept
ldxw %r0, [%r1+100]
mov %r0, 1
exit

## case skb-atomic-on-ctx
## expect reject
## kernel BPF_ATOMIC stores into R1 ctx is not allowed
## ours
mov %r2, 1
lock add [%r1+48], %r2
mov %r0, 0
exit

## case xdp-data-read
## type xdp
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
ldxw %r4, [%r1+12]
mov %r0, 2
exit

## case xdp-ingress-write
## type xdp
## expect reject
## kernel invalid bpf_context access off=12 size=4
## ours
mov %r2, 0
stxw [%r1+12], %r2
mov %r0, 2
exit

## case xdp-past-end
## type xdp
## expect reject
## kernel invalid bpf_context access off=24 size=4
## ours
ldxw %r0, [%r1+24]
exit

## case xdp-data-wide-read
## type xdp
## expect reject
## kernel invalid bpf_context access off=0 size=8
## ours
ldxdw %r0, [%r1+0]
exit

## case kprobe-read-di
## type kprobe
## expect accept
ldxdw %r0, [%r1+112]
exit

## case kprobe-read-last-field
## type kprobe
## expect accept
ldxdw %r0, [%r1+160]
exit

## case kprobe-read-past-pt-regs
## type kprobe
## expect reject
## kernel invalid bpf_context access off=168 size=8
## ours
ldxdw %r0, [%r1+168]
exit

## case kprobe-write
## type kprobe
## expect reject
## kernel invalid bpf_context access off=112 size=8
## ours
mov %r2, 0
stxdw [%r1+112], %r2
mov %r0, 0
exit

## case kprobe-narrow-read
## type kprobe
## expect accept
ldxw %r0, [%r1+112]
exit

## case kprobe-misaligned
## type kprobe
## expect reject
## kernel invalid bpf_context access off=116 size=8
## ours
ldxdw %r0, [%r1+116]
exit

## case tracepoint-read
## type tracepoint
## attach tracepoint:syscalls/sys_enter_openat
## expect accept
ldxdw %r0, [%r1+24]
exit

## case tracepoint-read-last-field
## type tracepoint
## attach tracepoint:syscalls/sys_enter_openat
## expect accept
ldxdw %r0, [%r1+40]
exit

## case tracepoint-read-past-record
## type tracepoint
## attach tracepoint:syscalls/sys_enter_openat
## expect reject
## kernel attach failed: Permission denied
## ours
ldxdw %r0, [%r1+48]
exit

## case tracepoint-write
## type tracepoint
## expect reject
## kernel invalid bpf_context access off=24 size=8
## ours
mov %r2, 0
stxdw [%r1+24], %r2
mov %r0, 0
exit

## case tracepoint-past-max-size
## type tracepoint
## expect reject
## kernel invalid bpf_context access off=8192 size=8
## ours
ldxdw %r0, [%r1+8192]
exit

## case raw-tracepoint-read-arg
## type raw_tracepoint
## attach raw_tracepoint:sys_enter
## expect accept
ldxdw %r0, [%r1+8]
mov %r0, 0
exit

## case raw-tracepoint-read-past-args
## type raw_tracepoint
## attach raw_tracepoint:sys_enter
## expect reject
## kernel attach failed: Invalid argument
## ours
ldxdw %r0, [%r1+16]
mov %r0, 0
exit

## case raw-tracepoint-write
## type raw_tracepoint
## expect reject
## kernel invalid bpf_context access off=0 size=8
## ours
mov %r2, 0
stxdw [%r1+0], %r2
mov %r0, 0
exit

## case perf-event-sample-period
## type perf_event
## expect accept
ldxdw %r0, [%r1+168]
exit

## case perf-event-past-end
## type perf_event
## expect reject
## kernel invalid bpf_context access off=184 size=8
## ours
ldxdw %r0, [%r1+184]
exit

## case perf-event-write
## type perf_event
## expect reject
## kernel invalid bpf_context access off=168 size=8
## ours
mov %r2, 0
stxdw [%r1+168], %r2
mov %r0, 0
exit

## case cgroup-skb-mark-write
## type cgroup_skb
## expect accept
mov %r2, 1
stxw [%r1+8], %r2
mov %r0, 1
exit

## case skb-sk-null-checked
## type sched_cls
## expect accept
ldxdw %r2, [%r1+168]
jeq %r2, 0, out
ldxw %r3, [%r2+4]
out:
mov %r0, 0
exit

## case skb-sk-not-null-checked
## type sched_cls
## expect reject
## kernel invalid mem access 'sock_common_or_null'
## ours may be NULL
ldxdw %r2, [%r1+168]
ldxw %r3, [%r2+4]
mov %r0, 0
exit

## case skb-sk-full-socket-field
## type sched_cls
## expect reject
## kernel invalid sock_common access
## ours exists in full sockets only
ldxdw %r2, [%r1+168]
jeq %r2, 0, out
ldxw %r3, [%r2+8]
out:
mov %r0, 0
exit

## case skb-sk-write
## type sched_cls
## expect reject
## kernel cannot write into sock_common
## ours which programs may only read
ldxdw %r2, [%r1+168]
jeq %r2, 0, out
stw [%r2+4], 0
out:
mov %r0, 0
exit

## case skb-sk-narrow-read
## type sched_cls
## expect reject
## kernel invalid bpf_context access off=168 size=4
## ours is a socket pointer: read it with an 8-byte load
ldxw %r2, [%r1+168]
mov %r0, 0
exit

## case socket-filter-skb-sk
## type socket_filter
## expect accept
ldxdw %r2, [%r1+168]
jeq %r2, 0, out
ldxw %r3, [%r2+4]
out:
mov %r0, 0
exit

## case sock-ops-sk-full-socket
## type sock_ops
## expect accept
ldxdw %r2, [%r1+184]
jeq %r2, 0, out
ldxw %r3, [%r2+8]
out:
mov %r0, 0
exit

## case sock-ops-sk-not-null-checked
## type sock_ops
## expect reject
## kernel invalid mem access 'sock_or_null'
## ours may be NULL
ldxdw %r2, [%r1+184]
ldxw %r3, [%r2+8]
mov %r0, 0
exit
