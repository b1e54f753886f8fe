// SPDX-License-Identifier: MIT
/*
 * kload: the kernel side of `npm run bench -- hooks` (bench/hooks.ts). Loads one program of an object with libbpf,
 * attaches it in the kernel (a uprobe or uretprobe on FUNC of BINARY for every process, or the program's
 * tracepoint), runs COMMAND and waits for it, then detaches; COMMAND's output passes through.
 *   kload OBJECT PROGRAM uprobe|uretprobe|tracepoint BINARY FUNC -- COMMAND ARGS...
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 8 || strcmp(argv[6], "--") != 0) {
		fprintf(stderr, "usage: kload OBJECT PROGRAM uprobe|uretprobe|tracepoint BINARY FUNC -- COMMAND ARGS...\n");
		return 2;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		perror("kload: open");
		return 1;
	}
	struct bpf_program *p, *prog = NULL;
	bpf_object__for_each_program(p, obj)
	{
		int want = strcmp(bpf_program__name(p), argv[2]) == 0;
		bpf_program__set_autoload(p, want);
		if (want)
			prog = p;
	}
	if (!prog || bpf_object__load(obj)) {
		fprintf(stderr, "kload: cannot load %s from %s\n", argv[2], argv[1]);
		return 1;
	}
	struct bpf_link *link;
	if (strcmp(argv[3], "tracepoint") == 0) {
		link = bpf_program__attach(prog);
	} else {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = argv[5], .retprobe = strcmp(argv[3], "uretprobe") == 0);
		link = bpf_program__attach_uprobe_opts(prog, -1, argv[4], 0, &o);
	}
	if (!link) {
		perror("kload: attach");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[7], argv + 7);
		perror("kload: exec");
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
