// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dmabridge bench: a gdsio-style matrix. Every combination of path,
 * direction, I/O size, queue depth, thread count and exporter runs for
 * --duration seconds and gives one row: throughput, IOPS, and CPU per GiB
 * (the process's, and the whole machine's busy time, which also counts
 * interrupts and kernel threads).
 *
 * Paths:
 *   direct  libdmabridge with compat off: every byte through the module,
 *           the controller DMAing into or out of the exporter's buffer
 *   compat  libdmabridge with compat on: O_DIRECT into a bounce buffer and
 *           a CPU copy into the dma-buf (what a machine without the module
 *           gets)
 *   host    the reference: O_DIRECT io_uring reads and writes of host
 *           memory on a file of a disk on the stock nvme driver
 * Each thread keeps qd requests in flight: a libdmabridge queue (direct,
 * compat) or an io_uring (host). Offsets are sequential within each
 * thread's share of the file, or random (--random), aligned to the size.
 * Write cells overwrite the files. --plot draws throughput and CPU per
 * GiB against I/O size, one line per path (and exporter), with gnuplot.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dmabridge/dmabridge.h>

#include "cli.h"
#include "dbuf.h"
#include "report.h"

enum { P_DIRECT, P_COMPAT, P_HOST };
static const char *const path_names[] = { "direct", "compat", "host", NULL };
static const char *const dir_names[] = { "read", "write", NULL };

#define MAXV 16

struct bench {
	const char *file, *host_file, *plot;
	uint64_t file_size;
	uint32_t paths, dirs, exporters;
	uint64_t sizes[MAXV], qds[MAXV], threads[MAXV];
	unsigned int nsizes, nqds, nthreads;
	double duration;
	bool random;
	unsigned int plot_w, plot_h;
	unsigned int rounds;
};

struct cell {
	int path, dir, exporter;	/* exporter -1: host memory */
	uint64_t size, qd, threads;
	/* results */
	uint64_t bytes, ios, direct_bytes, compat_bytes;
	double secs, cpu, busy;
	int error;
	char why[160];
	double round_rate[MAXV];	/* each round's throughput */
	double round_cpu[MAXV];		/* and the machine's busy s per GiB */
};

/* Execution order: the cells of one I/O size (and direction, depth,
 * threads) one after the other, every path and exporter, so that the
 * rows compared with each other ran seconds apart, not minutes. */
static const struct cell *order_base;

static int cmp_exec(const void *a, const void *b)
{
	const struct cell *x = &order_base[*(const unsigned int *)a];
	const struct cell *y = &order_base[*(const unsigned int *)b];

	if (x->dir != y->dir)
		return x->dir - y->dir;
	if (x->qd != y->qd)
		return x->qd < y->qd ? -1 : 1;
	if (x->threads != y->threads)
		return x->threads < y->threads ? -1 : 1;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return *(const unsigned int *)a < *(const unsigned int *)b ? -1 : 1;
}

/* The cell's threads set up (buffer, file, queue), meet at ready, wait at
 * go while the clock starts, run until the deadline, meet at done, and only
 * then tear down: the measured time and CPU are the I/O's alone. */
struct sync {
	pthread_barrier_t ready, go, done;
	double deadline;
};

struct worker {
	const struct bench *b;
	struct cell *c;
	struct dmab_ctx *ctx;
	struct sync *sync;
	unsigned int index;
	double deadline;
	pthread_t tid;
	uint64_t bytes, ios, direct_bytes, compat_bytes;
	int error;
	char why[160];
};

/* non-idle seconds of all CPUs (/proc/stat), interrupts included */
static double busy_now(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	long hz = sysconf(_SC_CLK_TCK);

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		memset(v, 0, sizeof(v));
	fclose(f);
	/* user nice system idle iowait irq softirq steal: all but idle, iowait */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)(hz > 0 ? hz : 100);
}

/* the offset of a thread's n-th request */
static uint64_t offset_of(const struct worker *w, uint64_t n, uint64_t *seed)
{
	const struct cell *c = w->c;
	uint64_t share = w->b->file_size / c->threads / c->size * c->size, slots;

	if (share < c->size)
		share = c->size;
	slots = share / c->size;
	if (w->b->random) {
		/* xorshift64 */
		*seed ^= *seed << 13;
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		return (*seed % (w->b->file_size / c->size)) * c->size;
	}
	return (uint64_t)w->index * share + (n % slots) * c->size;
}

/* set up: meet the others, then run until the deadline main sets */
static void start(struct worker *w)
{
	pthread_barrier_wait(&w->sync->ready);
	pthread_barrier_wait(&w->sync->go);
	w->deadline = w->sync->deadline;
}

static void werr(struct worker *w, int err, const char *fmt, const char *arg)
{
	if (w->error)
		return;
	w->error = err;
	snprintf(w->why, sizeof(w->why), fmt, arg, strerror(-err));
}

/* ---- direct and compat: libdmabridge's queue ----------------------------- */

static void *lib_worker(void *arg)
{
	struct worker *w = arg;
	const struct cell *c = w->c;
	struct dmab_queue *q = NULL;
	struct dmab_buf *buf = NULL;
	struct dmab_file *f = NULL;
	struct dmab_completion comp[64];
	struct dbuf d = { .fd = -1, .aux = -1 };
	uint64_t bufsz = c->qd * c->size, nslots, issued = 0, inflight = 0, seed = w->index * 7919 + 1;
	char err[200];
	int ret, i;

	if (bufsz > (32ULL << 20))
		bufsz = c->size > (32ULL << 20) ? c->size : 32ULL << 20;
	nslots = bufsz / c->size;
	ret = dbuf_new(c->exporter, bufsz, (uint64_t)w->index * bufsz, &d, err, sizeof(err));
	if (ret)
		werr(w, ret, "%s (%s)", err);
	if (!ret && (ret = dmab_buf_register(w->ctx, d.fd, 0, 0, DMAB_BUF_READ | DMAB_BUF_WRITE,
					     &buf)))
		werr(w, ret, "%s: %s", "dmab_buf_register");
	if (!ret && (ret = dmab_file_open(w->ctx, w->b->file, O_RDWR, 0, &f)))
		werr(w, ret, "%s: %s", w->b->file);
	if (ret) {
		start(w);
		pthread_barrier_wait(&w->sync->done);
		goto out;
	}
	ret = dmab_queue_new(w->ctx, (unsigned int)c->qd, 0, &q);
	if (ret)
		werr(w, ret, "%s: %s", "dmab_queue_new");
	start(w);
	for (; !w->error;) {
		bool more = sys_now() < w->deadline && !w->error;

		while (more && inflight < c->qd) {
			uint64_t off = offset_of(w, issued, &seed);
			uint64_t boff = (issued % nslots) * c->size;

			ret = c->dir == 0 ?
				dmab_queue_read(q, f, buf, boff, off, c->size, issued) :
				dmab_queue_write(q, f, buf, boff, off, c->size, issued);
			if (ret == -EAGAIN)
				break;
			if (ret) {
				werr(w, ret, "%s: %s", c->dir ? "dmab_queue_write" : "dmab_queue_read");
				more = false;
				break;
			}
			issued++;
			inflight++;
		}
		if (!inflight)
			break;
		dmab_queue_submit(q);
		ret = dmab_queue_reap(q, comp, 64, 200);
		if (ret < 0) {
			werr(w, ret, "%s: %s", "dmab_queue_reap");
			break;
		}
		for (i = 0; i < ret; i++) {
			inflight--;
			if (comp[i].res < 0) {
				struct dmab_queue_error qe;

				if (dmab_queue_error(q, &qe) > 0 && qe.error)
					comp[i].res = qe.error;
				werr(w, (int)comp[i].res, "%s: %s", c->dir ? "write" : "read");
				continue;
			}
			/* the drain after the deadline counts: its time is the cell's */
			w->bytes += (uint64_t)comp[i].res;
			w->ios++;
			w->direct_bytes += comp[i].direct_bytes;
			w->compat_bytes += comp[i].compat_bytes;
		}
	}
	pthread_barrier_wait(&w->sync->done);
out:
	if (q)
		dmab_queue_free(q);
	if (f)
		dmab_file_close(f);
	if (buf)
		dmab_buf_unregister(buf);
	dbuf_free(&d);
	return NULL;
}

/* ---- host: O_DIRECT io_uring on host memory, the stock driver -------------- */

static void *host_worker(void *arg)
{
	struct worker *w = arg;
	const struct cell *c = w->c;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint64_t issued = 0, inflight = 0, seed = w->index * 7919 + 1, nslots;
	uint8_t *mem = NULL;
	uint64_t bufsz = c->qd * c->size;
	int fd, ret;

	if (bufsz > (256ULL << 20))
		bufsz = c->size;
	nslots = bufsz / c->size;
	fd = open(w->b->host_file, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		werr(w, -errno, "%s: %s", w->b->host_file);
	if (fd >= 0 && posix_memalign((void **)&mem, 4096, bufsz)) {
		mem = NULL;
		werr(w, -ENOMEM, "%s: %s", "host buffer");
	}
	if (mem) {
		memset(mem, 0x5a, bufsz);
		ret = io_uring_queue_init((unsigned int)(c->qd < 4096 ? c->qd : 4096), &ring, 0);
		if (ret)
			werr(w, ret, "%s: %s", "io_uring_queue_init");
	}
	start(w);
	if (w->error) {
		pthread_barrier_wait(&w->sync->done);
		free(mem);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		bool more = sys_now() < w->deadline && !w->error;

		while (more && inflight < c->qd) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			uint64_t off = offset_of(w, issued, &seed);
			void *p = mem + (issued % nslots) * c->size;

			if (!sqe)
				break;
			if (c->dir == 0)
				io_uring_prep_read(sqe, fd, p, (unsigned int)c->size, off);
			else
				io_uring_prep_write(sqe, fd, p, (unsigned int)c->size, off);
			issued++;
			inflight++;
		}
		if (!inflight)
			break;
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR) {
			werr(w, ret, "%s: %s", "io_uring_submit");
			break;
		}
		while (io_uring_peek_cqe(&ring, &cqe) == 0) {
			inflight--;
			if (cqe->res < 0)
				werr(w, cqe->res, "%s: %s", c->dir ? "write" : "read");
			else {
				w->bytes += (uint64_t)cqe->res;
				w->ios++;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
	}
	pthread_barrier_wait(&w->sync->done);
	io_uring_queue_exit(&ring);
	free(mem);
	close(fd);
	return NULL;
}

static void run_cell(const struct bench *b, struct cell *c, struct dmab_stats *acc)
{
	struct dmab_ctx_opts o = { .size = sizeof(o), .set = DMAB_OPT_COMPAT | DMAB_OPT_NO_ENV };
	struct worker *w = calloc(c->threads, sizeof(*w));
	struct dmab_ctx *ctx = NULL;
	struct sync sync;
	double t0, c0, b0;
	unsigned int i;
	int ret;

	if (!w) {
		c->error = -ENOMEM;
		return;
	}
	if (c->path != P_HOST) {
		o.compat = c->path == P_DIRECT ? DMAB_COMPAT_OFF : DMAB_COMPAT_ON;
		ret = dmab_ctx_new(&o, &ctx);
		if (ret) {
			c->error = ret;
			snprintf(c->why, sizeof(c->why), "libdmabridge: %s%s", strerror(-ret),
				 c->path == P_DIRECT ? " (the direct path needs the module)" : "");
			free(w);
			return;
		}
	}
	pthread_barrier_init(&sync.ready, NULL, (unsigned int)c->threads + 1);
	pthread_barrier_init(&sync.go, NULL, (unsigned int)c->threads + 1);
	pthread_barrier_init(&sync.done, NULL, (unsigned int)c->threads + 1);
	for (i = 0; i < c->threads; i++) {
		w[i] = (struct worker){ .b = b, .c = c, .ctx = ctx, .index = i, .sync = &sync };
		if (pthread_create(&w[i].tid, NULL, c->path == P_HOST ? host_worker : lib_worker,
				   &w[i])) {
			/* the barriers count on every thread: give up on the cell */
			c->error = -EAGAIN;
			snprintf(c->why, sizeof(c->why), "pthread_create failed");
			exit(1);
		}
	}
	pthread_barrier_wait(&sync.ready);
	t0 = sys_now();
	c0 = sys_cpu_now();
	b0 = busy_now();
	sync.deadline = t0 + b->duration;
	pthread_barrier_wait(&sync.go);
	pthread_barrier_wait(&sync.done);
	c->secs = sys_now() - t0;
	c->cpu = sys_cpu_now() - c0;
	c->busy = busy_now() - b0;
	for (i = 0; i < c->threads; i++) {
		pthread_join(w[i].tid, NULL);
		c->bytes += w[i].bytes;
		c->ios += w[i].ios;
		c->direct_bytes += w[i].direct_bytes;
		c->compat_bytes += w[i].compat_bytes;
		if (w[i].error && !c->error) {
			c->error = w[i].error;
			snprintf(c->why, sizeof(c->why), "%s", w[i].why);
		}
	}
	pthread_barrier_destroy(&sync.ready);
	pthread_barrier_destroy(&sync.go);
	pthread_barrier_destroy(&sync.done);
	if (ctx) {
		struct dmab_stats st;
		int k, j;

		if (!dmab_ctx_stats(ctx, &st, sizeof(st))) {
			for (k = 0; k < 2; k++) {
				acc->calls[k] += st.calls[k];
				for (j = 0; j < 2; j++) {
					acc->bytes[k][j] += st.bytes[k][j];
					acc->requests[k][j] += st.requests[k][j];
				}
			}
			for (k = 0; k < DMAB_STATS_REASONS; k++) {
				acc->fallbacks[k] += st.fallbacks[k];
				acc->fallback_bytes[k] += st.fallback_bytes[k];
			}
			for (k = 0; k < DMAB_STATS_ERRNOS; k++)
				acc->errors[k] += st.errors[k];
		}
		dmab_ctx_free(ctx);
	}
	free(w);
}

/* ---- files ----------------------------------------------------------------- */

static int prepare(struct cli *cli, const char *path, uint64_t size)
{
	struct stat st;
	uint64_t off;
	uint8_t *blk;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return cli_fail(cli, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return cli_fail(cli, "%s: not a regular file (bench writes into its files)", path);
	}
	if ((uint64_t)st.st_size >= size) {
		close(fd);
		return 0;
	}
	blk = malloc(1 << 20);
	if (!blk) {
		close(fd);
		return cli_fail(cli, "out of memory");
	}
	for (off = 0; off < (1 << 20); off += 8) {
		uint64_t v = 0x9e3779b97f4a7c15ULL ^ off;

		memcpy(blk + off, &v, 8);
	}
	for (off = (uint64_t)st.st_size / (1 << 20) * (1 << 20); off < size; off += 1 << 20) {
		size_t n = size - off < (1 << 20) ? (size_t)(size - off) : (size_t)1 << 20;

		if (pwrite(fd, blk, n, (off_t)off) != (ssize_t)n) {
			ret = cli_fail(cli, "%s: writing: %s", path, strerror(errno));
			break;
		}
	}
	if (!ret && fsync(fd))
		ret = cli_fail(cli, "%s: fsync: %s", path, strerror(errno));
	free(blk);
	close(fd);
	return ret;
}

/* ---- the plot --------------------------------------------------------------- */

static void series_name(const struct bench *b, const struct cell *c, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", path_names[c->path]);

	if (c->path != P_HOST)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, " %s", dbuf_names[c->exporter]);
	else
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, " (stock nvme)");
	if (__builtin_popcount(b->dirs) > 1)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, " %s", dir_names[c->dir]);
	if (b->nqds > 1)
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, " qd%llu",
				      (unsigned long long)c->qd);
	if (b->nthreads > 1)
		snprintf(buf + n, len > n ? len - n : 0, " %llut",
			 (unsigned long long)c->threads);
}

static void list_text(char *buf, size_t len, const uint64_t *v, unsigned int n,
		      const char *unit)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%llu", i ? "," : "",
					 (unsigned long long)v[i]);
	if (used < len)
		snprintf(buf + used, len - used, "%s", unit);
}

static int plot(struct cli *cli, const struct bench *b, const struct cell *cells,
		unsigned int n)
{
	char dir[] = "/tmp/dmabridge-plot-XXXXXX", data[64], script[64], name[96];
	char names[64][96], qd[64], th[64];
	unsigned int ns = 0, i, s;
	int status = 0, code = -1;
	FILE *f;
	pid_t pid;

	if (!mkdtemp(dir))
		return cli_fail(cli, "--plot: mkdtemp: %s", strerror(errno));
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	for (i = 0; i < n; i++) {
		series_name(b, &cells[i], name, sizeof(name));
		for (s = 0; s < ns && strcmp(names[s], name); s++)
			;
		if (s == ns && ns < 64)
			snprintf(names[ns++], sizeof(names[0]), "%s", name);
	}
	/* one data block per series, its name first (columnheader), by size */
	f = fopen(data, "we");
	if (!f)
		return cli_fail(cli, "--plot: %s: %s", data, strerror(errno));
	for (s = 0; s < ns; s++) {
		fprintf(f, "\"%s\"\n", names[s]);
		for (i = 0; i < n; i++) {
			const struct cell *c = &cells[i];
			double gib = c->bytes / 1073741824.0;

			series_name(b, c, name, sizeof(name));
			if (strcmp(name, names[s]) || c->error || !c->bytes)
				continue;
			fprintf(f, "%llu %.3f %.4f %.4f\n", (unsigned long long)c->size,
				c->bytes / c->secs / 1048576.0, c->cpu / gib, c->busy / gib);
		}
		fprintf(f, "\n\n");
	}
	fclose(f);
	list_text(qd, sizeof(qd), b->qds, b->nqds, "");
	list_text(th, sizeof(th), b->threads, b->nthreads, "");
	f = fopen(script, "we");
	if (!f)
		return cli_fail(cli, "--plot: %s: %s", script, strerror(errno));
	fprintf(f, "set terminal png size %u,%u\n", b->plot_w, b->plot_h);
	fprintf(f, "set output '%s'\n", b->plot);
	fprintf(f, "set multiplot layout 2,1 title 'dmabridge bench: %s, queue depth %s, threads %s, %.1f s per cell%s'\n",
		b->random ? "random" : "sequential", qd, th, b->duration,
		b->rounds > 1 ? ", median of rounds" : "");
	fprintf(f, "set logscale x 2\nset grid\nset key outside right top\n"
		   "set xtics ('4K' 4096, '16K' 16384, '64K' 65536, '256K' 262144, "
		   "'1M' 1048576, '4M' 4194304, '16M' 16777216, '64M' 67108864)\n"
		   "set xlabel 'I/O size'\nset yrange [0:*]\n");
	fprintf(f, "set ylabel 'MiB/s'\nset title 'throughput'\n");
	fprintf(f, "plot for [i=0:%u] '%s' index i using 1:2 with linespoints lw 2 title columnheader(1)\n",
		ns ? ns - 1 : 0, data);
	/* CPU per GiB spans decades from 4 KiB to 4 MiB */
	fprintf(f, "set logscale y 10\nset yrange [*:*]\nset ylabel 'CPU seconds per GiB (log)'\n"
		   "set title 'CPU per GiB moved (whole machine: busy time, interrupts included)'\n");
	fprintf(f, "plot for [i=0:%u] '%s' index i using 1:4 with linespoints lw 2 title columnheader(1)\n",
		ns ? ns - 1 : 0, data);
	fprintf(f, "unset multiplot\n");
	fclose(f);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		code = WEXITSTATUS(status);
	unlink(data);
	unlink(script);
	rmdir(dir);
	if (code == 127)
		return cli_fail(cli, "--plot: no gnuplot (apt-get install gnuplot-nox)");
	if (code)
		return cli_fail(cli, "--plot: gnuplot failed (exit %d)", code);
	return 0;
}

/* ---- the command -------------------------------------------------------------- */

int cmd_bench(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "host-file", required_argument, NULL, 'H' },
		{ "file-size", required_argument, NULL, 'S' },
		{ "paths", required_argument, NULL, 'p' },
		{ "dirs", required_argument, NULL, 'd' },
		{ "sizes", required_argument, NULL, 's' },
		{ "qd", required_argument, NULL, 'q' },
		{ "threads", required_argument, NULL, 'j' },
		{ "exporters", required_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 't' },
		{ "random", no_argument, NULL, 'r' },
		{ "plot", required_argument, NULL, 'P' },
		{ "plot-size", required_argument, NULL, 'Z' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bench b = {
		.file_size = 256ULL << 20, .dirs = 1, .exporters = 1U << DBUF_UDMABUF,
		.sizes = { 4096, 65536, 1 << 20, 4 << 20 }, .nsizes = 4,
		.qds = { 8 }, .nqds = 1, .threads = { 1 }, .nthreads = 1,
		.duration = 2, .plot_w = 1200, .plot_h = 900, .rounds = 1,
	};
	struct out *o = cli->out;
	struct cell *cells;
	unsigned int n = 0, i, si, qi, ti, cap, *order;
	bool paths_given = false;
	struct dmab_stats st = { 0 };
	int ch, ret, p, d, e;

	while ((ch = getopt_long(argc, argv, ":f:H:p:d:s:q:j:e:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': b.file = optarg; break;
		case 'H': b.host_file = optarg; break;
		case 'S':
			if (parse_size(optarg, &b.file_size) || b.file_size < (1 << 20) ||
			    b.file_size % 4096)
				return cli_usage(cli, "--file-size: at least 1M, a multiple of 4K, not '%s'",
						 optarg);
			break;
		case 'p':
			if (parse_list_names(optarg, path_names, &b.paths))
				return cli_usage(cli, "--paths: a list of direct, compat, host, not '%s'",
						 optarg);
			paths_given = true;
			break;
		case 'd':
			if (parse_list_names(optarg, dir_names, &b.dirs))
				return cli_usage(cli, "--dirs: a list of read, write, not '%s'", optarg);
			break;
		case 's':
			if (parse_list_size(optarg, b.sizes, MAXV, &b.nsizes))
				return cli_usage(cli, "--sizes: a list of sizes (4K,1M), not '%s'", optarg);
			for (i = 0; i < b.nsizes; i++)
				if (!b.sizes[i] || b.sizes[i] % 4096 || b.sizes[i] > (64ULL << 20))
					return cli_usage(cli, "--sizes: multiples of 4K up to 64M, not '%s'",
							 optarg);
			break;
		case 'q':
			if (parse_list_u64(optarg, b.qds, MAXV, &b.nqds))
				return cli_usage(cli, "--qd: a list of numbers, not '%s'", optarg);
			for (i = 0; i < b.nqds; i++)
				if (!b.qds[i] || b.qds[i] > 1024)
					return cli_usage(cli, "--qd: 1 to 1024, not '%s'", optarg);
			break;
		case 'j':
			if (parse_list_u64(optarg, b.threads, MAXV, &b.nthreads))
				return cli_usage(cli, "--threads: a list of numbers, not '%s'", optarg);
			for (i = 0; i < b.nthreads; i++)
				if (!b.threads[i] || b.threads[i] > 64)
					return cli_usage(cli, "--threads: 1 to 64, not '%s'", optarg);
			break;
		case 'e':
			if (parse_list_names(optarg, dbuf_names, &b.exporters))
				return cli_usage(cli, "--exporters: a list of udmabuf, vgem, vulkan, bar, not '%s'",
						 optarg);
			break;
		case 't':
			if (parse_secs(optarg, &b.duration) || b.duration < 0.05 || b.duration > 3600)
				return cli_usage(cli, "--duration: seconds, 0.05 to 3600, not '%s'", optarg);
			break;
		case 'r': b.random = true; break;
		case 'R': {
			uint64_t r;

			if (parse_u64(optarg, &r) || !r || r > MAXV)
				return cli_usage(cli, "--rounds: 1 to %d, not '%s'", MAXV, optarg);
			b.rounds = (unsigned int)r;
			break;
		}
		case 'P': b.plot = optarg; break;
		case 'Z':
			if (sscanf(optarg, "%ux%u", &b.plot_w, &b.plot_h) != 2 || b.plot_w < 200 ||
			    b.plot_h < 200 || b.plot_w > 10000 || b.plot_h > 10000)
				return cli_usage(cli, "--plot-size: WxH in pixels, 200 to 10000, not '%s'",
						 optarg);
			break;
		default:
			if ((ret = cli_getopt_common(cli, ch, argc, argv)) >= 0)
				return ret;
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (!paths_given)
		b.paths = (b.file ? 3U : 0) | (b.host_file ? 4U : 0);
	if (!b.paths)
		return cli_usage(cli, "which files? --file (direct, compat) and/or --host-file (host)");
	if ((b.paths & 3) && !b.file)
		return cli_usage(cli, "--paths direct and compat need --file (on a dmabridge disk)");
	if ((b.paths & 4) && !b.host_file)
		return cli_usage(cli, "--paths host needs --host-file (on a stock-driver disk)");
	for (i = 0; i < b.nsizes; i++)
		if (b.sizes[i] > b.file_size)
			return cli_usage(cli, "I/O size %llu is above --file-size",
					 (unsigned long long)b.sizes[i]);

	if ((b.paths & 3) && (ret = prepare(cli, b.file, b.file_size)))
		return ret;
	if ((b.paths & 4) && (ret = prepare(cli, b.host_file, b.file_size)))
		return ret;

	cap = 3 * 2 * DBUF__COUNT * b.nsizes * b.nqds * b.nthreads;
	cells = calloc(cap, sizeof(*cells));
	if (!cells)
		return cli_fail(cli, "out of memory");
	for (p = 0; p < 3; p++) {
		if (!(b.paths & (1U << p)))
			continue;
		for (e = 0; e < DBUF__COUNT; e++) {
			if (p == P_HOST ? e > 0 : !(b.exporters & (1U << e)))
				continue;
			for (d = 0; d < 2; d++) {
				if (!(b.dirs & (1U << d)))
					continue;
				for (qi = 0; qi < b.nqds; qi++)
					for (ti = 0; ti < b.nthreads; ti++)
						for (si = 0; si < b.nsizes; si++) {
							struct cell *c = &cells[n++];

							c->path = p;
							c->dir = d;
							c->exporter = p == P_HOST ? -1 : e;
							c->size = b.sizes[si];
							c->qd = b.qds[qi];
							c->threads = b.threads[ti];
						}
			}
		}
	}
	/* rounds: the whole matrix again and again, so that a drift of the
	 * machine spreads over every cell; each cell keeps its median round */
	order = calloc(n ? n : 1, sizeof(*order));
	if (!order) {
		free(cells);
		return cli_fail(cli, "out of memory");
	}
	for (i = 0; i < n; i++)
		order[i] = i;
	order_base = cells;
	qsort(order, n, sizeof(*order), cmp_exec);
	if (b.rounds > 1) {
		struct cell *runs = calloc((size_t)n * b.rounds, sizeof(*runs));
		unsigned int r, k, x;

		if (!runs) {
			free(cells);
			free(order);
			return cli_fail(cli, "out of memory");
		}
		for (r = 0; r < b.rounds; r++)
			for (x = 0; x < n; x++) {
				struct cell *c;

				i = order[x];
				c = &runs[(size_t)i * b.rounds + r];
				if (isatty(STDERR_FILENO))
					fprintf(stderr, "\rround %u of %u, cell %u of %u ", r + 1,
						b.rounds, x + 1, n);
				*c = cells[i];
				run_cell(&b, c, &st);
			}
		for (i = 0; i < n; i++) {
			struct cell *rc = &runs[(size_t)i * b.rounds];
			unsigned int rank[MAXV], best = 0;
			double rate[MAXV];

			for (r = 0; r < b.rounds; r++) {
				rate[r] = rc[r].secs > 0 ? rc[r].bytes / rc[r].secs : 0;
				rank[r] = 0;
			}
			/* the round whose throughput is the median (the lower one) */
			for (r = 0; r < b.rounds; r++) {
				for (k = 0; k < b.rounds; k++)
					if (rate[k] < rate[r] || (rate[k] == rate[r] && k < r))
						rank[r]++;
				if (rank[r] == (b.rounds - 1) / 2)
					best = r;
			}
			cells[i] = rc[best];
			for (r = 0; r < b.rounds; r++) {
				cells[i].round_rate[r] = rate[r];
				cells[i].round_cpu[r] = rc[r].bytes ?
					rc[r].busy / (rc[r].bytes / 1073741824.0) : NAN;
				if (rc[r].error && !cells[i].error) {
					cells[i].error = rc[r].error;
					snprintf(cells[i].why, sizeof(cells[i].why), "%s", rc[r].why);
				}
			}
		}
		free(runs);
	} else {
		for (i = 0; i < n; i++) {
			if (isatty(STDERR_FILENO))
				fprintf(stderr, "\rcell %u of %u ", i + 1, n);
			run_cell(&b, &cells[order[i]], &st);
		}
	}
	free(order);
	if (isatty(STDERR_FILENO))
		fputc('\n', stderr);

	out_obj(o, NULL);
	out_obj(o, "config");
	out_str(o, "file", b.file);
	out_str(o, "host_file", b.host_file);
	out_bytes(o, "file_size", b.file_size);
	out_f64(o, "duration", b.duration, 2);
	out_str(o, "pattern", b.random ? "random" : "sequential");
	out_u64(o, "rounds", b.rounds);
	out_end(o);
	out_list(o, "results", OUT_TABLE);
	for (i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		double gib = c->bytes / 1073741824.0;

		out_obj(o, NULL);
		out_str(o, "path", path_names[c->path]);
		out_str(o, "exporter", c->exporter < 0 ? "host" : dbuf_names[c->exporter]);
		out_str(o, "dir", dir_names[c->dir]);
		out_bytes(o, "io_size", c->size);
		out_u64(o, "qd", c->qd);
		out_u64(o, "threads", c->threads);
		out_rate(o, "throughput", c->secs > 0 ? c->bytes / c->secs : 0);
		out_f64(o, "iops", c->secs > 0 ? c->ios / c->secs : 0, 0);
		out_f64(o, "cpu_s_per_gib", gib > 0 ? c->cpu / gib : NAN, 3);
		out_f64(o, "busy_s_per_gib", gib > 0 ? c->busy / gib : NAN, 3);
		out_u64(o, "bytes", c->bytes);
		if (out_format(o) == OUT_FMT_JSON) {
			out_u64(o, "ios", c->ios);
			out_u64(o, "direct_bytes", c->direct_bytes);
			out_u64(o, "compat_bytes", c->compat_bytes);
			out_f64(o, "seconds", c->secs, 3);
			out_f64(o, "cpu_seconds", c->cpu, 3);
			out_f64(o, "busy_seconds", c->busy, 3);
			out_list(o, "round_throughputs", OUT_RECORDS);
			for (unsigned int r = 0; b.rounds > 1 && r < b.rounds; r++)
				out_f64(o, NULL, c->round_rate[r], 1);
			out_end(o);
			out_list(o, "round_busy_s_per_gib", OUT_RECORDS);
			for (unsigned int r = 0; b.rounds > 1 && r < b.rounds; r++)
				out_f64(o, NULL, c->round_cpu[r], 3);
			out_end(o);
		}
		if (c->error)
			out_note(o, "error", c->why);
		else if (out_format(o) == OUT_FMT_JSON)
			out_null(o, "error");
		out_end(o);
	}
	out_end(o);
	if (b.plot) {
		ret = plot(cli, &b, cells, n);
		if (ret) {
			out_end(o);
			free(cells);
			return ret;
		}
		out_str(o, "plot", b.plot);
	}
	out_end(o);
	libstats_save("bench", &st);
	for (i = 0, ret = 0; i < n; i++)
		ret += cells[i].error != 0;
	if (ret) {
		free(cells);
		return cli_fail(cli, "%d cell(s) failed (their error is in the table)", ret);
	}
	free(cells);
	return 0;
}
