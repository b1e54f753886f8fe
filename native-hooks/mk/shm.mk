# shm: the session segment and its maps (docs/native.md, "shm"), and the N-API addon over it ("addon").
#   build/libbpftime_shm.a   position-independent objects for the agent and the runtime to link
#   build/bpftime_shm.node   the addon the TypeScript control plane loads (src/native/addon.ts)
#   build/tests/shm/peer     a second process for the vitest tests (test/native-shm*.test.ts)
#   make test-shm            C tests: ASan/UBSan for the semantics, TSan for the threads-and-processes stress
#   make bench-shm           the map operation microbenchmark (bench/RESULTS.md)
# Node's headers: Debian's nodejs package, else the include/ beside the node binary (official tarballs).
NODE_INCLUDE ?= $(firstword $(patsubst %/node_api.h,%,$(wildcard /usr/include/node/node_api.h \
	$(dir $(realpath $(shell command -v node 2>/dev/null)))../include/node/node_api.h)) /usr/include/node)
SHM_SRCS := $(sort $(wildcard src/shm/*.c))
SHM_HDRS := include/bpftime_shm.h include/bpftime_maps.h src/shm/internal.h src/shm/htab.h
SHM_OBJS := $(SHM_SRCS:%.c=$(BUILD)/%.o)
SHM_LIB := $(BUILD)/libbpftime_shm.a
ADDON_SRCS := $(sort $(wildcard addon/*.c))
ADDON := $(BUILD)/bpftime_shm.node
SHM_TESTS := $(BUILD)/tests/shm
SHM_TEST_COMMON := tests/shm/check.h

ALL_TARGETS += $(SHM_LIB) $(ADDON) $(SHM_TESTS)/peer
TEST_TARGETS += test-shm
.PHONY: shm addon test-shm bench-shm

shm: $(SHM_LIB)
addon: $(ADDON)

# -mgeneral-regs-only: map operations run inside uprobes whose stubs do not save vector registers (docs/native.md,
# "Vector registers").
$(BUILD)/src/shm/%.o: src/shm/%.c $(SHM_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -mgeneral-regs-only -c $< -o $@

$(SHM_LIB): $(SHM_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The addon links the objects in and exports only napi_register_module_v1 (the library is hidden-visibility).
$(ADDON): $(ADDON_SRCS) addon/addon.h $(SHM_LIB)
	@test -f $(NODE_INCLUDE)/node_api.h || { echo "node_api.h not found in $(NODE_INCLUDE): install Node's headers \
	(Debian: apt-get install nodejs) or set NODE_INCLUDE" >&2; exit 1; }
	$(CC) $(CFLAGS) -I$(NODE_INCLUDE) -Iaddon -shared $(ADDON_SRCS) $(SHM_LIB) -o $@ -lpthread

# Test programs link the sources built with their sanitizer (objects shared by the tests of one sanitizer).
SHM_TEST_CFLAGS := $(filter-out -O2,$(CFLAGS)) -O1 -Itests/shm
SHM_ASAN_OBJS := $(SHM_SRCS:%.c=$(BUILD)/asan/%.o)
SHM_TSAN_OBJS := $(SHM_SRCS:%.c=$(BUILD)/tsan/%.o)
$(BUILD)/asan/%.o: %.c $(SHM_HDRS) $(SHM_TEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(SHM_TEST_CFLAGS) $(SANITIZE) -c $< -o $@
$(BUILD)/tsan/%.o: %.c $(SHM_HDRS) $(SHM_TEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(SHM_TEST_CFLAGS) -fsanitize=thread -c $< -o $@
$(SHM_TESTS)/%.asan: $(BUILD)/asan/tests/shm/%.o $(SHM_ASAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(SANITIZE) $^ -o $@ -lpthread
$(SHM_TESTS)/%.tsan: $(BUILD)/tsan/tests/shm/%.o $(SHM_TSAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=thread $^ -o $@ -lpthread
$(SHM_TESTS)/peer: tests/shm/peer.c $(SHM_LIB) $(SHM_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(SHM_LIB) -o $@ -lpthread
$(SHM_TESTS)/bench_maps: tests/shm/bench_maps.c $(SHM_LIB) $(SHM_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< $(SHM_LIB) -o $@ -lpthread

SHM_TEST_BINS := $(SHM_TESTS)/test_segment.asan $(SHM_TESTS)/test_maps.asan $(SHM_TESTS)/test_stress.asan \
	$(SHM_TESTS)/test_stress.tsan
# STRESS_SCALE multiplies the stress test's iteration counts (CI keeps the default; 10 for a long soak).
STRESS_SCALE ?= 1
# TSan sees only its own process's synchronisation, so its stress run is threads in one process.
test-shm: $(SHM_TEST_BINS)
	$(SHM_TESTS)/test_segment.asan
	$(SHM_TESTS)/test_maps.asan
	STRESS_SCALE=$(STRESS_SCALE) $(SHM_TESTS)/test_stress.asan
	TSAN_OPTIONS=halt_on_error=1 STRESS_PROCS=1 STRESS_SCALE=$(STRESS_SCALE) $(SHM_TESTS)/test_stress.tsan

bench-shm: $(SHM_TESTS)/bench_maps
	$(SHM_TESTS)/bench_maps
