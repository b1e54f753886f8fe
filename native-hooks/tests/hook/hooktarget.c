// A shared library with a probe target (the shared-library case of the hook tests).
static long calls;

__attribute__((noinline)) long hooktarget_mul(long a, long b)
{
	__atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	return a * b;
}

long hooktarget_calls(void) { return calls; }
