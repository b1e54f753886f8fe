// C++ exceptions, rethrow and pthread_exit through frames with return probes: the unwinder must see the real
// return addresses (src/core/unwind.c), destructors run, the exception is caught, later probed calls work.
#include <pthread.h>

#include <stdexcept>

#include "bpftime_hook.h"
#include "check.h"

static long returns, cleanups;

struct Cleanup {
	~Cleanup() { cleanups++; }
};

extern "C" {
__attribute__((noinline)) int thrower(int x)
{
	if (x > 0)
		throw std::runtime_error("boom");
	return x;
}

__attribute__((noinline)) int middle(int x)
{
	Cleanup c;
	return thrower(x) + 1;
}

__attribute__((noinline)) int rethrower(int x)
{
	Cleanup c;
	try {
		return middle(x) + 1;
	} catch (const std::runtime_error &) {
		middle(-1); /* a probed call between the catch and the rethrow */
		throw;
	}
}

__attribute__((noinline)) void exiter(int x)
{
	Cleanup c;
	if (x)
		pthread_exit(nullptr);
}
}

static int on_return(void *, struct bpftime_pt_regs *)
{
	returns++;
	return 0;
}

struct Probes {
	bpftime_probe *p[4];
	Probes()
	{
		void *fns[] = {(void *)thrower, (void *)middle, (void *)rethrower, (void *)exiter};
		for (int i = 0; i < 4; i++) {
			bpftime_hook_error err{};
			p[i] = bpftime_probe_attach(fns[i], BPFTIME_URETPROBE, on_return, nullptr, 0, &err);
			CHECK(p[i], "attach: %s", err.msg);
		}
	}
	~Probes()
	{
		for (auto *q : p)
			if (q)
				bpftime_probe_detach(q, nullptr);
	}
};

static void throw_through(void)
{
	Probes probes;
	returns = cleanups = 0;
	int caught = 0;
	try {
		middle(1);
	} catch (const std::runtime_error &) {
		caught = 1;
	}
	CHECK(caught && cleanups == 1, "caught %d, destructors %ld", caught, cleanups);
	CHECK(middle(-5) == -4 && returns == 2, "probed calls after the catch: %ld returns", returns);
}

static void rethrow(void)
{
	Probes probes;
	returns = cleanups = 0;
	int caught = 0;
	try {
		rethrower(1);
	} catch (const std::runtime_error &) {
		caught = 1;
	}
	CHECK(caught && cleanups == 3, "caught %d, destructors %ld (want 3)", caught, cleanups);
	long before = returns;
	CHECK(rethrower(-3) == -1 && returns == before + 3, "probed calls after the rethrow: %ld", returns - before);
}

static void *thread_main(void *)
{
	Cleanup c; /* a frame older than the probed one: its destructor runs only if unwinding gets past it */
	exiter(1);
	return nullptr;
}

static void forced_unwind(void)
{
	Probes probes;
	cleanups = 0;
	pthread_t t;
	pthread_create(&t, nullptr, thread_main, nullptr);
	pthread_join(t, nullptr);
	CHECK(cleanups == 2, "destructors run by pthread_exit: %ld (want 2)", cleanups);
}

int main(void)
{
	RUN(throw_through);
	RUN(rethrow);
	RUN(forced_unwind);
	bpftime_hook_stats s;
	bpftime_hook_get_stats(&s);
	printf("# stale shadow entries dropped: %lu\n", (unsigned long)s.stale_shadow);
	return DONE();
}
