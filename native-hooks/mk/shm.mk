# shm: the session segment and its maps (docs/native.md, "shm"), and the N-API addon over it ("addon").
#   build/libbpftime_shm.a   position-independent objects for the agent and the runtime to link
#   build/bpftime_shm.node   the addon the TypeScript control plane loads (src/native/addon.ts)
#   make test-shm            C tests: ASan/UBSan for the semantics, TSan for the threads-and-processes stress
#   make bench-shm           the map operation microbenchmark (bench/RESULTS.md)
NODE_INCLUDE ?= /usr/include/node
SHM_SRCS := $(sort $(wildcard src/shm/*.c))
SHM_HDRS := include/bpftime_shm.h include/bpftime_maps.h src/shm/internal.h
SHM_OBJS := $(SHM_SRCS:%.c=$(BUILD)/%.o)
SHM_LIB := $(BUILD)/libbpftime_shm.a
ADDON_SRCS := $(sort $(wildcard addon/*.c))
ADDON := $(BUILD)/bpftime_shm.node
SHM_TESTS := $(BUILD)/tests/shm
SHM_TEST_COMMON := tests/shm/check.h

ALL_TARGETS += $(SHM_LIB)
TEST_TARGETS += test-shm
.PHONY: shm addon test-shm bench-shm

shm: $(SHM_LIB)
addon: $(ADDON)

$(BUILD)/src/shm/%.o: src/shm/%.c $(SHM_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(SHM_LIB): $(SHM_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The addon links the objects in and exports only napi_register_module_v1 (the library is hidden-visibility).
$(ADDON): $(ADDON_SRCS) addon/addon.h $(SHM_LIB)
	$(CC) $(CFLAGS) -I$(NODE_INCLUDE) -Iaddon -shared $(ADDON_SRCS) $(SHM_LIB) -o $@ -lpthread

# Test programs compile the sources with the test, so sanitizers see every access.
SHM_TEST_CFLAGS := $(filter-out -O2,$(CFLAGS)) -O1 -Itests/shm
$(SHM_TESTS)/%.asan: tests/shm/%.c $(SHM_SRCS) $(SHM_HDRS) $(SHM_TEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(SHM_TEST_CFLAGS) $(SANITIZE) $< $(SHM_SRCS) -o $@ -lpthread
$(SHM_TESTS)/%.tsan: tests/shm/%.c $(SHM_SRCS) $(SHM_HDRS) $(SHM_TEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(SHM_TEST_CFLAGS) -fsanitize=thread $< $(SHM_SRCS) -o $@ -lpthread
$(SHM_TESTS)/bench_maps: tests/shm/bench_maps.c $(SHM_LIB) $(SHM_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc/shm $< $(SHM_LIB) -o $@ -lpthread

SHM_TEST_BINS := $(SHM_TESTS)/test_maps.asan
# STRESS_SCALE multiplies the stress test's iteration counts (CI keeps the default; 10 for a long soak).
STRESS_SCALE ?= 1
test-shm: $(SHM_TEST_BINS)
	$(SHM_TESTS)/test_maps.asan

bench-shm: $(SHM_TESTS)/bench_maps
	$(SHM_TESTS)/bench_maps
