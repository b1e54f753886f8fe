// SPDX-License-Identifier: MIT
/*
 * A target for opensnoop-live.bpf.c: opens each path of its arguments with openat (read-only) and prints one JSON line
 * per call with the result (a descriptor, or -errno), so a test can compare the records with what it did.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		int fd = openat(AT_FDCWD, argv[i], O_RDONLY | O_CLOEXEC);
		int ret = fd < 0 ? -errno : fd;
		printf("{\"path\": \"%s\", \"ret\": %d, \"flags\": %d}\n", argv[i], ret, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
