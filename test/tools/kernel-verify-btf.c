/* BTF blobs for kernel-verify (see kernel-verify-btf.h). Encoding: include/uapi/linux/btf.h, Documentation/bpf/btf.rst. */
#define _GNU_SOURCE
#include "kernel-verify-btf.h"

#include <errno.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_WORDS 4096
#define MAX_STRS 4096

/* A BTF blob under construction: type section as 32-bit words, string section as bytes. */
struct btf_builder {
  uint32_t words[MAX_WORDS];
  unsigned nwords;
  char strs[MAX_STRS];
  unsigned strs_len;
  unsigned ntypes;
};

static void fail(const char *what) {
  fprintf(stderr, "kernel-verify: %s\n", what);
  exit(3);
}

static void word(struct btf_builder *b, uint32_t w) {
  if (b->nwords == MAX_WORDS) fail("BTF too large");
  b->words[b->nwords++] = w;
}

static uint32_t str(struct btf_builder *b, const char *s) {
  size_t n = strlen(s) + 1;
  if (b->strs_len == 0) b->strs[b->strs_len++] = 0; /* offset 0 is the empty name */
  if (b->strs_len + n > MAX_STRS) fail("BTF strings too large");
  memcpy(b->strs + b->strs_len, s, n);
  b->strs_len += (unsigned)n;
  return b->strs_len - (unsigned)n;
}

/* type starts a btf_type record and returns its id (ids count from 1). */
static uint32_t type(struct btf_builder *b, const char *name, unsigned kind, unsigned vlen, uint32_t size_or_type) {
  word(b, name ? str(b, name) : 0);
  word(b, (kind << 24) | vlen);
  word(b, size_or_type);
  return ++b->ntypes;
}

static uint32_t int_type(struct btf_builder *b, const char *name, unsigned bytes, int is_signed) {
  uint32_t id = type(b, name, BTF_KIND_INT, 0, bytes);
  word(b, (is_signed ? BTF_INT_SIGNED : 0) << 24 | bytes * 8);
  return id;
}

static uint32_t array_type(struct btf_builder *b, uint32_t elem, uint32_t index, unsigned n) {
  uint32_t id = type(b, NULL, BTF_KIND_ARRAY, 0, 0);
  word(b, elem);
  word(b, index);
  word(b, n);
  return id;
}

static int load(struct btf_builder *b) {
  if (b->strs_len == 0) str(b, "");
  struct btf_header hdr = {.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(hdr)};
  hdr.type_len = b->nwords * 4;
  hdr.str_off = hdr.type_len;
  hdr.str_len = b->strs_len;
  size_t size = sizeof(hdr) + hdr.type_len + hdr.str_len;
  char *blob = malloc(size);
  static char log[65536];
  if (!blob) fail("out of memory");
  memcpy(blob, &hdr, sizeof(hdr));
  memcpy(blob + sizeof(hdr), b->words, hdr.type_len);
  memcpy(blob + sizeof(hdr) + hdr.type_len, b->strs, hdr.str_len);
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.btf = (uint64_t)(uintptr_t)blob;
  attr.btf_size = (uint32_t)size;
  attr.btf_log_buf = (uint64_t)(uintptr_t)log;
  attr.btf_log_size = sizeof(log);
  attr.btf_log_level = 1;
  int fd = (int)syscall(__NR_bpf, BPF_BTF_LOAD, &attr, sizeof(attr));
  if (fd < 0) {
    fprintf(stderr, "kernel-verify: BTF_LOAD: %s\n%s\n", strerror(errno), log);
    exit(3);
  }
  free(blob);
  return fd;
}

int load_lock_value_btf(unsigned key, unsigned value, __u32 *key_type_id, __u32 *value_type_id) {
  static struct btf_builder b;
  if (value < 4) fail("a map value with a bpf_spin_lock needs at least 4 bytes");
  uint32_t int_id = int_type(&b, "int", 4, 1);
  uint32_t char_id = int_type(&b, "char", 1, 0);
  uint32_t lock_id = type(&b, "bpf_spin_lock", BTF_KIND_STRUCT, 1, 4);
  word(&b, str(&b, "val"));
  word(&b, int_id);
  word(&b, 0);
  *key_type_id = key == 4 ? int_id : array_type(&b, char_id, int_id, key);
  uint32_t pad_id = value > 4 ? array_type(&b, char_id, int_id, value - 4) : 0;
  *value_type_id = type(&b, "value", BTF_KIND_STRUCT, pad_id ? 2 : 1, value);
  word(&b, str(&b, "lock"));
  word(&b, lock_id);
  word(&b, 0);
  if (pad_id) {
    word(&b, str(&b, "pad"));
    word(&b, pad_id);
    word(&b, 32);
  }
  return load(&b);
}

static int cmp_unsigned(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? -1 : x > y;
}

void attach_func_info(union bpf_attr *attr, const struct bpf_insn *insns, unsigned count) {
  static unsigned starts[1024];
  static struct bpf_func_info info[1024];
  static struct btf_builder b;
  unsigned n = 0;
  starts[n++] = 0;
  for (unsigned pc = 0; pc < count && n < 1024; pc++) {
    const struct bpf_insn *in = &insns[pc];
    int is_lddw = in->code == (BPF_LD | BPF_IMM | BPF_DW);
    int local_call = in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
    int func_addr = is_lddw && in->src_reg == BPF_PSEUDO_FUNC;
    long target = (long)pc + 1 + in->imm;
    if ((local_call || func_addr) && target >= 0 && target < (long)count) starts[n++] = (unsigned)target;
    if (is_lddw) pc++;
  }
  qsort(starts, n, sizeof(starts[0]), cmp_unsigned);
  if (starts[n - 1] == 0) return; /* one subprogram: no func_info, as for a program without BTF */
  uint32_t int_id = int_type(&b, "int", 4, 1);
  uint32_t proto_id = type(&b, NULL, BTF_KIND_FUNC_PROTO, 0, int_id);
  unsigned nfuncs = 0;
  for (unsigned i = 0; i < n; i++) {
    if (i > 0 && starts[i] == starts[i - 1]) continue;
    char name[32];
    snprintf(name, sizeof(name), "f%u", starts[i]);
    info[nfuncs].insn_off = starts[i];
    info[nfuncs].type_id = type(&b, name, BTF_KIND_FUNC, BTF_FUNC_STATIC, proto_id);
    nfuncs++;
  }
  attr->prog_btf_fd = (uint32_t)load(&b);
  attr->func_info_rec_size = sizeof(info[0]);
  attr->func_info = (uint64_t)(uintptr_t)info;
  attr->func_info_cnt = nfuncs;
}
