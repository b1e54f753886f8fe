/* late.c: a library the syscall test loads with dlopen after the hooks are installed; its own inline syscall
 * instruction must be rewritten when it is mapped. */
long late_getppid(long marker);

__attribute__((visibility("default"))) long late_getppid(long marker)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(110L), "D"(marker) : "rcx", "r11", "memory");
	return r;
}
