# The agent (docs/native.md, "agent"): build/libbpftime-agent.so, the library LD_PRELOAD and bpftime-inject load into
# a target. It links the runtime, shm, hook and syscall components (their libraries are named by path: agent.mk is
# read before their .mk files) and exports only bpftime_agent_main.
AGENT := $(BUILD)/libbpftime-agent.so
AGENT_SRCS := $(sort $(wildcard src/agent/*.c))
AGENT_OBJS := $(patsubst src/%.c,$(BUILD)/agent-obj/%.o,$(AGENT_SRCS))
AGENT_HDRS := include/bpftime.h $(wildcard src/agent/*.h) include/bpftime_hook.h include/bpftime_syscall.h \
	include/bpftime_runtime.h include/bpftime_shm.h src/core/thread.h src/runtime/run-inline.h src/runtime/internal.h
AGENT_LIBS := $(BUILD)/libbpftime-runtime.a $(BUILD)/libbpftime_shm.a $(BUILD)/libbpftime_hook.a $(BUILD)/libbpftime_syscall.a

# Messages are truncated to their buffers on purpose.
ALL_TARGETS += $(AGENT)

# -mgeneral-regs-only: the uprobe callback runs under stubs that do not save vector registers (docs/native.md,
# "Vector registers"); string.c gives the agent vector-free memcpy & co, and the link fails if any call to libc's
# is left.
$(BUILD)/agent-obj/%.o: src/%.c $(AGENT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -mgeneral-regs-only -Wno-format-truncation -c $< -o $@

AGENT_NOVEC_IMPORTS := memcpy memmove memset memcmp memchr
$(AGENT): $(AGENT_OBJS) $(AGENT_LIBS) src/agent/agent.map
	$(CC) -shared -o $@.tmp $(AGENT_OBJS) -Wl,--start-group $(AGENT_LIBS) -Wl,--end-group \
		-Wl,--version-script=src/agent/agent.map -Wl,-z,defs -lcapstone -ldl -lpthread
	@! nm -D --undefined-only $@.tmp | grep -wE '$(subst $() ,|,$(AGENT_NOVEC_IMPORTS))' || \
		{ echo "$@: calls libc's vector string functions (see src/agent/string.c)" >&2; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

.PHONY: agent
agent: $(AGENT)
