// SPDX-License-Identifier: MIT
/*
 * The examples' targets take -w as their first argument to be traced by `bpftime-vm attach PID`: the target says
 * {"ready": PID} on standard output and waits for a byte (or end of file) on standard input before doing its work,
 * so the agent can be injected first. Only write(2) and read(2): no stdio buffer, no malloc of its own.
 */
#ifndef EXAMPLES_TARGETS_WAIT_H
#define EXAMPLES_TARGETS_WAIT_H
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* wait_if_asked consumes a leading -w from argv (returning the new argc) and, if it was there, waits as above. */
static int wait_if_asked(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-w") != 0)
		return argc;
	char line[64];
	int len = snprintf(line, sizeof(line), "{\"ready\": %d}\n", (int)getpid());
	if (write(1, line, (size_t)len) != len)
		_exit(2);
	char c;
	while (read(0, &c, 1) < 0)
		;
	for (int i = 1; i < argc; i++)
		argv[i] = argv[i + 1];
	return argc - 1;
}
#endif
