# Test pieces of the inject component (tests/inject/): a target to inject into and two agents (one with the syscall
# hooks: the library path is spelled out, as syscall.mk is read after this file).
# test/native-inject.test.ts drives them (`make inject-tests` builds them).
INJECT_TDIR := $(BUILD)/tests/inject
INJECT_TESTS := $(INJECT_TDIR)/target $(INJECT_TDIR)/libinject_agent.so $(INJECT_TDIR)/libinject_plain.so $(INJECT)

$(INJECT_TDIR)/target: tests/inject/target.c
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lpthread
$(INJECT_TDIR)/libinject_agent.so: tests/inject/agent.c $(BUILD)/libbpftime_syscall.a
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -o $@ $< $(BUILD)/libbpftime_syscall.a -lcapstone -lpthread
$(INJECT_TDIR)/libinject_plain.so: tests/inject/agent.c
	mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DNO_ENTRY -shared -o $@ $<

.PHONY: inject-tests
inject-tests: $(INJECT_TESTS)
