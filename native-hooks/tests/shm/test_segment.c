/*
 * Segment management: create/open, a live session refused, a stale one replaced, layout version, magic, owner and
 * size errors with their messages, the heap allocator, mapping at a fixed address, the tables and the log ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"

static char err[512];

static int create(const char *name, unsigned long long size, struct bpftime_seg **out)
{
	struct bpftime_seg_opts o = {.size = size, .owner_uid = -1};
	err[0] = 0;
	return bpftime_seg_create(name, &o, out, err, sizeof(err));
}

static int open_seg(const char *name, uint32_t flags, struct bpftime_seg **out)
{
	struct bpftime_seg_opts o = {.owner_uid = -1, .flags = flags};
	err[0] = 0;
	return bpftime_seg_open(name, &o, out, err, sizeof(err));
}

/* in_child runs fn in a child (optionally as another uid) and returns its exit status. */
static int in_child(int (*fn)(const char *), const char *name, int uid)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (uid >= 0 && setuid((uid_t)uid) != 0)
			_exit(99);
		_exit(fn(name));
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int create_and_die(const char *name)
{
	struct bpftime_seg *s;
	return create(name, 4 << 20, &s) == 0 ? 0 : 1; /* exits without unlinking: a crashed session */
}

static int open_status(const char *name)
{
	struct bpftime_seg *s;
	int r = open_seg(name, 0, &s);
	if (r == 0)
		bpftime_seg_close(s);
	if (r == -EACCES && strstr(err, "uid") == NULL)
		return 98;
	return -r;
}

static void test_lifecycle(void)
{
	char name[64];
	test_name(name, sizeof(name), "life");
	struct bpftime_seg *a, *b, *c;
	CHECK_EQ(open_seg(name, 0, &a), -ENOENT);
	CHECK_MSG(err, "no segment");
	CHECK_EQ(create(name, 4 << 20, &a), 0);
	struct bpftime_shm_header *h = &bpftime_seg_shm(a)->hdr;
	CHECK_EQ(h->magic, BPFTIME_SHM_MAGIC);
	CHECK_EQ(h->creator_pid, getpid());
	CHECK_EQ(h->owner_uid, geteuid());
	CHECK_EQ(bpftime_seg_size(a), 4 << 20);
	CHECK(bpftime_proc_start_time((uint32_t)getpid()) == h->creator_start_time);
	struct stat st;
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* A second create while the session lives is refused. */
	CHECK_EQ(create(name, 4 << 20, &b), -EEXIST);
	CHECK_MSG(err, "belongs to a running session");
	/* A second mapping sees the same bytes at the same offsets. */
	CHECK_EQ(open_seg(name, 0, &b), 0);
	uint8_t *pa = bpftime_seg_base(a), *pb = bpftime_seg_base(b);
	CHECK(pa != pb);
	pa[(4 << 20) - 1] = 0x5a;
	CHECK_EQ(pb[(4 << 20) - 1], 0x5a);
	bpftime_seg_close(b);
	/* Mapped at a chosen address inside a reservation (the runtime's linear memory); closing keeps the hole. */
	uint8_t *res = mmap(NULL, 1ull << 31, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(res != MAP_FAILED);
	struct bpftime_seg_opts at = {.owner_uid = -1, .map_at = res + (1 << 30)};
	CHECK_EQ(bpftime_seg_open(name, &at, &c, err, sizeof(err)), 0);
	CHECK(bpftime_seg_base(c) == res + (1 << 30));
	CHECK_EQ(res[(1 << 30) + (4 << 20) - 1], 0x5a);
	bpftime_seg_close(c);
	CHECK(mmap(res + (1 << 30), 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) ==
	      MAP_FAILED); /* still reserved */
	munmap(res, 1ull << 31);
	/* Ended: unlinked, then the name is free. */
	CHECK_EQ(bpftime_seg_unlink(a), 0);
	CHECK_EQ(h->state, BPFTIME_SEG_ENDED);
	CHECK_EQ(open_seg(name, 0, &b), -ENOENT);
	bpftime_seg_close(a);
}

static void test_stale(void)
{
	char name[64];
	test_name(name, sizeof(name), "stale");
	struct bpftime_seg *a;
	CHECK_EQ(in_child(create_and_die, name, -1), 0);
	CHECK_EQ(open_seg(name, 0, &a), -ESTALE);
	CHECK_MSG(err, "session that ended");
	CHECK_EQ(open_seg(name, BPFTIME_SEG_F_ALLOW_STALE, &a), 0); /* inspecting a crashed session */
	CHECK(bpftime_seg_is_stale(&bpftime_seg_shm(a)->hdr));
	bpftime_seg_close(a);
	CHECK_EQ(create(name, 4 << 20, &a), 0); /* replaced */
	CHECK_EQ(bpftime_seg_shm(a)->hdr.creator_pid, getpid());
	bpftime_seg_unlink(a);
	bpftime_seg_close(a);
}

static void test_foreign(void)
{
	char name[64];
	test_name(name, sizeof(name), "foreign");
	struct bpftime_seg *a;
	/* Not ours: refused, and never removed by create. */
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	char junk[8192];
	memset(junk, 0x11, sizeof(junk));
	CHECK(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	CHECK_EQ(open_seg(name, 0, &a), -EPROTO);
	CHECK_MSG(err, "not a bpftime-vm segment");
	CHECK_EQ(create(name, 4 << 20, &a), -EEXIST);
	CHECK(shm_unlink(name) == 0);
	close(fd);
	/* Another layout version: a clear error naming both versions. */
	CHECK_EQ(create(name, 4 << 20, &a), 0);
	bpftime_seg_shm(a)->hdr.layout_version = BPFTIME_SHM_LAYOUT_VERSION + 1;
	struct bpftime_seg *b;
	CHECK_EQ(open_seg(name, 0, &b), -EPROTO);
	CHECK_MSG(err, "layout version 2");
	CHECK_MSG(err, "this build reads version 1");
	bpftime_seg_shm(a)->hdr.layout_version = BPFTIME_SHM_LAYOUT_VERSION;
	bpftime_seg_unlink(a);
	bpftime_seg_close(a);
}

static void test_owner(void)
{
	if (geteuid() != 0) {
		printf("test_segment: owner checks skipped (not root)\n");
		return;
	}
	char name[64];
	test_name(name, sizeof(name), "owner");
	struct bpftime_seg *a;
	struct bpftime_seg_opts o = {.size = 4 << 20, .owner_uid = 65534};
	CHECK_EQ(bpftime_seg_create(name, &o, &a, err, sizeof(err)), 0);
	CHECK_EQ(in_child(open_status, name, 65534), 0);      /* the target's uid may open it */
	CHECK_EQ(in_child(open_status, name, 65533), EACCES); /* mode 0600: others may not */
	bpftime_seg_unlink(a);
	bpftime_seg_close(a);
	/* The header's owner is checked too (a segment whose mode was widened). */
	CHECK_EQ(create(name, 4 << 20, &a), 0);
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	CHECK(chmod(path, 0666) == 0);
	CHECK_EQ(in_child(open_status, name, 65534), EACCES);
	bpftime_seg_unlink(a);
	bpftime_seg_close(a);
}

static void test_sizes(void)
{
	char name[64];
	test_name(name, sizeof(name), "size");
	struct bpftime_seg *a;
	CHECK_EQ(create(name, (4 << 20) + 1, &a), -EINVAL);
	CHECK_MSG(err, "segment size 4194305 is invalid");
	CHECK_EQ(create(name, 1 << 20, &a), -EINVAL);
	CHECK_EQ(create(name, 4ull << 30, &a), -EINVAL);
	CHECK_EQ(create("/bad/name", 4 << 20, &a), -EINVAL);
	CHECK_MSG(err, "may only hold");
	CHECK_EQ(create(name, 4 << 20, &a), 0);
	/* A map that does not fit: -ENOSPC naming what it needs and what is free; nothing leaks. */
	uint64_t before = bpftime_shm_heap_free_bytes(a);
	struct bpftime_map_spec s = {.name = "big", .type = BPFTIME_MAP_HASH, .key_size = 8, .value_size = 64,
				     .max_entries = 1 << 20, .spin_lock_off = -1};
	CHECK_EQ(bpftime_map_create(a, &s, err, sizeof(err)), -ENOSPC);
	CHECK_MSG(err, "map \"big\": its storage needs");
	CHECK_MSG(err, "larger segment");
	CHECK_EQ(bpftime_shm_heap_free_bytes(a), before);
	CHECK(bpftime_map_storage_size(&s, 2) > before);
	/* The allocator: aligned blocks, reuse and coalescing back to one free block. */
	uint64_t offs[16];
	for (int i = 0; i < 16; i++) {
		offs[i] = bpftime_shm_alloc(a, 1000 + (uint64_t)i * 300, i % 3 ? 64 : 4096, err, sizeof(err));
		CHECK(offs[i] != 0 && offs[i] % (i % 3 ? 64 : 4096) == 0);
		memset((uint8_t *)bpftime_seg_base(a) + offs[i], 0xee, 1000 + (uint64_t)i * 300);
	}
	for (int i = 0; i < 16; i += 2)
		bpftime_shm_free(a, offs[i]);
	for (int i = 15; i > 0; i -= 2)
		bpftime_shm_free(a, offs[i]);
	CHECK_EQ(bpftime_shm_heap_free_bytes(a), before);
	CHECK(bpftime_shm_alloc(a, before + 1, 64, err, sizeof(err)) == 0);
	CHECK_MSG(err, "do not fit");
	CHECK(bpftime_shm_alloc(a, before, 64, err, sizeof(err)) != 0); /* exactly what is free */
	bpftime_seg_unlink(a);
	bpftime_seg_close(a);
}

static int count_log(void *ctx, const struct bpftime_log_rec *rec, const char *text, uint32_t len)
{
	int *n = ctx;
	CHECK(rec->pid == (uint32_t)getpid());
	if (*n == 0)
		CHECK(len == 5 && memcmp(text, "hello", 5) == 0 && rec->kind == BPFTIME_LOG_TRACE);
	(*n)++;
	return 0;
}

static int register_agent(const char *name)
{
	struct bpftime_seg *s;
	if (open_seg(name, 0, &s) != 0)
		return 1;
	return bpftime_agent_register(s, BPFTIME_AGENT_PRELOAD, err, sizeof(err)) > 0 ? 0 : 2;
}

static void test_tables(void)
{
	char name[64];
	test_name(name, sizeof(name), "tables");
	struct bpftime_seg *a;
	CHECK_EQ(create(name, 4 << 20, &a), 0);
	struct bpftime_prog_entry p = {.type = 2, .enabled = 1, .nr_map_refs = 1};
	snprintf(p.name, sizeof(p.name), "count_malloc");
	p.map_refs[0] = (struct bpftime_map_ref){.pc = 4, .map_id = 1, .kind = BPFTIME_REF_MAP};
	uint32_t gen = bpftime_seg_shm(a)->hdr.tables_gen;
	int pid = bpftime_prog_add(a, &p, err, sizeof(err));
	CHECK_EQ(pid, 1);
	CHECK(bpftime_tables_wait(a, gen, 0) != gen);
	struct bpftime_attach_entry at = {.kind = BPFTIME_ATTACH_UPROBE, .prog_id = 1, .enabled = 1};
	snprintf(at.target, sizeof(at.target), "/usr/lib/x86_64-linux-gnu/libc.so.6");
	snprintf(at.symbol, sizeof(at.symbol), "malloc");
	int aid = bpftime_attach_add(a, &at, err, sizeof(err));
	CHECK_EQ(aid, 1);
	at.prog_id = 9;
	CHECK_EQ(bpftime_attach_add(a, &at, err, sizeof(err)), -ENOENT);
	for (int i = 0; i < 1000; i++)
		bpftime_attach_hit(a, 1);
	bpftime_attach_miss(a, 1);
	struct bpftime_attach_counters tot;
	bpftime_attach_totals(a, 1, &tot);
	CHECK_EQ(tot.hits, 1000);
	CHECK_EQ(tot.missed, 1);
	/* A fault disables the program, records the first fault and logs it. */
	CHECK_EQ(bpftime_prog_fault(a, 1, BPFTIME_FAULT_MEMORY, 17, "read of 8 bytes at 0x10"), 1);
	CHECK_EQ(bpftime_prog_fault(a, 1, BPFTIME_FAULT_BUDGET, 3, "later"), 0);
	struct bpftime_prog_entry *pe = bpftime_prog_get(a, 1);
	CHECK(pe->enabled == 0 && pe->fault == BPFTIME_FAULT_MEMORY && pe->fault_pc == 17);
	CHECK_MSG(pe->fault_msg, "read of 8 bytes");
	CHECK_EQ(bpftime_prog_set_enabled(a, 1, 1), 0);
	CHECK(pe->enabled == 1 && pe->fault == BPFTIME_FAULT_NONE);
	/* Agents: a process that registered and exited is reaped. */
	CHECK_EQ(in_child(register_agent, name, -1), 0);
	CHECK(bpftime_agent_get(a, 1) != NULL && bpftime_agent_get(a, 1)->pid != (uint32_t)getpid());
	CHECK_EQ(bpftime_agent_reap(a), 1);
	CHECK(bpftime_agent_get(a, 1) == NULL);
	int me = bpftime_agent_register(a, BPFTIME_AGENT_INJECTED, err, sizeof(err));
	CHECK(me > 0);
	CHECK_EQ(bpftime_agent_reap(a), 0);
	CHECK_EQ(bpftime_agent_set_state(a, (uint32_t)me, BPFTIME_AGENT_RUNNING, "2 hooks"), 0);
	/* Log ring: records in order; when full, -EAGAIN and counted as lost. */
	int n = 1; /* not 0: the first record is the fault message, not "hello" */
	CHECK_EQ(bpftime_log_read(a, count_log, &n, 0), 1);
	n = 0;
	CHECK_EQ(bpftime_log(a, BPFTIME_LOG_TRACE, 1, "hello", 5), 0);
	CHECK_EQ(bpftime_logf(a, BPFTIME_LOG_INFO, 0, "agent %d", 7), 0);
	CHECK_EQ(bpftime_log_read(a, count_log, &n, 0), 2);
	char line[1000];
	memset(line, 'x', sizeof(line));
	int written = 0;
	while (bpftime_log(a, BPFTIME_LOG_TRACE, 1, line, sizeof(line)) == 0)
		written++;
	CHECK(written > 900 && bpftime_seg_shm(a)->log.lost == 1);
	CHECK_EQ(bpftime_prog_remove(a, 1), 0);
	CHECK(bpftime_prog_get(a, 1) == NULL);
	CHECK_EQ(bpftime_attach_remove(a, 1), 0);
	bpftime_seg_unlink(a);
	bpftime_seg_close(a);
}

int main(void)
{
	test_lifecycle();
	test_stale();
	test_foreign();
	test_owner();
	test_sizes();
	test_tables();
	printf("test_segment: ok\n");
	return 0;
}
