/*
 * kernel-verify: the Linux kernel's verifier as a test oracle. It loads one raw eBPF program (8-byte slots) with
 * BPF_PROG_LOAD and prints the verdict as one JSON object on stdout:
 *
 *   {"accepted":false,"stage":"load","errno":13,"error":"Permission denied","log":"..."}
 *
 * usage: kernel-verify --type TYPE [--map TYPE:KEY:VALUE:ENTRIES[:lock]]... [--priv full|bpf] [--license NAME]
 *                      [--attach tracepoint:CATEGORY/NAME | raw_tracepoint:NAME] [--attach-btf-id ID] [--log-level N] FILE
 *
 * Maps are created in order; the N-th (from 0) is the one a `lddw` with src_reg 1 (BPF_PSEUDO_MAP_FD) or 2
 * (BPF_PSEUDO_MAP_VALUE) and imm N refers to, so the tool patches imm to the map's fd as libbpf does; the fds are also
 * the program's fd_array, which src_reg 5 and 6 (BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE) index. `:lock` gives the
 * map a BTF value type that starts with a `struct bpf_spin_lock`. Programs with subprograms get BTF func_info, one
 * static function per subprogram, as clang always emits: the kernel requires it for callbacks (`lddw rN, func ...`,
 * BPF_PSEUDO_FUNC) and for tail calls from subprograms.
 *
 * `--priv bpf` drops every capability except CAP_BPF (and CAP_NET_ADMIN, which networking program types need to
 * load) before loading: the verifier then runs without CAP_PERFMON, so pointer leaks, reads of uninitialised stack
 * and Spectre-unsafe arithmetic are rejected as for an unprivileged user; tracing types cannot load that way.
 * `--attach` attaches the loaded program (a tracepoint through a disabled perf event, a raw tracepoint through
 * BPF_RAW_TRACEPOINT_OPEN) and detaches it at once: the kernel checks context accesses against the tracepoint's
 * record only then. `--attach-btf-id ID` loads a `tp_btf` program (BPF_PROG_TYPE_TRACING) against the vmlinux BTF
 * type ID of the tracepoint's `btf_trace_NAME` typedef, which types its arguments.
 *
 * `kernel-verify --batch` reads such command lines from stdin, one per line with tab-separated arguments, and prints one
 * JSON line for each (a program per child process), so a test loads hundreds of programs with one spawn.
 *
 * `--log-level` is the kernel's: 1 (default) traces the failing path, 2 every instruction with its state, 4 only the
 * messages and statistics (cheap even for a million processed instructions), 0 no log.
 *
 * Exit status: 0 accepted, 1 rejected by the kernel, 3 invalid input or setup failure (message on stderr); in batch
 * mode 0, or 3 when any line failed to set up. Must run as root. Built by test/kernel-verify.ts with gcc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel-verify-btf.h"

#define MAX_MAPS 64
#define LOG_SIZE (1u << 20) /* the kernel keeps the tail of longer logs, where its message is */

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("kernel-verify: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(3);
}

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

enum { NEEDS_NET_ADMIN = 1, NEEDS_PERFMON = 2 };

struct prog_type {
  const char *name;
  unsigned id;
  unsigned caps; /* what loading needs besides CAP_BPF (is_net_admin_prog_type, is_perfmon_prog_type) */
  unsigned attach_type; /* expected_attach_type (tp_btf: with --attach-btf-id) */
};

/* Program types by their kernel names (enum bpf_prog_type without the prefix); only types that load without an
 * expected_attach_type or an attach target. */
static const struct prog_type PROG_TYPES[] = {
    {"socket_filter", 1, 0, 0},
    {"kprobe", 2, NEEDS_PERFMON, 0},
    {"sched_cls", 3, NEEDS_NET_ADMIN, 0},
    {"sched_act", 4, NEEDS_NET_ADMIN, 0},
    {"tracepoint", 5, NEEDS_PERFMON, 0},
    {"xdp", 6, NEEDS_NET_ADMIN, 0},
    {"perf_event", 7, NEEDS_PERFMON, 0},
    {"cgroup_skb", 8, 0, 0},
    {"cgroup_sock", 9, NEEDS_NET_ADMIN, 0},
    {"lwt_in", 10, NEEDS_NET_ADMIN, 0},
    {"lwt_out", 11, NEEDS_NET_ADMIN, 0},
    {"lwt_xmit", 12, NEEDS_NET_ADMIN, 0},
    {"sock_ops", 13, NEEDS_NET_ADMIN, 0},
    {"sk_skb", 14, NEEDS_NET_ADMIN, 0},
    {"cgroup_device", 15, NEEDS_NET_ADMIN, 0},
    {"sk_msg", 16, NEEDS_NET_ADMIN, 0},
    {"raw_tracepoint", 17, NEEDS_PERFMON, 0},
    {"flow_dissector", 22, NEEDS_NET_ADMIN, 0},
    {"cgroup_sysctl", 23, NEEDS_NET_ADMIN, 0},
    /* BPF_PROG_TYPE_TRACING with BPF_TRACE_RAW_TP: needs --attach-btf-id (the tracepoint's btf_trace_NAME in vmlinux). */
    {"tp_btf", 26, NEEDS_PERFMON, 23},
    {0, 0, 0, 0},
};

static const struct prog_type *prog_type(const char *name) {
  for (const struct prog_type *t = PROG_TYPES; t->name; t++)
    if (strcmp(t->name, name) == 0) return t;
  die("unknown program type \"%s\"", name);
  return NULL;
}

struct named {
  const char *name;
  unsigned id;
};

/* Map types by the names bpftool prints (enum bpf_map_type without the prefix). */
static const struct named MAP_TYPES[] = {
    {"hash", 1},          {"array", 2},         {"prog_array", 3}, {"perf_event_array", 4}, {"percpu_hash", 5},
    {"percpu_array", 6},  {"stack_trace", 7},   {"cgroup_array", 8}, {"lru_hash", 9},       {"lru_percpu_hash", 10},
    {"lpm_trie", 11},     {"queue", 22},        {"stack", 23},     {"ringbuf", 27},         {"bloom_filter", 30},
    {0, 0}};

static unsigned map_type(const char *name) {
  for (const struct named *t = MAP_TYPES; t->name; t++)
    if (strcmp(t->name, name) == 0) return t->id;
  die("unknown map type \"%s\"", name);
  return 0;
}

struct options {
  const struct prog_type *type;
  const char *maps[MAX_MAPS];
  int nmaps;
  int priv_bpf;
  const char *license;
  const char *attach;
  unsigned attach_btf_id;
  unsigned log_level;
  const char *file;
};

static struct options parse_args(int argc, char **argv) {
  struct options o = {.license = "GPL", .log_level = 1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      if (o.file) die("more than one program file");
      o.file = a;
      continue;
    }
    if (!v) die("%s needs a value", a);
    i++;
    if (strcmp(a, "--type") == 0) {
      o.type = prog_type(v);
    } else if (strcmp(a, "--map") == 0) {
      if (o.nmaps == MAX_MAPS) die("more than %d maps", MAX_MAPS);
      o.maps[o.nmaps++] = v;
    } else if (strcmp(a, "--priv") == 0) {
      if (strcmp(v, "full") != 0 && strcmp(v, "bpf") != 0) die("--priv takes full or bpf, not \"%s\"", v);
      o.priv_bpf = strcmp(v, "bpf") == 0;
    } else if (strcmp(a, "--license") == 0) {
      o.license = v;
    } else if (strcmp(a, "--attach") == 0) {
      o.attach = v;
    } else if (strcmp(a, "--attach-btf-id") == 0) {
      o.attach_btf_id = (unsigned)strtoul(v, NULL, 0);
    } else if (strcmp(a, "--log-level") == 0) {
      o.log_level = (unsigned)strtoul(v, NULL, 0);
    } else {
      die("unknown option %s", a);
    }
  }
  if (!o.type) die("--type is required");
  if (o.type->id == 26 && !o.attach_btf_id) die("%s programs need --attach-btf-id", o.type->name);
  if (!o.file) die("no program file");
  if (o.priv_bpf && (o.type->caps & NEEDS_PERFMON)) die("tracing program types need CAP_PERFMON: --priv bpf cannot load them");
  return o;
}

static struct bpf_insn *read_program(const char *path, unsigned *count) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) die("%s: %s", path, strerror(errno));
  size_t cap = 4096, len = 0;
  unsigned char *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) buf = realloc(buf, cap *= 2);
  }
  if (!buf) die("out of memory");
  if (f != stdin) fclose(f);
  if (len == 0 || len % 8 != 0) die("%s: length %zu is not a positive multiple of 8", path, len);
  *count = (unsigned)(len / 8);
  return (struct bpf_insn *)buf;
}

/* create_map creates one map from TYPE:KEY:VALUE:ENTRIES[:lock] and returns its fd. */
static int create_map(const char *spec) {
  char type[64];
  unsigned key, value, entries;
  char extra[16] = "";
  if (sscanf(spec, "%63[a-z_]:%u:%u:%u:%15s", type, &key, &value, &entries, extra) < 4) {
    die("invalid map \"%s\", expected TYPE:KEY:VALUE:ENTRIES", spec);
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = map_type(type);
  attr.key_size = key;
  attr.value_size = value;
  attr.max_entries = entries;
  if (attr.map_type == 11) attr.map_flags = BPF_F_NO_PREALLOC; /* the kernel requires it for LPM tries */
  if (strcmp(extra, "lock") == 0) {
    attr.btf_fd = load_lock_value_btf(key, value, &attr.btf_key_type_id, &attr.btf_value_type_id);
  } else if (extra[0]) {
    die("invalid map option \"%s\" in \"%s\"", extra, spec);
  }
  int fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
  if (fd < 0) die("create map \"%s\": %s", spec, strerror(errno));
  return fd;
}

/* patch_maps replaces map indexes in pseudo map lddw instructions by fds, and rejects indexes without a map. */
static void patch_maps(struct bpf_insn *insns, unsigned count, const int *fds, int nmaps) {
  for (unsigned pc = 0; pc + 1 < count; pc++) {
    struct bpf_insn *in = &insns[pc];
    if (in->code != (BPF_LD | BPF_IMM | BPF_DW)) continue;
    if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE) {
      if (in->imm < 0 || in->imm >= nmaps) die("pc %u: lddw refers to map %d, but %d maps were declared", pc, in->imm, nmaps);
      in->imm = fds[in->imm];
    }
    pc++;
  }
}

/* keep_caps leaves only the capabilities in `mask` (effective and permitted). */
static void keep_caps(uint64_t mask) {
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof(data));
  for (int i = 0; i < 2; i++) {
    data[i].effective = data[i].permitted = (uint32_t)(mask >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) != 0) die("capset: %s", strerror(errno));
}

/* attach_and_detach attaches the program as `--attach` says and detaches it at once; returns 0 or an errno. */
static int attach_and_detach(const char *what, int prog_fd) {
  if (strncmp(what, "raw_tracepoint:", 15) == 0) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.raw_tracepoint.name = (uint64_t)(uintptr_t)(what + 15);
    attr.raw_tracepoint.prog_fd = (uint32_t)prog_fd;
    int fd = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  }
  if (strncmp(what, "tracepoint:", 11) != 0) die("invalid --attach \"%s\"", what);
  char path[512];
  snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", what + 11);
  FILE *f = fopen(path, "r");
  unsigned long long id;
  if (!f || fscanf(f, "%llu", &id) != 1) die("%s: %s", path, f ? "no id" : strerror(errno));
  fclose(f);
  struct perf_event_attr pe;
  memset(&pe, 0, sizeof(pe));
  pe.type = PERF_TYPE_TRACEPOINT;
  pe.size = sizeof(pe);
  pe.config = id;
  pe.sample_period = 1;
  pe.disabled = 1; /* the program never runs: attaching is only for the kernel's context-size check */
  int pfd = (int)syscall(SYS_perf_event_open, &pe, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (pfd < 0) die("perf_event_open %s: %s", what, strerror(errno));
  int err = ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) == 0 ? 0 : errno;
  close(pfd);
  return err;
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c == '\t') fputs("\\t", stdout);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

/* verify_one loads the program one command line describes, prints its JSON line and returns the exit status. */
static int verify_one(int argc, char **argv) {
  struct options o = parse_args(argc, argv);
  unsigned count;
  struct bpf_insn *insns = read_program(o.file, &count);
  int fds[MAX_MAPS];
  for (int i = 0; i < o.nmaps; i++) fds[i] = create_map(o.maps[i]);
  patch_maps(insns, count, fds, o.nmaps);

  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = o.type->id;
  attr.expected_attach_type = o.type->attach_type;
  attr.attach_btf_id = o.attach_btf_id; /* in vmlinux's BTF (attach_btf_obj_fd 0) */
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.insn_cnt = count;
  attr.license = (uint64_t)(uintptr_t)o.license;
  attach_func_info(&attr, insns, count);
  if (o.nmaps) attr.fd_array = (uint64_t)(uintptr_t)fds; /* for BPF_PSEUDO_MAP_IDX and BPF_PSEUDO_MAP_IDX_VALUE */

  if (o.priv_bpf) {
    uint64_t mask = 1ull << CAP_BPF;
    if (o.type->caps & NEEDS_NET_ADMIN) mask |= 1ull << CAP_NET_ADMIN;
    keep_caps(mask);
  }

  char *log = calloc(1, LOG_SIZE);
  if (!log) die("out of memory");
  if (o.log_level) { /* the kernel refuses a buffer with log level 0 */
    attr.log_level = o.log_level;
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = LOG_SIZE;
  }
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
  int err = fd < 0 ? errno : 0;
  if (err == ENOSPC && o.log_level) {
    /* The log did not fit (the kernel kept its tail): load again without a log for the verdict itself. */
    attr.log_level = 0;
    attr.log_buf = 0;
    attr.log_size = 0;
    fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
    err = fd < 0 ? errno : 0;
  }
  const char *stage = "load";
  if (fd >= 0 && o.attach) {
    err = attach_and_detach(o.attach, fd);
    if (err) stage = "attach";
  }
  printf("{\"accepted\":%s,\"stage\":\"%s\",\"errno\":%d,\"error\":", err ? "false" : "true", stage, err);
  print_json_string(err ? strerror(err) : "");
  fputs(",\"log\":", stdout);
  print_json_string(log);
  puts("}");
  return err ? 1 : 0;
}

#define BATCH_JOBS 4

/* A batch job: the child verifying one line, and the file its JSON line goes to. */
struct job {
  pid_t pid;
  FILE *out;
};

/* start_job forks a child that verifies one tab-separated command line into a temporary file. */
static struct job start_job(char *line) {
  char *args[2 * MAX_MAPS + 32];
  int n = 0;
  args[n++] = "kernel-verify";
  for (char *t = strtok(line, "\t"); t && n < (int)(sizeof(args) / sizeof(args[0])) - 1; t = strtok(NULL, "\t")) args[n++] = t;
  args[n] = NULL;
  struct job j = {.out = tmpfile()};
  if (!j.out) die("tmpfile: %s", strerror(errno));
  fflush(stdout);
  j.pid = fork();
  if (j.pid < 0) die("fork: %s", strerror(errno));
  if (j.pid == 0) {
    if (dup2(fileno(j.out), STDOUT_FILENO) < 0) _exit(3);
    int status = verify_one(n, args);
    fflush(stdout);
    _exit(status);
  }
  return j;
}

/* finish_job waits for a job, copies its JSON line to stdout (or a setup failure line) and returns its status. */
static int finish_job(struct job j) {
  int status;
  if (waitpid(j.pid, &status, 0) < 0) die("waitpid: %s", strerror(errno));
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code > 1) {
    printf("{\"setup_failed\":true,\"status\":%d}\n", code);
  } else {
    rewind(j.out);
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), j.out)) > 0) fwrite(buf, 1, got, stdout);
  }
  fclose(j.out);
  return code;
}

/* run_batch reads one command line per stdin line (arguments separated by tabs) and verifies each in a child process,
 * a few at a time, so capabilities dropped for one program stay dropped only there. Prints one JSON line per input
 * line, in input order; a line whose setup failed prints {"setup_failed":true,"status":N} (the reason is on stderr). */
static int run_batch(void) {
  char *line = NULL;
  size_t cap = 0;
  struct job jobs[BATCH_JOBS];
  unsigned started = 0, finished = 0;
  int worst = 0;
  while (getline(&line, &cap, stdin) > 0) {
    line[strcspn(line, "\n")] = 0;
    if (started - finished == BATCH_JOBS) {
      int code = finish_job(jobs[finished++ % BATCH_JOBS]);
      if (code > worst) worst = code;
    }
    jobs[started++ % BATCH_JOBS] = start_job(line);
  }
  while (finished < started) {
    int code = finish_job(jobs[finished++ % BATCH_JOBS]);
    if (code > worst) worst = code;
  }
  free(line);
  return worst > 1 ? 3 : 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--batch") == 0) return run_batch();
  return verify_one(argc, argv);
}
