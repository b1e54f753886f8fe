# The native runtime (docs/native.md, "runtime"): hosting of compiled programs, built into a static library the
# agent links. build/runtime-helpers.txt lists the helpers it implements ("id name" lines): the control plane reads
# it to refuse, at load time, a program calling a helper the native runtime lacks (src/native/aot.ts).
RUNTIME_SRCS := $(sort $(wildcard src/runtime/*.c)) src/arch/x86_64/vec.S
RUNTIME_OBJS := $(patsubst src/%.S,$(BUILD)/%.o,$(patsubst src/%.c,$(BUILD)/%.o,$(RUNTIME_SRCS)))
RUNTIME_HDRS := $(wildcard src/runtime/*.h) src/shm/htab.h src/shm/internal.h src/arch/vec.h include/bpftime_runtime.h include/bpftime_prog_abi.h include/bpftime_helpers.gen.h include/bpftime_shm.h include/bpftime_maps.h
# The runtime calls the shm map API: the agent links libbpftime_shm.a after libbpftime-runtime.a. (shm.mk is
# included after this file, so its variables are not set yet here.)
RT_SHM_LIB := $(BUILD)/libbpftime_shm.a
RT_SHM_SRCS := $(sort $(wildcard src/shm/*.c))
RUNTIME_LIB := $(BUILD)/libbpftime-runtime.a
# Messages are truncated to their buffers on purpose. -mgeneral-regs-only: a run touches no vector register, so
# uprobes need not save them (docs/native.md, "Vector registers"); the sanitizer runners do not need it.
RUNTIME_CFLAGS = $(CFLAGS) -Wno-format-truncation
RUNTIME_NOVEC := -mgeneral-regs-only
RUNTIME_TEST_CFLAGS := -O1 -g -std=gnu11 -D_GNU_SOURCE -Iinclude -Isrc/runtime $(WARN) -Wno-format-truncation

ALL_TARGETS += $(RUNTIME_LIB) $(BUILD)/runtime-helpers.txt $(BUILD)/tests/runtime/runner $(BUILD)/tests/runtime/runner-tsan $(BUILD)/tests/runtime/runner-bench

$(BUILD)/runtime/%.o: src/runtime/%.c $(RUNTIME_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(RUNTIME_CFLAGS) $(RUNTIME_NOVEC) -c $< -o $@
$(BUILD)/arch/x86_64/vec.o: src/arch/x86_64/vec.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(RUNTIME_LIB): $(RUNTIME_OBJS)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/bpftime-runtime-helpers: tests/runtime/list-helpers.c $(RUNTIME_LIB) $(RT_SHM_LIB)
	$(CC) $(RUNTIME_CFLAGS) $< $(RUNTIME_LIB) $(RT_SHM_LIB) -ldl -lpthread -o $@

$(BUILD)/runtime-helpers.txt: $(BUILD)/bpftime-runtime-helpers
	$< > $@

# The test runner loads compiled programs (built by the vitest tests through src/native) and runs them on the
# runtime; built twice: with ASan/UBSan, and with TSan for the threaded runs.
RUNNER_SRCS := $(wildcard tests/runtime/runner*.c) $(RUNTIME_SRCS) $(RT_SHM_SRCS)
RUNNER_HDRS := $(wildcard tests/runtime/*.h) $(RUNTIME_HDRS) $(wildcard src/shm/*.h)

$(BUILD)/tests/runtime/runner: $(RUNNER_SRCS) $(RUNNER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(RUNTIME_TEST_CFLAGS) $(SANITIZE) $(RUNNER_SRCS) -ldl -lpthread -o $@

$(BUILD)/tests/runtime/runner-tsan: $(RUNNER_SRCS) $(RUNNER_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(RUNTIME_TEST_CFLAGS) -fsanitize=thread -Wno-tsan $(RUNNER_SRCS) -ldl -lpthread -o $@

# Without sanitizers, linking the libraries the agent links, for the call-cost benchmark (npm run bench -- native).
$(BUILD)/tests/runtime/runner-bench: $(wildcard tests/runtime/runner*.c) $(RUNNER_HDRS) $(RUNTIME_LIB) $(RT_SHM_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(RUNTIME_CFLAGS) -Isrc/runtime $(wildcard tests/runtime/runner*.c) $(RUNTIME_LIB) $(RT_SHM_LIB) -ldl -lpthread -o $@

.PHONY: runtime-test
TEST_TARGETS += runtime-test
runtime-test: $(BUILD)/tests/runtime/runner $(BUILD)/runtime-helpers.txt
	$(BUILD)/tests/runtime/runner --self-test
