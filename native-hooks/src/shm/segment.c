/*
 * Creating, opening and ending a session's segment. A segment is identified by its name; its header records who
 * created it (pid + process start time, which together survive pid reuse) and who may open it. A segment whose
 * creator is gone is stale: `create` replaces it, `open` refuses it unless asked to inspect it.
 *
 * Replacing is serialised with flock on the old object, and the name is checked to still refer to the locked
 * object before it is unlinked, so two creators racing over one stale segment cannot unlink each other's new one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

void heap_init(struct bpftime_shm *shm);

#define READY_WAIT_MS 2000

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* check_name normalises a segment name to "/name" (portable shm names: one leading slash, no other). */
static int check_name(const char *in, char *out, char *err, size_t errlen)
{
	if (in == NULL || *in == 0)
		in = BPFTIME_SEG_DEFAULT_NAME;
	const char *s = in[0] == '/' ? in + 1 : in;
	size_t n = strlen(s);
	if (n == 0 || n > BPFTIME_NAME_LEN - 2)
		return seterr(err, errlen, EINVAL, "segment name \"%s\" must have 1 to %u characters", in,
			      BPFTIME_NAME_LEN - 2);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			 c == '_' || c == '.';
		if (!ok || (i == 0 && c == '.'))
			return seterr(err, errlen, EINVAL,
				      "segment name \"%s\" may only hold letters, digits, '-', '_' and '.'", in);
	}
	snprintf(out, BPFTIME_NAME_LEN, "/%s", s);
	return 0;
}

BPFTIME_API uint64_t bpftime_proc_start_time(uint32_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The command name (field 2) may hold spaces and parentheses: fields after it follow the last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	p++;
	for (int field = 2; field < 21 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	return p == NULL ? 0 : strtoull(p + 1, NULL, 10);
}

BPFTIME_API int bpftime_seg_is_stale(const struct bpftime_shm_header *hdr)
{
	if (hdr->state == BPFTIME_SEG_ENDED)
		return 1;
	uint64_t start = bpftime_proc_start_time(hdr->creator_pid);
	return start == 0 || start != hdr->creator_start_time;
}

/* read_header reads the header of an open segment once it is initialised; -EPROTO when it never is. */
static int read_header(int fd, const char *name, struct bpftime_shm_header *hdr, struct stat *st, char *err,
		       size_t errlen)
{
	for (int waited = 0;; waited++) {
		if (fstat(fd, st) < 0)
			return seterr(err, errlen, errno, "segment %s: fstat: %s", name, strerror(errno));
		if ((uint64_t)st->st_size >= sizeof(*hdr) && pread(fd, hdr, sizeof(*hdr), 0) == (ssize_t)sizeof(*hdr)) {
			uint64_t magic = LOAD_ACQ(&hdr->magic);
			if (magic == BPFTIME_SHM_MAGIC)
				return 0;
			if (magic != 0)
				return seterr(err, errlen, EPROTO,
					      "segment %s is not a bpftime-vm segment (magic 0x%016llx)", name,
					      (unsigned long long)magic);
		}
		if (waited >= READY_WAIT_MS)
			return seterr(err, errlen, EPROTO,
				      "segment %s was never initialised (its creator died while creating it?)", name);
		sleep_ms(1);
	}
}

/* same_object tells whether `name` still refers to the object open as fd. */
static int same_object(int fd, const char *name)
{
	char path[BPFTIME_NAME_LEN + 16];
	struct stat a, b;
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* replace_stale removes `name` when it is a stale segment: 0 when removed or gone (retry), -EEXIST when live. */
static int replace_stale(const char *name, char *err, size_t errlen)
{
	int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return seterr(err, errlen, errno, "segment %s exists and cannot be opened: %s", name, strerror(errno));
	}
	int r = 0;
	flock(fd, LOCK_EX);
	if (!same_object(fd, name))
		goto out; /* someone replaced it meanwhile: retry with the new one */
	struct bpftime_shm_header hdr;
	struct stat st;
	char why[160] = "";
	int ready = read_header(fd, name, &hdr, &st, why, sizeof(why));
	if (ready == -EPROTO && LOAD_RLX(&hdr.magic) != 0) {
		r = seterr(err, errlen, EEXIST, "cannot create segment %s: %s", name, why);
		goto out;
	}
	/* Identity fields (magic, version, creator) never move between layout versions, so any version is judged. */
	if (ready == 0 && !bpftime_seg_is_stale(&hdr)) {
		r = seterr(err, errlen, EEXIST, "segment %s belongs to a running session (created by pid %u)", name,
			   hdr.creator_pid);
		goto out;
	}
	if (shm_unlink(name) < 0 && errno != ENOENT)
		r = seterr(err, errlen, errno, "cannot remove the stale segment %s: %s", name, strerror(errno));
out:
	flock(fd, LOCK_UN);
	close(fd);
	return r;
}

static struct bpftime_seg *new_view(int fd, uint8_t *base, uint64_t size, const char *name, int fixed)
{
	struct bpftime_seg *seg = calloc(1, sizeof(*seg));
	if (seg == NULL)
		return NULL;
	seg->fd = fd;
	seg->fixed = fixed;
	seg->base = base;
	seg->size = size;
	seg->shm = (struct bpftime_shm *)base;
	pthread_mutex_init(&seg->views_lock, NULL);
	snprintf(seg->name, sizeof(seg->name), "%s", name);
	return seg;
}

static void *map_segment(int fd, uint64_t size, void *at)
{
	void *p = mmap(at, size, PROT_READ | PROT_WRITE, MAP_SHARED | (at != NULL ? MAP_FIXED : 0), fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

static uint64_t counters_bytes(uint32_t ncpus)
{
	return (uint64_t)ncpus * BPFTIME_MAX_ATTACH * sizeof(struct bpftime_attach_counters);
}

/* min_size is the smallest segment: the fixed part, the counters and one page of heap for maps. */
static uint64_t min_size(uint32_t ncpus)
{
	return sizeof(struct bpftime_shm) + round_up(counters_bytes(ncpus) + 64, BPFTIME_PAGE_SIZE) + BPFTIME_PAGE_SIZE;
}

static void init_segment(struct bpftime_seg *seg, const char *name, uint32_t owner, uint32_t ncpus)
{
	struct bpftime_shm *shm = seg->shm;
	struct bpftime_shm_header *h = &shm->hdr;
	h->layout_version = BPFTIME_SHM_LAYOUT_VERSION;
	h->header_size = sizeof(struct bpftime_shm);
	h->size = seg->size;
	h->owner_uid = owner;
	h->creator_pid = (uint32_t)getpid();
	h->creator_start_time = bpftime_proc_start_time(h->creator_pid);
	h->created_ns = now_ns(CLOCK_REALTIME);
	h->ncpus = ncpus;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->heap_off = sizeof(struct bpftime_shm);
	h->heap_end = seg->size;
	heap_init(shm);
	ringbuf_init(&shm->log, BPFTIME_LOG_SIZE);
	h->counters_off = bpftime_shm_alloc(seg, counters_bytes(ncpus), 64, NULL, 0);
	h->state = BPFTIME_SEG_READY;
	STORE_REL(&h->magic, BPFTIME_SHM_MAGIC);
}

BPFTIME_API int bpftime_seg_create(const char *name_in, const struct bpftime_seg_opts *opts, struct bpftime_seg **out,
				   char *err, size_t errlen)
{
	char name[BPFTIME_NAME_LEN];
	static const struct bpftime_seg_opts defaults = {.owner_uid = -1};
	int r = check_name(name_in, name, err, errlen);
	if (r < 0)
		return r;
	opts = opts != NULL ? opts : &defaults;
	int n = get_nprocs_conf();
	uint32_t ncpus = n > 0 ? (uint32_t)n : 1;
	uint64_t size = opts->size ? opts->size : BPFTIME_SEG_DEFAULT_SIZE;
	if (size % BPFTIME_PAGE_SIZE != 0 || size < min_size(ncpus) || size > BPFTIME_SEG_MAX_SIZE)
		return seterr(err, errlen, EINVAL,
			      "segment size %llu is invalid: a multiple of %u bytes from %llu (the tables) to %llu",
			      (unsigned long long)size, BPFTIME_PAGE_SIZE, (unsigned long long)min_size(ncpus),
			      (unsigned long long)BPFTIME_SEG_MAX_SIZE);
	uid_t euid = geteuid();
	uint32_t owner = opts->owner_uid >= 0 ? (uint32_t)opts->owner_uid : (uint32_t)euid;

	int fd = -1;
	for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			break;
		if (errno != EEXIST)
			return seterr(err, errlen, errno, "cannot create segment %s: %s", name, strerror(errno));
		r = replace_stale(name, err, errlen);
		if (r < 0)
			return r;
	}
	if (fd < 0)
		return seterr(err, errlen, EEXIST, "cannot create segment %s: it keeps being recreated by others", name);
	const char *step = NULL;
	int e = 0;
	if (fchmod(fd, 0600) < 0)
		step = "fchmod", e = errno;
	else if (owner != euid && fchown(fd, owner, (gid_t)-1) < 0)
		step = "make it owned by the target uid (needs root)", e = errno;
	else if ((e = posix_fallocate(fd, 0, (off_t)size)) != 0)
		step = "reserve its memory in /dev/shm";
	if (step != NULL) {
		shm_unlink(name);
		close(fd);
		return seterr(err, errlen, e, "cannot create segment %s of %llu bytes: %s: %s", name,
			      (unsigned long long)size, step, strerror(e));
	}
	uint8_t *base = map_segment(fd, size, opts->map_at);
	struct bpftime_seg *seg = base != NULL ? new_view(fd, base, size, name, opts->map_at != NULL) : NULL;
	if (seg == NULL) {
		e = errno;
		if (base != NULL)
			munmap(base, size);
		shm_unlink(name);
		close(fd);
		return seterr(err, errlen, e, "cannot map segment %s: %s", name, strerror(e));
	}
	init_segment(seg, name, owner, ncpus);
	*out = seg;
	return 0;
}

static int open_error(const char *name, int e, char *err, size_t errlen)
{
	if (e == ENOENT)
		return seterr(err, errlen, ENOENT, "no segment %s: no session of that name is running", name);
	if (e == EACCES) {
		char path[BPFTIME_NAME_LEN + 16];
		struct stat st;
		snprintf(path, sizeof(path), "/dev/shm%s", name);
		if (stat(path, &st) == 0)
			return seterr(err, errlen, EACCES, "segment %s belongs to uid %u (mode 0%o); this process runs as uid %u",
				      name, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777), (unsigned)geteuid());
	}
	return seterr(err, errlen, e, "cannot open segment %s: %s", name, strerror(e));
}

BPFTIME_API int bpftime_seg_open(const char *name_in, const struct bpftime_seg_opts *opts, struct bpftime_seg **out,
				 char *err, size_t errlen)
{
	char name[BPFTIME_NAME_LEN];
	static const struct bpftime_seg_opts defaults = {.owner_uid = -1};
	int r = check_name(name_in, name, err, errlen);
	opts = opts != NULL ? opts : &defaults;
	int fd = r < 0 ? -1 : shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (r < 0)
		return r;
	if (fd < 0)
		return open_error(name, errno, err, errlen);
	struct bpftime_shm_header hdr;
	struct stat st;
	r = read_header(fd, name, &hdr, &st, err, errlen);
	uid_t euid = geteuid();
	if (r < 0) {
	} else if (hdr.layout_version != BPFTIME_SHM_LAYOUT_VERSION || hdr.header_size != sizeof(struct bpftime_shm)) {
		r = seterr(err, errlen, EPROTO,
			   "segment %s has layout version %u (%u-byte tables); this build reads version %u (%zu bytes): "
			   "use the same bpftime-vm build for the session and its agents",
			   name, hdr.layout_version, hdr.header_size, BPFTIME_SHM_LAYOUT_VERSION, sizeof(struct bpftime_shm));
	} else if (hdr.size != (uint64_t)st.st_size || hdr.size > BPFTIME_SEG_MAX_SIZE) {
		r = seterr(err, errlen, EPROTO, "segment %s says it has %llu bytes but holds %llu", name,
			   (unsigned long long)hdr.size, (unsigned long long)st.st_size);
	} else if (euid != 0 && (hdr.owner_uid != euid || st.st_uid != euid)) {
		r = seterr(err, errlen, EACCES, "segment %s belongs to uid %u; this process runs as uid %u", name,
			   hdr.owner_uid, (unsigned)euid);
	} else if (!(opts->flags & BPFTIME_SEG_F_ALLOW_STALE) && bpftime_seg_is_stale(&hdr)) {
		r = seterr(err, errlen, ESTALE, "segment %s is left from a session that ended (creator pid %u is gone)",
			   name, hdr.creator_pid);
	}
	if (r < 0) {
		close(fd);
		return r;
	}
	uint8_t *base = map_segment(fd, hdr.size, opts->map_at);
	struct bpftime_seg *seg = base != NULL ? new_view(fd, base, hdr.size, name, opts->map_at != NULL) : NULL;
	if (seg == NULL) {
		int e = errno;
		if (base != NULL)
			munmap(base, hdr.size);
		close(fd);
		return seterr(err, errlen, e, "cannot map segment %s: %s", name, strerror(e));
	}
	*out = seg;
	return 0;
}

BPFTIME_API void bpftime_seg_close(struct bpftime_seg *seg)
{
	if (seg == NULL)
		return;
	if (seg->fixed)
		mmap(seg->base, seg->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	else
		munmap(seg->base, seg->size);
	close(seg->fd);
	pthread_mutex_destroy(&seg->views_lock);
	free(seg);
}

BPFTIME_API int bpftime_seg_unlink(struct bpftime_seg *seg)
{
	STORE_REL(&seg->shm->hdr.state, BPFTIME_SEG_ENDED);
	bpftime_tables_changed(seg);
	if (!same_object(seg->fd, seg->name))
		return 0; /* already removed, or replaced by another session */
	return shm_unlink(seg->name) < 0 ? -errno : 0;
}

BPFTIME_API struct bpftime_shm *bpftime_seg_shm(struct bpftime_seg *seg)
{
	return seg->shm;
}

BPFTIME_API void *bpftime_seg_base(struct bpftime_seg *seg)
{
	return seg->base;
}

BPFTIME_API uint64_t bpftime_seg_size(struct bpftime_seg *seg)
{
	return seg->size;
}
