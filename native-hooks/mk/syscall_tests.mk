# Tests of the syscall component (tests/syscall/), after syscall.mk (the name sorts after it): `make test-syscall`
# builds and runs them (TAP on stdout).
# test_syscall needs vm.mmap_min_addr=0 for its zpoline run; without it that run reports the reason and fails.
SYSCALL_TDIR := $(BUILD)/tests/syscall
SYSCALL_TESTS := $(SYSCALL_TDIR)/test_syscall $(SYSCALL_TDIR)/test_syscall-asan $(SYSCALL_TDIR)/liblate.so \
	$(SYSCALL_TDIR)/test_tracefs $(SYSCALL_TDIR)/test_page $(SYSCALL_TDIR)/test_rewrite

$(SYSCALL_TDIR)/libsyscall_test_agent.so: tests/syscall/test_agent.c tests/syscall/test_agent.h $(SYSCALL_LIB)
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< $(SYSCALL_LIB) $(SYSCALL_LIBS)

# -mno-red-zone: the register test pushes inside inline assembly.
$(SYSCALL_TDIR)/test_syscall: tests/syscall/test_syscall.c tests/syscall/tap.h $(SYSCALL_TDIR)/libsyscall_test_agent.so
	$(CC) $(CFLAGS) -mno-red-zone -o $@ $< -L$(SYSCALL_TDIR) -lsyscall_test_agent -Wl,-rpath,'$$ORIGIN' -lpthread -ldl

# The AddressSanitizer/UBSan build of both (test_syscall-asan).
$(SYSCALL_TDIR)/asan/libsyscall_test_agent.so: tests/syscall/test_agent.c tests/syscall/test_agent.h $(SYSCALL_ASAN_LIB)
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SANITIZE) -shared -o $@ $< $(SYSCALL_ASAN_LIB) $(SYSCALL_LIBS)
$(SYSCALL_TDIR)/test_syscall-asan: tests/syscall/test_syscall.c tests/syscall/tap.h $(SYSCALL_TDIR)/asan/libsyscall_test_agent.so
	$(CC) $(CFLAGS) -O1 $(SANITIZE) -mno-red-zone -o $@ $< -L$(SYSCALL_TDIR)/asan -lsyscall_test_agent \
	  -Wl,-rpath,'$$ORIGIN/asan' -lpthread -ldl

$(SYSCALL_TDIR)/liblate.so: tests/syscall/late.c
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $<

$(SYSCALL_TDIR)/test_tracefs: tests/syscall/test_tracefs.c tests/syscall/tap.h $(SYSCALL_LIB)
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $< $(SYSCALL_LIB) $(SYSCALL_LIBS)

$(SYSCALL_TDIR)/test_page: tests/syscall/test_page.c tests/syscall/tap.h $(SYSCALL_ASAN_LIB)
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SANITIZE) -I$(BUILD)/gen -o $@ $< $(SYSCALL_ASAN_LIB) $(SYSCALL_LIBS)

$(SYSCALL_TDIR)/test_rewrite: tests/syscall/test_rewrite.c tests/syscall/tap.h $(SYSCALL_TDIR)/libsyscall_test_agent.so
	$(CC) $(CFLAGS) -o $@ $< -L$(SYSCALL_TDIR) -lsyscall_test_agent -Wl,-rpath,'$$ORIGIN' -lcapstone -ldl

.PHONY: test-syscall syscall-tests
syscall-tests: $(SYSCALL_TESTS)
test-syscall: $(SYSCALL_TESTS)
	$(SYSCALL_TDIR)/test_tracefs
	$(SYSCALL_TDIR)/test_page
	$(SYSCALL_TDIR)/test_rewrite
	$(SYSCALL_TDIR)/test_syscall zpoline $(abspath $(SYSCALL_TDIR)/liblate.so)
	$(SYSCALL_TDIR)/test_syscall sud $(abspath $(SYSCALL_TDIR)/liblate.so)
	$(SYSCALL_TDIR)/test_syscall fallback $(abspath $(SYSCALL_TDIR)/liblate.so)
	$(SYSCALL_TDIR)/test_syscall-asan zpoline $(abspath $(SYSCALL_TDIR)/liblate.so)
	$(SYSCALL_TDIR)/test_syscall-asan sud $(abspath $(SYSCALL_TDIR)/liblate.so)
TEST_TARGETS += test-syscall

# The benchmark (bench/RESULTS.md): `make bench-syscall [BENCH_N=...] [BENCH_ROUNDS=...]`.
BENCH_N ?= 2000000
BENCH_ROUNDS ?= 5
$(SYSCALL_TDIR)/libsyscall_bench_agent.so: bench/syscall_agent.c $(SYSCALL_LIB)
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< $(SYSCALL_LIB) $(SYSCALL_LIBS)
$(SYSCALL_TDIR)/syscall_bench: bench/syscall_bench.c $(SYSCALL_TDIR)/libsyscall_bench_agent.so
	$(CC) $(CFLAGS) -o $@ $< -L$(SYSCALL_TDIR) -lsyscall_bench_agent -Wl,-rpath,'$$ORIGIN'
.PHONY: bench-syscall
bench-syscall: $(SYSCALL_TDIR)/syscall_bench
	$< $(BENCH_N) $(BENCH_ROUNDS)
