# Direct packet access (xdp, tc): packet pointers from the context are usable only up to the range a comparison with
# data_end proved, on the branch where it holds; data_meta below data; helpers that change the packet invalidate
# every packet pointer; the legacy ld_abs/ld_ind loads of socket filters and their fixed registers.

## case packet-checked-read
## type xdp
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2+13]
out:
mov %r0, 2
exit

## case packet-unchecked-read
## type xdp
## expect reject
## kernel invalid access to packet, off=13 size=1, R2(id=0,off=13,r=0)
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
ldxb %r0, [%r2+13]
mov %r0, 2
exit

## case packet-read-past-checked
## type xdp
## expect reject
## kernel invalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2+14]
out:
mov %r0, 2
exit

## case packet-read-on-failing-branch
## type xdp
## expect reject
## kernel invalid access to packet
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, bad
mov %r0, 2
exit
bad:
ldxb %r0, [%r2+0]
mov %r0, 2
exit

## case packet-check-data-end-first
## type xdp
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jlt %r3, %r4, out
ldxh %r0, [%r2+12]
out:
mov %r0, 2
exit

## case packet-check-jge
## type xdp
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jge %r4, %r3, out
ldxb %r0, [%r2+13]
out:
mov %r0, 2
exit

## case packet-check-wrong-direction
## type xdp
## expect reject
## kernel invalid access to packet
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jle %r4, %r3, out
ldxb %r0, [%r2+13]
out:
mov %r0, 2
exit

## case packet-check-on-jmp32-proves-nothing
## type xdp
## expect reject
## kernel invalid access to packet, off=13 size=1, R2(id=0,off=13,r=0)
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt32 %r4, %r3, out
ldxb %r0, [%r2+13]
out:
mov %r0, 2
exit

## case packet-write-xdp
## type xdp
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 6
jgt %r4, %r3, out
sth [%r2+4], 0xffff
out:
mov %r0, 2
exit

## case packet-write-past-checked
## type xdp
## expect reject
## kernel invalid access to packet, off=6 size=2, R2(id=0,off=6,r=6)
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 6
jgt %r4, %r3, out
sth [%r2+6], 0xffff
out:
mov %r0, 2
exit

## case packet-tc-checked-read
## type sched_cls
## expect accept
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 20
jgt %r4, %r3, out
ldxw %r0, [%r2+16]
out:
mov %r0, 0
exit

## case packet-tc-unchecked-read
## type sched_cls
## expect reject
## kernel invalid access to packet
## ours
ldxw %r2, [%r1+76]
ldxw %r0, [%r2+16]
mov %r0, 0
exit

## case packet-variable-offset-checked
## type xdp
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 0x3f
add %r2, %r5
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r0, [%r2+0]
out:
mov %r0, 2
exit

## case packet-variable-offset-unchecked
## type xdp
## expect reject
## kernel invalid access to packet
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 0x3f
add %r2, %r5
ldxw %r0, [%r2+0]
out:
mov %r0, 2
exit

## case packet-variable-offset-unbounded
## type xdp
## expect reject
## kernel math between pkt pointer and register with unbounded min value is not allowed
## ours
mov %r6, %r1
call 7
ldxw %r2, [%r6+0]
add %r2, %r0
mov %r0, 2
exit

## case packet-meta-checked-read
## type xdp
## expect accept
ldxw %r2, [%r1+8]
ldxw %r3, [%r1+0]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r0, [%r2+0]
out:
mov %r0, 2
exit

## case packet-meta-unchecked-read
## type xdp
## expect reject
## kernel invalid access to packet
## ours
ldxw %r2, [%r1+8]
ldxw %r0, [%r2+0]
mov %r0, 2
exit

## case packet-pointer-invalidated-by-adjust-head
## type xdp
## expect reject
## kernel R7 invalid mem access 'scalar'
## ours
mov %r6, %r1
ldxw %r7, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r7
add %r4, 14
jgt %r4, %r3, out
mov %r1, %r6
mov %r2, 0
call 44                     # xdp_adjust_head
ldxb %r0, [%r7+0]
out:
mov %r0, 2
exit

## case packet-pointer-reloaded-after-adjust-head
## type xdp
## expect accept
mov %r6, %r1
mov %r1, %r6
mov %r2, 0
call 44                     # xdp_adjust_head
ldxw %r7, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r7
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r7+0]
out:
mov %r0, 2
exit

## case packet-pointer-as-map-key
## type xdp
## map hash:4:8:16
## expect accept
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
lddw %r1, map_fd 0
call 1
out:
mov %r0, 2
exit

## case packet-pointer-as-map-key-unchecked
## type xdp
## map hash:4:8:16
## expect reject
## kernel invalid access to packet, off=0 size=4, R2(id=0,off=0,r=0)
## ours
ldxw %r2, [%r1+0]
lddw %r1, map_fd 0
call 1
mov %r0, 2
exit

## case ld-abs-socket-filter
## expect accept
mov %r6, %r1
ldabsh 12
exit

## case ld-ind-socket-filter
## expect accept
mov %r6, %r1
mov %r7, 14
ldindb %r7, 9
exit

## case ld-abs-r6-not-ctx
## expect reject
## kernel at the time of BPF_LD_ABS|IND R6 != pointer to skb
## ours
mov %r6, 0
ldabsh 12
exit

## case ld-abs-clobbers-r1-r5
## expect reject
## kernel R2 !read_ok
## ours
mov %r6, %r1
mov %r2, 1
ldabsh 12
add %r0, %r2
exit

## case ld-abs-xdp
## type xdp
## expect reject
## kernel BPF_LD_[ABS|IND] instructions not allowed for this program type
## ours
mov %r6, %r1
ldabsh 12
exit

## case packet-negative-fixed-offset-after-check
## type xdp
## expect reject
## kernel invalid access to packet
## ours
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
ldxw %r6, [%r1+12]
and %r6, 63
add %r6, 14
mov %r5, %r2
add %r5, %r6
mov %r7, %r5
add %r7, 1
mov %r0, 2
jgt %r7, %r3, +1
ldxb %r0, [%r5-14]
mov %r0, 2
exit

## case packet-negative-fixed-offset-before-start
## type xdp
## expect reject
## kernel invalid access to packet
## ours may be beyond the packet end
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
ldxw %r6, [%r1+12]
and %r6, 63
add %r6, 13
mov %r5, %r2
add %r5, %r6
mov %r7, %r5
add %r7, 1
mov %r0, 2
jgt %r7, %r3, +1
ldxb %r0, [%r5-14]
mov %r0, 2
exit
