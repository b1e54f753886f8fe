/* The runner's segment: a memfd mapped into the runtime's guest memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runner.h"

struct runner_maps {
	int fd;
};

int runner_maps_setup(struct bpftime_runtime *rt, uint64_t seg_size, const char *spec, struct runner_maps **out, struct bpftime_map_ops *ops, char *err)
{
	(void)ops;
	if (spec) return snprintf(err, BPFTIME_ERR_LEN, "--maps: no map support in this runner"), -1;
	struct runner_maps *m = calloc(1, sizeof(*m));
	m->fd = memfd_create("bpftime-runner-seg", MFD_CLOEXEC);
	if (m->fd < 0 || ftruncate(m->fd, (off_t)seg_size) != 0) return snprintf(err, BPFTIME_ERR_LEN, "memfd: %s", strerror(errno)), -1;
	if (bpftime_runtime_map_segment(rt, m->fd, seg_size, err) != 0) return -1;
	*out = m;
	return 0;
}

void runner_maps_refs(struct runner_maps *m, struct bpftime_prog_opts *po)
{
	(void)m, (void)po;
}

void runner_maps_dump(struct runner_maps *m)
{
	(void)m;
}

void runner_maps_free(struct runner_maps *m)
{
	if (!m) return;
	close(m->fd);
	free(m);
}
