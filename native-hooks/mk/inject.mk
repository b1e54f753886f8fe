# The inject component (docs/native.md, "inject"): build/bpftime-inject, the ptrace loader of the agent.
INJECT_SRCS := $(wildcard src/inject/*.c)
INJECT := $(BUILD)/bpftime-inject
ALL_TARGETS += $(INJECT)

$(INJECT): $(INJECT_SRCS) src/inject/inject.h | $(BUILD)
	$(CC) $(CFLAGS) -o $@ $(INJECT_SRCS)
