# Structure: the control-flow graph over all subprograms, instruction encodings, registers, call targets, recursion,
# call depth and the combined stack depth of a call chain. Socket filters unless a case says otherwise.

## case minimal-exit
## expect accept
mov %r0, 0
exit

## case fall-off-end
## expect reject
## kernel last insn is not an exit or jmp
## ours
mov %r0, 0

## case fall-off-end-after-exit
## expect reject
## kernel last insn is not an exit or jmp
## ours
mov %r0, 0
exit
mov %r0, 1

## case last-insn-is-ja
## expect accept
mov %r0, 0
ja +1
exit
ja -2

## case unreachable-after-exit
## expect reject
## kernel unreachable insn 2
## ours
mov %r0, 0
exit
mov %r0, 1
exit

## case unreachable-skipped-by-ja
## expect reject
## kernel unreachable insn 1
## ours
ja +1
mov %r0, 1
mov %r0, 0
exit

## case conditional-skip-reachable
## expect accept
ldxw %r2, [%r1+0]
mov %r0, 0
jeq %r2, 0, +1
mov %r0, 1
exit

## case jump-out-of-range-forward
## expect reject
## kernel jump out of range from insn 1 to 5
## ours
mov %r0, 0
jeq %r0, 0, +3
exit

## case jump-out-of-range-backward
## expect reject
## kernel jump out of range from insn 1 to -2
## ours
mov %r0, 0
ja -4
exit

## case jump-to-last-insn
## expect accept
mov %r0, 0
ja +0
exit

## case jump-into-lddw
## expect reject
## kernel jump into the middle of ldimm64 insn 2
## ours
mov %r0, 0
jeq %r0, 1, +1
lddw %r0, 0x100000000
exit

## case jump-to-lddw-start
## expect accept
mov %r0, 0
jeq %r0, 1, +0
lddw %r0, 0x100000000
mov %r0, 0
exit

## case lddw-truncated
## expect reject
## kernel last insn is not an exit or jmp
## ours
mov %r0, 0
.insn 0x18, 0, 0, 0, 1

## case lddw-second-slot-opcode
## expect reject
## kernel invalid bpf_ld_imm64 insn
## ours
.insn 0x18, 0, 0, 0, 1
.insn 0x07, 0, 0, 0, 0
exit

## case lddw-unknown-pseudo-source
## expect reject
## kernel unrecognized bpf_ld_imm64 insn
## ours
.insn 0x18, 0, 7, 0, 0
.insn 0x00, 0, 0, 0, 0
exit

## case unknown-opcode
## expect reject
## kernel unknown opcode ff
## ours
mov %r0, 0
.insn 0xff, 0, 0, 0, 0
exit

## case unknown-alu-operation
## expect reject
## kernel unknown opcode f7
## ours
mov %r0, 0
.insn 0xf7, 0, 0, 0, 1
exit

## case unknown-jmp-operation
## expect reject
## kernel unknown opcode f5
## ours
mov %r0, 0
.insn 0xf5, 0, 0, 0, 0
exit

# may_goto (BPF_JMP | BPF_JCOND, 0xe5): the kernel's bounded "goto unless the loop budget is spent" (bpf_for).
## case may-goto
## expect accept
mov %r0, 0
.insn 0xe5, 0, 0, 1, 0
mov %r0, 1
exit

## case callx-not-supported
## expect reject
## kernel unknown opcode 8d
## ours
mov %r1, 0
.insn 0x8d, 1, 0, 0, 0
mov %r0, 0
exit

## case ld-mem-mode-invalid
## expect reject
## kernel unknown opcode 60
## ours
mov %r0, 0
.insn 0x60, 0, 1, 0, 0
exit

## case src-register-11
## expect reject
## kernel R11 is invalid
## ours
.insn 0xbf, 0, 11, 0, 0
exit

## case dst-register-12
## expect reject
## kernel R12 is invalid
## ours
.insn 0xb7, 12, 0, 0, 0
mov %r0, 0
exit

## case mov-to-r10
## expect reject
## kernel frame pointer is read only
## ours
.insn 0xb7, 10, 0, 0, 0
mov %r0, 0
exit

## case add-to-r10
## expect reject
## kernel frame pointer is read only
## ours
add %r10, -8
mov %r0, 0
exit

## case ldx-into-r10
## expect reject
## kernel frame pointer is read only
## ours
ldxdw %r10, [%r1+0]
mov %r0, 0
exit

## case read-r10
## expect accept
mov %r2, %r10
add %r2, -8
stdw [%r2+0], 0
mov %r0, 0
exit

## case mov-imm-reserved-off
## expect reject
## kernel BPF_MOV uses reserved fields
## ours
.insn 0xb7, 0, 0, 1, 0
exit

## case alu-imm-reserved-src
## expect reject
## kernel BPF_ALU uses reserved fields
## ours
mov %r0, 0
.insn 0x07, 0, 1, 0, 1
exit

## case alu-reg-reserved-imm
## expect reject
## kernel BPF_ALU uses reserved fields
## ours
mov %r0, 0
mov %r1, 1
.insn 0x0f, 0, 1, 0, 5
exit

## case exit-reserved-imm
## expect reject
## kernel BPF_EXIT uses reserved fields
## ours
mov %r0, 0
.insn 0x95, 0, 0, 0, 1

## case jmp-imm-reserved-src
## expect reject
## kernel BPF_JMP/JMP32 uses reserved fields
## ours
mov %r0, 0
.insn 0x15, 0, 1, 0, 0
exit

## case ja-reserved-imm
## expect reject
## kernel BPF_JA uses reserved fields
## ours
mov %r0, 0
.insn 0x05, 0, 0, 0, 1
exit

## case ldx-reserved-imm
## expect reject
## kernel BPF_LDX uses reserved fields
## ours
.insn 0x61, 0, 1, 0, 1
exit

## case stx-reserved-imm
## expect reject
## kernel BPF_STX uses reserved fields
## ours
mov %r0, 0
.insn 0x7b, 10, 0, -8, 1
exit

## case st-reserved-src
## expect reject
## kernel BPF_ST uses reserved fields
## ours
mov %r0, 0
.insn 0x7a, 10, 1, -8, 0
exit

## case div-offset-signed
## expect accept
mov %r0, 7
sdiv %r0, 2
smod %r0, 3
exit

## case div-offset-invalid
## expect reject
## kernel BPF_ALU uses reserved fields
## ours
mov %r0, 7
.insn 0x37, 0, 0, 2, 2
exit

## case movsx-valid
## expect accept
mov %r1, -1
movsx864 %r0, %r1
movsx1632 %r0, %r1
exit

## case movsx-invalid-width
## expect reject
## kernel BPF_MOV uses reserved fields
## ours
mov %r1, -1
.insn 0xbf, 0, 1, 7, 0
exit

## case byteswap-invalid-width
## expect reject
## kernel BPF_END uses reserved fields
## ours
mov %r0, 1
.insn 0xd4, 0, 0, 0, 8
exit

## case atomic-invalid-operation
## expect reject
## kernel BPF_ATOMIC uses invalid atomic opcode 05
## ours
stdw [%r10-8], 0
mov %r1, 1
.insn 0xdb, 10, 1, -8, 5
mov %r0, 0
exit

## case ja32-long-jump
## expect accept
ldxw %r2, [%r1+0]
mov %r0, 0
jeq %r2, 0, +1
ja32 +1
mov %r0, 1
exit

## case helper-id-unknown
## expect reject
## kernel invalid func unknown#100000
## ours
call 100000
mov %r0, 0
exit

## case helper-id-zero
## expect reject
## kernel program of this type cannot use helper bpf_unspec#0
## ours
call 0
mov %r0, 0
exit

## case helper-wrong-program-type
## expect reject
## kernel program of this type cannot use helper bpf_xdp_adjust_head#44
## ours
mov %r2, 0
call 44
mov %r0, 0
exit

## case call-local-out-of-range
## expect reject
## kernel call to invalid destination
## ours
call local +10
mov %r0, 0
exit

## case call-local-into-lddw
## expect reject
## kernel last insn is not an exit or jmp
## ours
call local +3
mov %r0, 0
exit
lddw %r0, 1
exit

## case call-local
## expect accept
call local sub
exit
sub:
mov %r0, 0
exit

## case subprog-falls-into-next
## expect reject
## kernel last insn is not an exit or jmp
## ours
call local sub
exit
sub:
mov %r0, 0

## case jump-across-subprogs
## expect reject
## kernel jump out of range from insn 1 to 4
## ours
call local sub
ja +2
exit
sub:
mov %r0, 0
exit

# The kernel does not look for recursion itself: the call chain grows until it is too deep.
## case recursion-direct
## expect reject
## kernel the call stack of 9 frames is too deep
## ours
call local sub
exit
sub:
mov %r0, 0
call local sub
exit

## case recursion-mutual
## expect reject
## kernel the call stack of 9 frames is too deep
## ours
call local a
exit
a:
call local b
exit
b:
call local a
exit

## case call-depth-8-frames
## expect accept
call local f1
exit
f1:
call local f2
exit
f2:
call local f3
exit
f3:
call local f4
exit
f4:
call local f5
exit
f5:
call local f6
exit
f6:
call local f7
exit
f7:
mov %r0, 0
exit

## case call-depth-9-frames
## expect reject
## kernel the call stack of 9 frames is too deep
## ours
call local f1
exit
f1:
call local f2
exit
f2:
call local f3
exit
f3:
call local f4
exit
f4:
call local f5
exit
f5:
call local f6
exit
f6:
call local f7
exit
f7:
call local f8
exit
f8:
mov %r0, 0
exit

## case combined-stack-512
## expect accept
stdw [%r10-256], 0
call local sub
exit
sub:
stdw [%r10-256], 0
mov %r0, 0
exit

## case combined-stack-544
## expect reject
## kernel combined stack size of 2 calls is 544. Too large
## ours
stdw [%r10-288], 0
call local sub
exit
sub:
stdw [%r10-256], 0
mov %r0, 0
exit

## case combined-stack-deepest-chain
## expect reject
## kernel combined stack size of 3 calls is 576. Too large
## ours
stdw [%r10-64], 0
call local a
call local b
exit
a:
stdw [%r10-256], 0
mov %r0, 0
exit
b:
stdw [%r10-256], 0
call local a
exit

## case kfunc-call-unknown-btf-id
## expect reject
## kernel kernel btf_id 1 is not a function
## ours
call kfunc 1
mov %r0, 0
exit
