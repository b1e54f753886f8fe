/* Test runner of the native runtime: loads compiled programs (built by the vitest tests through src/native) into a
 * runtime and runs them, printing what happened as JSON lines that test/native-runtime*.test.ts compares with the
 * interpreter. Built with ASan/UBSan (runner) and TSan (runner-tsan).
 *
 *   runner [options] PROG.so
 *     --ctx HEX        context bytes of a run (default: none); repeated: thread 0 runs each in turn, --runs times
 *     --runs N         runs per thread (default 1)
 *     --threads N      threads running concurrently (default 1)
 *     --budget N       instruction budget per run
 *     --func-ip N      bpf_get_func_ip's value
 *     --seg-size N     map a segment of N bytes (default 16 MiB)
 *     --maps SPEC      create maps in the segment (runner-maps.c), see there
 *     --bench          time the runs (one thread: its CPU time; several: wall time): {"bench": {"runs": N, "ns_per_run": X, "baseline_ns": Y}}, where the baseline is
 *                      the same loop calling a plain noinline function with the same arguments
 *     --prog-array I:SLOT:PATH  load PATH too (same maps) and put it at SLOT of the program array of map index I
 *     --fork           after thread 0's runs, fork: the child runs the program again on its copy of the thread
 *                      ({"child": {"pid": N}} and its run lines, flushed before it exits); the parent waits
 *     --seg-log        leave trace_printk and runtime messages to the segment (its log ring) and register the
 *                      program in its table (traps are recorded there); print both at the end ({"seg": ...})
 *     --probe-buf HEX  put these bytes in a host buffer and pass its address as args[0] of a pt_regs context
 *   runner --self-test
 * Output lines: {"run": ...} per run of thread 0 (unless --bench), {"printk": ...}, {"log": ...}, {"status": ...},
 * {"maps": ...} at the end. Exit status 0 unless the runner itself failed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpftime_runtime.h"
#include "runner.h"

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void runner_json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f) fprintf(f, "\\u%04x", c);
		else fputc(c, f);
	}
	fputc('"', f);
}

static void on_log(void *arg, enum bpftime_log_kind level, const char *line)
{
	(void)arg;
	pthread_mutex_lock(&out_lock);
	printf("{\"log\": {\"level\": %d, \"line\": ", (int)level);
	runner_json_string(stdout, line, strlen(line));
	printf("}}\n");
	pthread_mutex_unlock(&out_lock);
}

static void on_printk(void *arg, const struct bpftime_prog *prog, const char *line, size_t len)
{
	(void)arg, (void)prog;
	pthread_mutex_lock(&out_lock);
	printf("{\"printk\": ");
	runner_json_string(stdout, line, len);
	printf("}\n");
	pthread_mutex_unlock(&out_lock);
}

static int parse_hex(const char *hex, uint8_t **out, uint32_t *len)
{
	size_t n = strlen(hex);
	if (n % 2) return -1;
	*out = calloc(n / 2 + 1, 1);
	for (size_t i = 0; i < n / 2; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &(*out)[i]) != 1) return -1;
	*len = (uint32_t)(n / 2);
	return 0;
}

#define MAX_CTX 64

struct job {
	struct bpftime_prog *prog;
	uint8_t **ctx;
	uint32_t *ctx_len;
	int nctx;
	uint64_t func_ip;
	long runs;
	int report;
	long ok, failed;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	struct bpftime_run run = { .func_ip = j->func_ip };
	run.ctx = j->ctx[0];
	run.ctx_len = j->ctx_len[0];
	for (long i = 0, k = 0; i < j->runs * j->nctx; i++) {
		if (j->nctx > 1) {
			run.ctx = j->ctx[k];
			run.ctx_len = j->ctx_len[k];
			k = k + 1 == j->nctx ? 0 : k + 1;
		}
		int e = bpftime_prog_run(j->prog, &run);
		if (e == 0) j->ok++;
		else j->failed++;
		if (j->report) {
			pthread_mutex_lock(&out_lock);
			printf("{\"run\": {\"ret\": %d, \"r0\": \"0x%llx\", \"override\": %s, \"override_value\": \"0x%llx\"}}\n", e,
			       (unsigned long long)run.r0, (run.flags & BPFTIME_RUN_OVERRIDE) ? "true" : "false", (unsigned long long)run.override_value);
			pthread_mutex_unlock(&out_lock);
		}
	}
	return NULL;
}

/* baseline_fn is what a run is compared with: a call that does nothing. */
static __attribute__((noinline)) int baseline_fn(struct bpftime_prog *p, struct bpftime_run *run)
{
	__asm__ volatile("" : : "r"(p), "r"(run) : "memory");
	return 0;
}

static double now_ns(void);

static double baseline(long n, struct bpftime_prog *p)
{
	struct bpftime_run run = { 0 };
	double t0 = now_ns();
	for (long i = 0; i < n; i++) baseline_fn(p, &run);
	return (now_ns() - t0) / (double)n;
}

/* Benchmarks time the calling thread's CPU time: on a shared machine, time spent descheduled is not the runtime's. */
static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void print_status(struct bpftime_prog *p)
{
	struct bpftime_prog_status st;
	bpftime_prog_status(p, &st);
	printf("{\"status\": {\"state\": \"%s\", \"runs\": %llu, \"missed\": %llu, \"pc\": %u, \"trap_kind\": %u, \"landing_pad\": %s, \"reason\": ",
	       st.state == BPFTIME_PROG_ENABLED ? "enabled" : "disabled", (unsigned long long)st.runs, (unsigned long long)st.missed, st.pc, st.trap_kind,
	       st.landing_pad ? "true" : "false");
	runner_json_string(stdout, st.reason, strlen(st.reason));
	printf("}}\n");
}

int main(int argc, char **argv)
{
	const char *path = NULL, *maps_spec = NULL;
	uint8_t *ctxs[MAX_CTX] = { NULL }, *probe = NULL;
	uint32_t lens[MAX_CTX] = { 0 }, probe_len = 0;
	int nctx = 0;
	long runs = 1, threads = 1;
	uint64_t budget = 0, func_ip = 0, seg_size = 16u << 20;
	int bench = 0, seg_log = 0, ntails = 0, do_fork = 0;
	const char *tails[16];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--self-test")) return runner_self_test();
		if (!strcmp(a, "--bench")) bench = 1;
		else if (!strcmp(a, "--seg-log")) seg_log = 1;
		else if (!strcmp(a, "--fork")) do_fork = 1;
		else if (!v || a[0] != '-') path = a;
		else if (!strcmp(a, "--ctx") && nctx < MAX_CTX) i++, parse_hex(v, &ctxs[nctx], &lens[nctx]), nctx++;
		else if (!strcmp(a, "--probe-buf")) i++, parse_hex(v, &probe, &probe_len);
		else if (!strcmp(a, "--runs")) i++, runs = atol(v);
		else if (!strcmp(a, "--threads")) i++, threads = atol(v);
		else if (!strcmp(a, "--budget")) i++, budget = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--func-ip")) i++, func_ip = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--seg-size")) i++, seg_size = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--maps")) i++, maps_spec = v;
		else if (!strcmp(a, "--prog-array") && ntails < 16) i++, tails[ntails++] = v;
		else path = a;
	}
	if (!path) {
		fprintf(stderr, "usage: runner [options] PROG.so | --self-test\n");
		return 2;
	}
	if (nctx == 0) nctx = 1;
	uint8_t *host = NULL;
	if (probe) {
		/* A pt_regs context whose first argument (di, offset 112) points at a host buffer. */
		host = malloc(probe_len + 1);
		memcpy(host, probe, probe_len);
		if (lens[0] < 168) {
			ctxs[0] = realloc(ctxs[0], 168);
			memset(ctxs[0] + lens[0], 0, 168 - lens[0]);
			lens[0] = 168;
		}
		uint64_t addr = (uint64_t)(uintptr_t)host;
		memcpy(ctxs[0] + 112, &addr, 8);
	}
	printf("{\"host\": {\"pid\": %d, \"probe_buf\": \"0x%llx\"}}\n", (int)getpid(), (unsigned long long)(uintptr_t)host);
	char err[BPFTIME_ERR_LEN];
	struct runner_maps *maps = NULL;
	struct bpftime_map_ops ops;
	struct bpftime_runtime_opts ro = { .log = seg_log ? NULL : on_log, .printk = seg_log ? NULL : on_printk };
	struct bpftime_runtime *rt = bpftime_runtime_create(&ro, err);
	if (!rt) return fprintf(stderr, "runner: %s\n", err), 1;
	if (runner_maps_setup(rt, seg_size, maps_spec, &maps, &ops, err) != 0) return fprintf(stderr, "runner: %s\n", err), 1;
	struct bpftime_prog_opts po = { .budget = budget };
	runner_maps_refs(maps, &po);
	if (seg_log) po.seg_prog_id = runner_maps_seg_prog(maps, "runner");
	struct bpftime_prog *p = bpftime_prog_load(rt, path, &po, err);
	if (!p) {
		printf("{\"load_error\": ");
		runner_json_string(stdout, err, strlen(err));
		printf("}\n");
		return 0;
	}
	struct bpftime_prog *extra[16];
	for (int k = 0; k < ntails; k++) {
		unsigned index, slot;
		char tail_path[512];
		if (sscanf(tails[k], "%u:%u:%511s", &index, &slot, tail_path) != 3) return fprintf(stderr, "runner: bad --prog-array %s\n", tails[k]), 2;
		extra[k] = bpftime_prog_load(rt, tail_path, &po, err);
		if (!extra[k]) return fprintf(stderr, "runner: %s\n", err), 1;
		if (bpftime_runtime_prog_array_set(rt, runner_maps_handle(maps, index), slot, extra[k]) != 0) return fprintf(stderr, "runner: --prog-array %s: not a program array slot\n", tails[k]), 1;
	}
	pthread_t tids[256];
	struct job jobs[256];
	if (threads < 1 || threads > 256) threads = 1;
	if (bench && threads == 1) bench_clock = CLOCK_THREAD_CPUTIME_ID;
	double t0 = now_ns();
	for (long t = 0; t < threads; t++) {
		jobs[t] = (struct job){ .prog = p, .ctx = ctxs, .ctx_len = lens, .nctx = t == 0 ? nctx : 1, .func_ip = func_ip, .runs = runs, .report = !bench && t == 0 };
		if (threads == 1) worker(&jobs[0]);
		else pthread_create(&tids[t], NULL, worker, &jobs[t]);
	}
	if (threads > 1)
		for (long t = 0; t < threads; t++) pthread_join(tids[t], NULL);
	double elapsed = now_ns() - t0;
	if (do_fork) {
		fflush(stdout);
		pid_t child = fork();
		if (child == 0) {
			printf("{\"child\": {\"pid\": %d}}\n", (int)getpid());
			struct job again = jobs[0];
			again.runs = 1;
			worker(&again);
			fflush(stdout);
			_exit(0);
		}
		int status = 0;
		waitpid(child, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fprintf(stderr, "runner: the forked child failed (%d)\n", status), 1;
	}
	long ok = 0, failed = 0;
	for (long t = 0; t < threads; t++) ok += jobs[t].ok, failed += jobs[t].failed;
	long total = runs * (threads - 1 + nctx);
	if (bench) printf("{\"bench\": {\"runs\": %ld, \"ns_per_run\": %.2f, \"baseline_ns\": %.2f}}\n", total, elapsed / (double)total, baseline(total, p));
	printf("{\"totals\": {\"ok\": %ld, \"failed\": %ld}}\n", ok, failed);
	print_status(p);
	if (seg_log) runner_maps_seg_report(maps, po.seg_prog_id);
	runner_maps_dump(maps);
	bpftime_prog_unload(p);
	for (int k = 0; k < ntails; k++) bpftime_prog_unload(extra[k]);
	runner_maps_free(maps);
	bpftime_runtime_destroy(rt);
	for (int i = 0; i < nctx; i++) free(ctxs[i]);
	free(probe), free(host);
	return 0;
}
