# The syscall component (docs/native.md, "syscall"): libbpftime_syscall.a, linked into the agent shared object.
SYSCALL_SRCS := $(wildcard src/syscall/*.c) $(wildcard src/arch/x86_64/zpoline*.c) src/arch/x86_64/zpoline_entry.S
# The entry and the dispatch are linked into one object (zp_hot.o), the entry first, so that their hot sections
# (ZP_HOT, src/syscall/internal.h) share one page whatever order the final link pulls objects in.
SYSCALL_HOT := src/arch/x86_64/zpoline_entry.S src/syscall/dispatch.c
SYSCALL_OBJS := $(patsubst src/%,$(BUILD)/syscall/%.o,$(filter-out $(SYSCALL_HOT),$(SYSCALL_SRCS))) $(BUILD)/syscall/zp_hot.o
SYSCALL_LIB := $(BUILD)/libbpftime_syscall.a
SYSCALL_LIBS := -lcapstone -lpthread
SYSCALL_GEN := $(BUILD)/gen/syscall_names.h

# capstone (libcapstone-dev) is needed; without it the other components still build, and the syscall tests say why
# they skip (test/native-syscall.test.ts).
ifneq ($(wildcard /usr/include/capstone/capstone.h),)
ALL_TARGETS += $(SYSCALL_LIB)
else
$(info native-hooks: libcapstone-dev is missing: the syscall hooks are not built)
endif

# The syscall names and numbers come from the system's <asm/unistd_64.h> (linux-libc-dev), not from a list here.
$(SYSCALL_GEN): | $(BUILD)
	mkdir -p $(dir $@)
	echo '#include <asm/unistd_64.h>' | $(CC) -dM -E - | \
	  sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/{ "\1", \2 },/p' | sort -t, -k2 -n > $@.tmp
	test -s $@.tmp && mv $@.tmp $@

$(BUILD)/syscall/%.c.o: src/%.c $(SYSCALL_GEN) $(wildcard src/syscall/*.h) include/bpftime_syscall.h include/bpftime_syscall_layout.gen.h
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -I$(BUILD)/gen -c $< -o $@

$(BUILD)/syscall/%.S.o: src/%.S src/syscall/frame.h
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/syscall/zp_hot.o: $(patsubst src/%,$(BUILD)/syscall/%.o,$(SYSCALL_HOT))
	$(LD) -r -o $@ $^

$(SYSCALL_LIB): $(SYSCALL_OBJS)
	rm -f $@
	ar rcs $@ $^

# The same library with AddressSanitizer and UBSan, for the tests.
SYSCALL_ASAN_OBJS := $(patsubst src/%,$(BUILD)/syscall-asan/%.o,$(SYSCALL_SRCS))
SYSCALL_ASAN_LIB := $(BUILD)/libbpftime_syscall-asan.a
$(BUILD)/syscall-asan/%.c.o: src/%.c $(SYSCALL_GEN) $(wildcard src/syscall/*.h) include/bpftime_syscall.h include/bpftime_syscall_layout.gen.h
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O1 $(SANITIZE) -I$(BUILD)/gen -c $< -o $@
$(BUILD)/syscall-asan/%.S.o: src/%.S src/syscall/frame.h
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(SYSCALL_ASAN_LIB): $(SYSCALL_ASAN_OBJS)
	rm -f $@
	ar rcs $@ $^

