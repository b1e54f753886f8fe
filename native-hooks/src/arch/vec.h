/* vec.h: saving the vector registers around a slow path of code built without them (arch/x86_64/vec.S).
 *
 * A uprobe's entry stub skips saving xmm0-15 when every callback at the site is built with -mgeneral-regs-only
 * (BPFTIME_PROBE_NO_VECTOR): the hook dispatch, the agent's callback, the runtime, the map code and the compiled
 * programs are. A slow path among them that calls libc (which may use vector registers: formatting, allocation,
 * string functions) saves them first and loads them back after (docs/native.md, "Vector registers"). */
#ifndef BPFTIME_ARCH_VEC_H
#define BPFTIME_ARCH_VEC_H

/** BPFTIME_VEC_SIZE: the bytes bpftime_vec_save writes (xmm0-15). */
#define BPFTIME_VEC_SIZE 256

/** bpftime_vec_save: buf (BPFTIME_VEC_SIZE bytes) = xmm0-15. */
__attribute__((visibility("hidden"))) void bpftime_vec_save(void *buf);
/** bpftime_vec_load: xmm0-15 = buf. */
__attribute__((visibility("hidden"))) void bpftime_vec_load(const void *buf);

#endif
