# The 90th Fibonacci number, iteratively, in 64-bit registers.
#   npx bpftime-vm run examples/fib.asm          -> r0 = 0x27f80ddaa1ba7878 (2880067194370816120)
#   npx bpftime-vm run examples/fib.asm --trace  (every instruction and the registers it changed)
mov %r0, 0          # fib(0)
mov %r1, 1          # fib(1)
mov %r2, 90         # steps left
loop:
mov %r3, %r0
add %r3, %r1        # next = a + b
mov %r0, %r1
mov %r1, %r3
sub %r2, 1
jne %r2, 0, loop
exit
