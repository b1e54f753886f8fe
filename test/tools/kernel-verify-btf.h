/*
 * kernel-verify-btf: the small BTF blobs kernel-verify hands the kernel where it insists on BTF: a map value that
 * holds a bpf_spin_lock, and the func_info of programs that take a callback's address (BPF_PSEUDO_FUNC).
 */
#ifndef KERNEL_VERIFY_BTF_H
#define KERNEL_VERIFY_BTF_H

#include <linux/bpf.h>

/* load_lock_value_btf loads BTF for a map whose KEY-byte key is an int (4 bytes) or a char array and whose
 * VALUE-byte value is `struct { struct bpf_spin_lock lock; char pad[VALUE - 4]; }`; returns the BTF fd. */
int load_lock_value_btf(unsigned key, unsigned value, __u32 *key_type_id, __u32 *value_type_id);

/* attach_func_info gives `attr` BTF func_info (one static `int fN(void)` per subprogram) when the program has more
 * than one subprogram (targets of local calls and of BPF_PSEUDO_FUNC lddw); otherwise it leaves `attr` alone. */
void attach_func_info(union bpf_attr *attr, const struct bpf_insn *insns, unsigned count);

#endif
