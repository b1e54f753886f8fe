/* Generated from src/loader/contexts.ts by src/native/syscall-layout.ts: do not edit (test/native-syscall.test.ts
 * checks it; UPDATE_GOLDEN=1 rewrites it). The built-in layout of syscall tracepoint records, used when tracefs is
 * not mounted. */
#ifndef BPFTIME_SYSCALL_LAYOUT_GEN_H
#define BPFTIME_SYSCALL_LAYOUT_GEN_H
#define BPFTIME_TP_COMMON_TYPE_OFF 0
#define BPFTIME_TP_COMMON_PID_OFF 4
#define BPFTIME_SYS_ENTER_SIZE 64
#define BPFTIME_SYS_ENTER_ID_OFF 8
#define BPFTIME_SYS_ENTER_ID_SIZE 8
#define BPFTIME_SYS_ENTER_ARGS_OFF 16
#define BPFTIME_SYS_EXIT_SIZE 24
#define BPFTIME_SYS_EXIT_ID_OFF 8
#define BPFTIME_SYS_EXIT_ID_SIZE 8
#define BPFTIME_SYS_EXIT_RET_OFF 16
#endif
