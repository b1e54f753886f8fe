# The hook component (docs/native.md "hook"): inline uprobes/uretprobes as a static library the agent links.
#   build/libbpftime_hook.a        the library (link with $(HOOK_LDLIBS))
#   build/san/libbpftime_hook.a    the same built with ASan/UBSan, for the tests
#   make hook-test                 build and run tests/hook (part of `make test`)
#   make hook-bench                the overhead benchmark (bench/hook_bench.c)
HOOK_SRCS := $(wildcard src/core/*.c src/elf/*.c) \
	src/arch/x86_64/codewriter.c src/arch/x86_64/relocator.c src/arch/x86_64/trampoline.c \
	src/arch/x86_64/textpoke.c src/arch/x86_64/ret_stub.S src/arch/x86_64/vec.S
HOOK_HDRS := include/bpftime_hook.h $(wildcard src/core/*.h src/elf/*.h src/arch/*.h) \
	src/arch/x86_64/arch_site.h src/arch/x86_64/codewriter.h src/arch/x86_64/relocator.h
HOOK_LDLIBS := -lcapstone -lpthread -ldl
HOOK_LIB := $(BUILD)/libbpftime_hook.a
HOOK_LIB_SAN := $(BUILD)/san/libbpftime_hook.a
HOOK_OBJS := $(patsubst %,$(BUILD)/hook/%.o,$(HOOK_SRCS))
HOOK_OBJS_SAN := $(patsubst %,$(BUILD)/san/hook/%.o,$(HOOK_SRCS))

# -mgeneral-regs-only: the dispatcher never touches vector registers (gcc would otherwise merge stores into 16-byte
# SSE stores, whose halves the next loads cannot forward from: +10 ns per return probe here).
HOOK_CFLAGS := -mgeneral-regs-only
$(BUILD)/hook/%.o: % $(HOOK_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HOOK_CFLAGS) -c $< -o $@
$(BUILD)/san/hook/%.o: % $(HOOK_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HOOK_CFLAGS) $(SANITIZE) -c $< -o $@
$(HOOK_LIB): $(HOOK_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^
$(HOOK_LIB_SAN): $(HOOK_OBJS_SAN)
	@rm -f $@
	$(AR) rcs $@ $^

# Tests: every tests/hook/test_*.c runs sanitized, except test_plain_*.c that run on the plain library (a probe on
# libc's malloc, which ASan replaces; registers across a call, which sanitizer instrumentation hides). The shared-library target is libhooktarget.so.
HOOK_TDIR := $(BUILD)/tests/hook
HOOK_TEST_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc
HOOK_TEST_SRCS := $(wildcard tests/hook/test_*.c tests/hook/test_*.cc)
HOOK_TESTS := $(patsubst tests/hook/%.cc,$(HOOK_TDIR)/%,$(patsubst tests/hook/%.c,$(HOOK_TDIR)/%,$(HOOK_TEST_SRCS)))
HOOK_TEST_DEPS := tests/hook/check.h tests/hook/common.h tests/hook/targets.h tests/hook/targets.S $(HOOK_TDIR)/libhooktarget.so

$(HOOK_TDIR)/libhooktarget.so: tests/hook/hooktarget.c
	@mkdir -p $(dir $@)
	$(CC) $(HOOK_TEST_CFLAGS) -shared -fPIC $< -o $@
$(HOOK_TDIR)/test_plain_%: tests/hook/test_plain_%.c $(HOOK_LIB) $(HOOK_TEST_DEPS)
	$(CC) $(HOOK_TEST_CFLAGS) $< tests/hook/targets.S -o $@ $(HOOK_LIB) -L$(HOOK_TDIR) -lhooktarget \
		-Wl,-rpath,'$$ORIGIN' $(HOOK_LDLIBS)
$(HOOK_TDIR)/test_%: tests/hook/test_%.cc $(HOOK_LIB_SAN) $(HOOK_TEST_DEPS)
	$(CXX) -O2 -g -Wall -Wextra -Werror -std=gnu++17 -Iinclude $(SANITIZE) $< -o $@ $(HOOK_LIB_SAN) $(HOOK_LDLIBS)
$(HOOK_TDIR)/test_%: tests/hook/test_%.c $(HOOK_LIB_SAN) $(HOOK_TEST_DEPS)
	$(CC) $(HOOK_TEST_CFLAGS) $(SANITIZE) $< tests/hook/targets.S -o $@ $(HOOK_LIB_SAN) -L$(HOOK_TDIR) \
		-lhooktarget -Wl,-rpath,'$$ORIGIN' $(HOOK_LDLIBS)

HOOK_BENCH := $(BUILD)/bench/hook_bench
$(HOOK_BENCH): bench/hook_bench.c $(HOOK_LIB)
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude $< -o $@ $(HOOK_LIB) $(HOOK_LDLIBS)

.PHONY: hook-test hook-bench
hook-test: $(HOOK_TESTS)
	@set -e; for t in $(HOOK_TESTS); do echo "== $$t"; UBSAN_OPTIONS=halt_on_error=1 $$t; done
hook-bench: $(HOOK_BENCH)
	$(HOOK_BENCH)

# Without libcapstone-dev the component cannot be built: say so (the other components still build).
ifeq ($(wildcard /usr/include/capstone/capstone.h),)
.PHONY: hook-no-capstone
hook-no-capstone:
	@echo "native-hooks: the hook component needs libcapstone-dev (capstone/capstone.h not found)" >&2
ALL_TARGETS += hook-no-capstone
TEST_TARGETS += hook-no-capstone-test
.PHONY: hook-no-capstone-test
hook-no-capstone-test: hook-no-capstone
	@exit 1
else
ALL_TARGETS += $(HOOK_LIB)
TEST_TARGETS += hook-test
endif
