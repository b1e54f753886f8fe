// Declarations of the assembly probe targets (targets.S) and the shared-library target (hooktarget.c).
#ifndef HOOK_TEST_TARGETS_H
#define HOOK_TEST_TARGETS_H
#include <stdint.h>

long t_endbr(long a, long b);
long t_pushrbp(long a, long b);
long t_riprel(long a);
long t_riplea(long a);
int t_short(int x);
int t_jmpback(int n);
long t_side(long a, long b);
long t_shared(long a);
int t_jcc(int x);
long t_callfirst(long x);
long t_double(long x);
int t_flags(long x);
extern char t_flags_probe[];
long t_redzone(long a, long b);
extern char t_redzone_probe[];
double t_fadd(double a, double b);
long t_count(long x);
long t_tail_outer(long x);
long t_tail_inner(long x);
long t_block(int fd, void *buf, long n);
extern long t_data[2];
extern volatile long t_counter;

long hooktarget_mul(long a, long b);
long hooktarget_calls(void);
#endif
