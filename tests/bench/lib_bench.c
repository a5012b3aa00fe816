// SPDX-License-Identifier: GPL-2.0
/*
 * lib_bench: libdmabridge against what it is built on, one side per run
 * (tests/bench/lib alternates the sides in one guest and takes the ratios).
 * Not a test.
 *
 *   lib_bench SIDE --file PATH --len N --runtime S [--ramp S] [--span N]
 *             [--random] [--qd N] [--maps FILE]
 *
 * SIDE:
 *   lib-sync   dmab_read() of --len at a time into a udmabuf (a context with
 *              the defaults, DMABRIDGE_* ignored: the direct path where the
 *              file allows it)
 *   raw-ioctl  the same reads as DMABRIDGE_IOC_READ ioctls on a token of
 *              the same kind of udmabuf: what dmab_read() of one piece does
 *   compat     dmab_read() with the compat path forced (DMAB_COMPAT_ON):
 *              O_DIRECT into the library's bounce buffer, CPU copy into the
 *              udmabuf's mapping
 *   stock      O_DIRECT pread() into host memory: the reference for the
 *              above on the stock nvme driver's disk
 *   raw-uring  --qd requests always in flight as IORING_OP_URING_CMD
 *              READs on /dev/dmabridge (SQE128/CQE32 ring, liburing, the
 *              control fd a registered file, as in the library's rings)
 *   lib-async  the same through the library's queue (dmab_queue_new with
 *              depth --qd; each completion's slot enqueued again, and the
 *              batch submitted by the next dmab_queue_reap(), which
 *              submits and waits in one system call as the raw loop's
 *              io_uring_submit_and_wait() does)
 *
 * Requests are --len bytes, at random --len-aligned offsets in the first
 * --span bytes of PATH (--random) or sequential; the buffer offset cycles
 * through the slots of a 2 MiB (or QD x len) udmabuf. Counted after --ramp
 * seconds. Prints
 *   LIBBENCH side=.. len=.. qd=.. ios=.. secs=.. iops=.. mibps=..
 *            cpu_s=.. busy_s=.. cpu_s_per_gib=.. busy_s_per_gib=..
 *            direct_bytes=.. compat_bytes=..
 * cpu_s: the process's user + system time (getrusage); busy_s: the whole
 * machine's non-idle time (/proc/stat, all CPUs: interrupts, softirqs and
 * io_uring workers included), both over the counted interval.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/udmabuf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <dmabridge/dmabridge.h>
#include <linux/dmabridge.h>

#define MIB (1ULL << 20)

static struct {
	const char *side, *file, *maps;
	uint64_t len, span;
	double runtime, ramp;
	unsigned int qd;
	bool random;
} o = { .ramp = 1, .qd = 1 };

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lib_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (end == s || *end)
		die("bad size '%s'", s);
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* non-idle seconds of all CPUs since boot (/proc/stat "cpu" line) */
static double busy_now(void)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	long hz = sysconf(_SC_CLK_TCK);

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			 &v[7]) != 8)
		die("/proc/stat: unreadable");
	fclose(f);
	/* user nice system [idle iowait] irq softirq steal */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_off(uint64_t *seq)
{
	uint64_t off = *seq;

	if (o.random) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		return rng % (o.span / o.len) * o.len;
	}
	*seq = (*seq + o.len) % (o.span / o.len * o.len);
	return off;
}

/* ---- a udmabuf ---------------------------------------------------------- */

static int udmabuf_new(uint64_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int memfd = memfd_create("lib_bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int dev, fd;

	if (memfd < 0 || ftruncate(memfd, (off_t)size) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		die("memfd: %s", strerror(errno));
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("/dev/udmabuf: %s", strerror(errno));
	c.memfd = (uint32_t)memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (fd < 0)
		die("UDMABUF_CREATE: %s", strerror(errno));
	close(dev);
	close(memfd);		/* the dma-buf keeps the pages */
	return fd;
}

/* ---- the sides ---------------------------------------------------------- */

static void lib_setup(bool compat, struct dmab_ctx **ctx, struct dmab_buf **buf,
		      struct dmab_file **f)
{
	struct dmab_ctx_opts opts = { .size = sizeof(opts), .set = DMAB_OPT_NO_ENV };
	int dfd, ret;

	if (compat) {
		opts.set |= DMAB_OPT_COMPAT;
		opts.compat = DMAB_COMPAT_ON;
	}
	dfd = udmabuf_new(((uint64_t)o.qd * o.len < 2 * MIB ? 2 * MIB : (uint64_t)o.qd * o.len));
	if ((ret = dmab_ctx_new(&opts, ctx)) ||
	    (ret = dmab_buf_register(*ctx, dfd, 0, 0, DMAB_BUF_READ, buf)) ||
	    (ret = dmab_file_open(*ctx, o.file, O_RDONLY, 0, f)))
		die("library set-up: %s", strerror(-ret));
	close(dfd);
}

struct run {
	double start, from, stop, cpu0, busy0;
	uint64_t ios, bytes, direct, compat;
	bool ramping;
};

static void run_start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->start = r->from = now();
	r->stop = r->start + o.ramp + o.runtime;
	r->ramping = o.ramp > 0;
	r->cpu0 = cpu_now();
	r->busy0 = busy_now();
}

/* one completed request; false when the run is over */
static bool run_done(struct run *r, uint64_t bytes, double t)
{
	if (r->ramping && t >= r->start + o.ramp) {
		r->ramping = false;
		r->from = t;
		r->ios = r->bytes = r->direct = r->compat = 0;
		r->cpu0 = cpu_now();
		r->busy0 = busy_now();
	}
	r->ios++;
	r->bytes += bytes;
	return t < r->stop;
}

/* --maps FILE: where each object is mapped (tests/bench/lib-insns) */
static void copy_maps(void)
{
	FILE *in = fopen("/proc/self/maps", "r"), *out = fopen(o.maps, "w");
	char line[4096];

	if (!in || !out)
		die("--maps %s: %s", o.maps, strerror(errno));
	while (fgets(line, sizeof(line), in))
		fputs(line, out);
	fclose(in);
	if (fclose(out))
		die("--maps %s: %s", o.maps, strerror(errno));
}

static void run_print(struct run *r)
{
	double secs = now() - r->from, cpu = cpu_now() - r->cpu0;
	double busy = busy_now() - r->busy0, gib = (double)r->bytes / (1 << 30);

	printf("LIBBENCH side=%s len=%" PRIu64 " qd=%u ios=%" PRIu64
	       " secs=%.2f iops=%.0f mibps=%.1f cpu_s=%.3f busy_s=%.3f"
	       " cpu_s_per_gib=%.4f busy_s_per_gib=%.4f direct_bytes=%" PRIu64
	       " compat_bytes=%" PRIu64 "\n",
	       o.side, o.len, o.qd, r->ios, secs, r->ios / secs,
	       r->bytes / secs / MIB, cpu, busy, cpu / gib, busy / gib,
	       r->direct, r->compat);
	if (o.maps)
		copy_maps();
}

static uint64_t slots(void)
{
	uint64_t size = (uint64_t)o.qd * o.len;

	size = size < 2 * MIB ? 2 * MIB : size;
	return size / o.len;
}

/* lib-sync and compat: dmab_read() of one request at a time */
static void side_lib(bool compat)
{
	uint64_t n = slots(), seq = 0, slot = 0;
	struct dmab_ctx *ctx;
	struct dmab_buf *buf;
	struct dmab_file *f;
	struct run r;
	int ret;

	lib_setup(compat, &ctx, &buf, &f);
	run_start(&r);
	for (;;) {
		struct dmab_result res;

		ret = dmab_read(f, buf, slot * o.len, next_off(&seq), o.len, &res);
		if (ret || res.bytes != o.len)
			die("dmab_read: %s (%" PRIu64 " bytes)", strerror(-ret), res.bytes);
		slot = (slot + 1) % n;
		if (!run_done(&r, res.bytes, now()))
			break;
		r.direct += res.direct_bytes;
		r.compat += res.compat_bytes;
	}
	run_print(&r);
	dmab_file_close(f);
	dmab_buf_unregister(buf);
	dmab_ctx_free(ctx);
}

static int ctl_token(uint32_t *id)
{
	struct dmabridge_version v = { 0 };
	struct dmabridge_token_create c = { .flags = DMABRIDGE_TOKEN_READ };
	int ctl = open("/dev/dmabridge", O_RDWR | O_CLOEXEC);

	if (ctl < 0)
		die("/dev/dmabridge: %s", strerror(errno));
	if (ioctl(ctl, DMABRIDGE_IOC_VERSION, &v) || v.major != DMABRIDGE_ABI_MAJOR)
		die("ABI version");
	c.dmabuf_fd = udmabuf_new(slots() * o.len);
	if (ioctl(ctl, DMABRIDGE_IOC_TOKEN_CREATE, &c))
		die("TOKEN_CREATE: %s", strerror(errno));
	close(c.dmabuf_fd);
	*id = c.id;
	return ctl;
}

/* raw-ioctl: DMABRIDGE_IOC_READ, one at a time */
static void side_raw_ioctl(void)
{
	uint64_t n = slots(), seq = 0, slot = 0;
	struct run r;
	uint32_t id;
	int ctl = ctl_token(&id);
	int fd = open(o.file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", o.file, strerror(errno));
	run_start(&r);
	for (;;) {
		struct dmabridge_io io = { .token = id, .fd = fd,
			.token_offset = slot * o.len,
			.file_offset = next_off(&seq), .length = o.len };
		int ret = ioctl(ctl, DMABRIDGE_IOC_READ, &io);

		if (ret != (int)o.len)
			die("DMABRIDGE_IOC_READ: %d (%s)", ret, strerror(errno));
		slot = (slot + 1) % n;
		if (!run_done(&r, o.len, now()))
			break;
		r.direct += o.len;
	}
	run_print(&r);
	close(fd);
	close(ctl);
}

/* stock: O_DIRECT pread() into host memory */
static void side_stock(void)
{
	uint64_t seq = 0;
	struct run r;
	void *mem;
	int fd = open(o.file, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", o.file, strerror(errno));
	if (posix_memalign(&mem, 4096, o.len))
		die("out of memory");
	memset(mem, 0, o.len);
	run_start(&r);
	for (;;) {
		ssize_t n = pread(fd, mem, o.len, (off_t)next_off(&seq));

		if (n != (ssize_t)o.len)
			die("pread: %zd (%s)", n, strerror(errno));
		if (!run_done(&r, o.len, now()))
			break;
	}
	run_print(&r);
	free(mem);
	close(fd);
}

/* raw-uring: QD uring_cmd READs always in flight, one slot each */
static void side_raw_uring(void)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32 };
	uint64_t seq = 0;
	unsigned int inflight = 0;
	bool more = true;
	struct io_uring ring;
	struct run r;
	uint32_t id;
	int ctl = ctl_token(&id), ret;
	int fd = open(o.file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", o.file, strerror(errno));
	ret = io_uring_queue_init_params(o.qd, &ring, &p);
	if (ret)
		die("io_uring_queue_init: %s", strerror(-ret));
	ret = io_uring_register_files(&ring, &ctl, 1);
	if (ret)
		die("io_uring_register_files: %s", strerror(-ret));

	run_start(&r);
	for (unsigned int slot = 0; slot < o.qd; slot++, inflight++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
		struct dmabridge_io io = { .token = id, .fd = fd,
			.token_offset = (uint64_t)slot * o.len,
			.file_offset = next_off(&seq), .length = o.len };

		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, 0, NULL, 0, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->cmd_op = DMABRIDGE_IOC_READ;
		memcpy(sqe->cmd, &io, sizeof(io));
		io_uring_sqe_set_data64(sqe, slot);
	}
	while (inflight) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0)
			die("io_uring_submit_and_wait: %s", strerror(-ret));
		io_uring_for_each_cqe(&ring, head, cqe) {
			uint64_t slot = io_uring_cqe_get_data64(cqe);

			seen++;
			inflight--;
			if (cqe->res != (int)o.len)
				die("uring_cmd READ: %d", cqe->res);
			more = run_done(&r, o.len, now()) && more;
			r.direct += o.len;
			if (!more)
				continue;
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			struct dmabridge_io io = { .token = id, .fd = fd,
				.token_offset = slot * o.len,
				.file_offset = next_off(&seq), .length = o.len };

			io_uring_prep_rw(IORING_OP_URING_CMD, sqe, 0, NULL, 0, 0);
			sqe->flags |= IOSQE_FIXED_FILE;
			sqe->cmd_op = DMABRIDGE_IOC_READ;
			memcpy(sqe->cmd, &io, sizeof(io));
			io_uring_sqe_set_data64(sqe, slot);
			inflight++;
		}
		io_uring_cq_advance(&ring, seen);
	}
	run_print(&r);
	io_uring_queue_exit(&ring);
	close(fd);
	close(ctl);
}

/* lib-async: the library's queue, QD requests always in flight */
static void side_lib_async(void)
{
	struct dmab_completion comps[64];
	uint64_t seq = 0;
	unsigned int inflight = 0;
	bool more = true;
	struct dmab_queue *q;
	struct dmab_ctx *ctx;
	struct dmab_buf *buf;
	struct dmab_file *f;
	struct run r;
	int ret, n;

	lib_setup(false, &ctx, &buf, &f);
	ret = dmab_queue_new(ctx, o.qd, 0, &q);
	if (ret)
		die("dmab_queue_new: %s", strerror(-ret));
	run_start(&r);
	for (unsigned int slot = 0; slot < o.qd; slot++, inflight++) {
		ret = dmab_queue_read(q, f, buf, (uint64_t)slot * o.len,
				      next_off(&seq), o.len, slot);
		if (ret)
			die("dmab_queue_read: %s", strerror(-ret));
	}
	while (inflight) {
		n = dmab_queue_reap(q, comps, 64, -1);	/* submits, then waits */
		if (n < 0)
			die("dmab_queue_reap: %s", strerror(-n));
		for (int i = 0; i < n; i++) {
			struct dmab_completion *c = &comps[i];

			inflight--;
			if (c->res != (int64_t)o.len)
				die("queued read: %" PRId64, c->res);
			more = run_done(&r, o.len, now()) && more;
			r.direct += c->direct_bytes;
			r.compat += c->compat_bytes;
			if (!more)
				continue;
			ret = dmab_queue_read(q, f, buf, c->tag * o.len,
					      next_off(&seq), o.len, c->tag);
			if (ret)
				die("dmab_queue_read: %s", strerror(-ret));
			inflight++;
		}
	}
	run_print(&r);
	dmab_queue_free(q);
	dmab_file_close(f);
	dmab_buf_unregister(buf);
	dmab_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", 1, NULL, 'f' }, { "len", 1, NULL, 'l' },
		{ "runtime", 1, NULL, 't' }, { "ramp", 1, NULL, 'r' },
		{ "span", 1, NULL, 's' }, { "random", 0, NULL, 'R' },
		{ "qd", 1, NULL, 'q' }, { "maps", 1, NULL, 'm' }, { 0 }
	};
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: lib_bench lib-sync|raw-ioctl|compat|stock|raw-uring|lib-async --file PATH --len N --runtime S ...");
	o.side = argv[1];
	if (argc == 3 && !strcmp(argv[2], "--probe"))	/* tests/bench/lib: sides built */
		return strcmp(o.side, "lib-async") && strcmp(o.side, "lib-sync") &&
		       strcmp(o.side, "raw-ioctl") && strcmp(o.side, "compat") &&
		       strcmp(o.side, "stock") && strcmp(o.side, "raw-uring");
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': o.file = optarg; break;
		case 'l': o.len = parse_size(optarg); break;
		case 't': o.runtime = atof(optarg); break;
		case 'r': o.ramp = atof(optarg); break;
		case 's': o.span = parse_size(optarg); break;
		case 'R': o.random = true; break;
		case 'q': o.qd = (unsigned int)parse_size(optarg); break;
		case 'm': o.maps = optarg; break;
		default: die("bad option");
		}
	}
	if (!o.file || !o.len || o.len % 4096 || o.runtime <= 0 || !o.qd)
		die("need --file, --len (a multiple of 4096), --runtime and --qd >= 1");
	if (!o.span)
		o.span = 1ULL << 30;
	if (o.span < o.len)
		die("--span below --len");
	if (!strcmp(o.side, "lib-sync"))
		side_lib(false);
	else if (!strcmp(o.side, "compat"))
		side_lib(true);
	else if (!strcmp(o.side, "raw-ioctl"))
		side_raw_ioctl();
	else if (!strcmp(o.side, "stock"))
		side_stock();
	else if (!strcmp(o.side, "raw-uring"))
		side_raw_uring();
	else if (!strcmp(o.side, "lib-async"))
		side_lib_async();
	else
		die("unknown side '%s'", o.side);
	return 0;
}
