// SPDX-License-Identifier: GPL-2.0
/*
 * uapi_fuzz: malformed and racing calls on /dev/dmabridge (issue 16, the
 * debug lane's UAPI fuzz test). Every call must succeed or fail with an
 * errno dmabridge(4) documents for it (plus EFAULT, ENOTTY, ENOMEM, EINTR,
 * EAGAIN, ECANCELED for io_uring, EFBIG/ENOSPC for WRITEs); a call that
 * cannot be valid must not succeed; a WRITE that succeeds moved all its
 * bytes, a READ no more than asked. Anything else is printed with its case,
 * seed, call number and arguments, and fails the run.
 *
 *   uapi_fuzz [--seed S] [--calls N] [--time S] [--family F[,F...]]
 *             [--threads T] [--marker-every N]
 *             --rw PATH... [--rw-nodio PATH...] [--append-only PATH...]
 *             [--xdev PATH...] [--ro PATH...]
 *
 * Families (run in this order, each on its own contexts, dma-bufs and
 * rings, torn down and leak-checked before the next):
 *   ioctl-random   random command numbers (random nr, size, direction; the
 *                  magic 0xD7 and the old 0xDB; any type but the few the VFS
 *                  itself handles) with random argument bytes and random,
 *                  NULL, unmapped, read-only and page-straddling pointers;
 *                  unknown commands must get ENOTTY
 *   ioctl-mutate   valid VERSION/TOKEN_CREATE/TOKEN_DESTROY/READ/WRITE
 *                  arguments with random bits and fields changed (reserved
 *                  fields, flags, offsets near 2^64, lengths, fds of every
 *                  kind, token ids 0/random/destroyed/another context's)
 *   uring-mutate   the same READ/WRITE mutations (and random cmd_op values)
 *                  as IORING_OP_URING_CMD on SQE128 rings (with and without
 *                  CQE32, DEFER_TASKRUN, SQPOLL, fixed files, IOSQE_ASYNC,
 *                  links, cancels), in batches; the tag must come back
 *   uring-sqe64    READ/WRITE on rings without SQE128: EINVAL; random
 *                  cmd_op: ENOTTY
 *   threads        T threads sharing contexts and dma-bufs: creating and
 *                  destroying tokens, sync and async requests, replacing
 *                  (closing) context and dma-buf fds, exporter moves,
 *                  closing rings and exiting threads and processes with
 *                  requests in flight
 *
 * Targets: --rw scratch files or the raw scratch partition on a dmabridge
 * disk (opened read-write, read-only, write-only, O_APPEND, O_DIRECT,
 * O_PATH); --rw-nodio a scratch file on ext4 data=journal (WRITE: EINVAL);
 * --append-only a scratch file with chattr +a (WRITE: EPERM); --xdev a
 * scratch file dmabridge does not serve (tmpfs, bfs, btrfs); --ro opened
 * read-only only (the whole disk, a mounted partition, a directory). No
 * other file is ever opened for writing, so no request can write anywhere
 * else; the caller checks a reference file afterwards.
 *
 * N (default $DBR_TEST_FUZZ_CALLS, else 100000) calls in all, shared among
 * the families (--family/$DBR_TEST_FUZZ_FAMILIES picks some); S seconds
 * ($DBR_TEST_FUZZ_TIME, default 900) is a guard: a run that reaches it
 * stops early and fails. The seed ($DBR_TEST_FUZZ_SEED, else random) is
 * printed; each family's generator is derived from it and the family's
 * name, so `--seed S --family F --calls N` repeats one family. Before each
 * family and every --marker-every calls (1000) a line
 *   dbr-fuzz: case <family> seed <seed> call <n>
 * goes to /dev/kmsg, so a kernel report names the case it came from.
 *
 * At the end of each family every context, ring and dma-buf is closed and
 * the test exporter's debugfs counters must balance (attaches = detaches,
 * maps = unmaps, live buffers back to the baseline) within 60 s. Each
 * family prints its results by call and errno: proof the calls got past
 * the argument checks. A request without a completion after
 * $DBR_TEST_FUZZ_REAP_SECS (180) is a hang; no call finishing for
 * $DBR_TEST_FUZZ_STALL_SECS (240) prints every thread's last call and
 * exits. $DBR_TEST_FUZZ_AVOID=own-task-destroy steps around a known hang
 * (a thread destroying a token its own io_uring requests are in flight on)
 * to explore past it; the default does not.
 * Exit 0 pass, 1 fail, 77 dmabridge or the test exporter missing.
 */
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/udmabuf.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmabridge.h>

#include "dbr_tool.h"
#include "dbr_test_exporter.h"

#define TEXP_DEBUGFS	"/sys/kernel/debug/dbr_test_exporter/"
#define PAGE		4096ULL
#define LBS		512ULL		/* the rig's disks: 512-byte blocks */
#define MAX_PATHS	16
#define NCTX		2
#define MAX_BUFS	24
#define MAX_TOKS	48
#define MAX_TGTS	160
#define MAX_FAIL_PRINT	30

/* ---- options ----------------------------------------------------------- */

enum tkind {
	TK_GOOD,	/* scratch on a served filesystem or the raw partition */
	TK_NODIO,	/* served, but WRITE refused (ext4 data=journal) */
	TK_APPEND,	/* append-only attribute: WRITE EPERM */
	TK_XDEV,	/* scratch dmabridge does not serve */
	TK_RO,		/* opened read-only only; may or may not be served */
	TK_BAD,		/* not a possible target at all */
};

static struct {
	uint64_t seed;
	unsigned long calls;
	double time;
	unsigned int threads, marker_every;
	const char *families;
	const char *paths[MAX_PATHS];
	enum tkind pkind[MAX_PATHS];
	unsigned int npaths;
} opt = { .threads = 4, .marker_every = 1000, .time = 900 };

/* ---- generator --------------------------------------------------------- */

struct rng { uint64_t s; };

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool pct(struct rng *r, unsigned int p)
{
	return below(r, 100) < p;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- errno sets -------------------------------------------------------- */

struct eset { uint64_t w[3]; };

static void eset_add(struct eset *s, int e)
{
	if (e > 0 && e < 192)
		s->w[e / 64] |= 1ULL << (e % 64);
}

static bool eset_has(const struct eset *s, int e)
{
	return e > 0 && e < 192 && (s->w[e / 64] >> (e % 64) & 1);
}

enum kind { K_UNKNOWN, K_VERSION, K_CREATE, K_DESTROY, K_READ, K_WRITE,
	    K_TARGET };
static const char *const kind_name[] = {
	"unknown", "VERSION", "TOKEN_CREATE", "TOKEN_DESTROY", "READ", "WRITE",
	"TARGET_(UN)REGISTER",
};

/* What dmabridge(4) documents for each call, plus the generic ones. */
static struct eset eset_of(enum kind k, bool uring)
{
	struct eset s = { { 0 } };

	switch (k) {
	case K_UNKNOWN:
		eset_add(&s, ENOTTY);
		if (uring)	/* a failed link head cancels the rest */
			eset_add(&s, ECANCELED);
		return s;
	case K_VERSION:
		eset_add(&s, EINVAL);
		break;
	case K_CREATE:
		eset_add(&s, EBADF);
		eset_add(&s, EINVAL);
		eset_add(&s, ENOSPC);
		break;
	case K_DESTROY:
		eset_add(&s, EINVAL);
		eset_add(&s, ENOENT);
		break;
	case K_TARGET:
		eset_add(&s, EBADF);
		eset_add(&s, EINVAL);
		eset_add(&s, ENOENT);
		eset_add(&s, ENOSPC);
		eset_add(&s, EXDEV);
		break;
	case K_WRITE:
		eset_add(&s, EPERM);
		eset_add(&s, EFBIG);
		eset_add(&s, ENOSPC);
		/* fall through */
	case K_READ:
		eset_add(&s, EBADF);
		eset_add(&s, EINVAL);
		eset_add(&s, ENOENT);
		eset_add(&s, ERANGE);
		eset_add(&s, EXDEV);
		eset_add(&s, EOPNOTSUPP);
		eset_add(&s, ENODATA);
		eset_add(&s, EIO);
		eset_add(&s, ENOBUFS);	/* swiotlb share of premapped tokens */
		break;
	}
	eset_add(&s, EFAULT);
	eset_add(&s, ENOMEM);
	eset_add(&s, EINTR);
	eset_add(&s, EAGAIN);
	if (uring)
		eset_add(&s, ECANCELED);
	return s;
}

static enum kind kind_of(unsigned long cmd)
{
	switch (cmd) {
	case DMABRIDGE_IOC_VERSION: return K_VERSION;
	case DMABRIDGE_IOC_TOKEN_CREATE: return K_CREATE;
	case DMABRIDGE_IOC_TOKEN_DESTROY: return K_DESTROY;
	case DMABRIDGE_IOC_READ: return K_READ;
	case DMABRIDGE_IOC_WRITE: return K_WRITE;
	case DMABRIDGE_IOC_TARGET_REGISTER:
	case DMABRIDGE_IOC_TARGET_UNREGISTER: return K_TARGET;
	default: return K_UNKNOWN;
	}
}

static const char *ename(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EIO, "EIO" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EXDEV, "EXDEV" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ ENOTTY, "ENOTTY" }, { EFBIG, "EFBIG" }, { ENOSPC, "ENOSPC" },
		{ ERANGE, "ERANGE" }, { ENODATA, "ENODATA" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ECANCELED, "ECANCELED" },
		{ EALREADY, "EALREADY" }, { EEXIST, "EEXIST" }, { E2BIG, "E2BIG" },
		{ ENOBUFS, "ENOBUFS" },
		{ 512, "ERESTARTSYS(512)" }, { 529, "EIOCBQUEUED(529)" },
	};
	static _Thread_local char buf[24];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* ---- bookkeeping shared by all families -------------------------------- */

static const char *const family_names[] = {
	"ioctl-random", "ioctl-mutate", "uring-mutate", "uring-sqe64", "threads",
};
enum { F_RANDOM, F_MUTATE, F_URING, F_SQE64, F_THREADS, NFAM };
/* shares of the calls, in percent */
static const unsigned int family_share[NFAM] = { 20, 25, 25, 5, 25 };

static atomic_ulong fam_calls[NFAM];
#define HIST_MAX	134	/* 0: success, else the errno (ECANCELED 125) */
static atomic_ulong hist[NFAM][K_TARGET + 1][HIST_MAX + 1];
static atomic_ulong nfail;
static atomic_ulong progress;		/* any call issued: the watchdog's */
static _Atomic int cur_family = -1;
static uint64_t fam_seed[NFAM];
static int kmsg_fd = -1;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static bool time_out;
/*
 * DBR_TEST_FUZZ_AVOID=own-task-destroy: never TOKEN_DESTROY a token while
 * io_uring requests the destroying thread itself submitted are in flight
 * on it. That hangs (finding 1 of the first runs: the requests finish in
 * the submitter's task work, which cannot run while it waits in
 * TOKEN_DESTROY). For exploring past it only; the default does it.
 */
static bool avoid_own_destroy;

static void kmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kmsg(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (kmsg_fd >= 0 && n > 0 && write(kmsg_fd, line, strlen(line)) < 0)
		fprintf(stderr, "note: /dev/kmsg: %s\n", strerror(errno));
}

/* One call issued in family @f: count it, and mark the log every N. */
static unsigned long count_call(int f)
{
	unsigned long n = atomic_fetch_add(&fam_calls[f], 1) + 1;

	atomic_fetch_add(&progress, 1);
	if (n % opt.marker_every == 0)
		kmsg("dbr-fuzz: case %s seed %#llx call %lu\n", family_names[f],
		     (unsigned long long)fam_seed[f], n);
	return n;
}

static _Thread_local char last_call[320];	/* for the watchdog */
static char *thread_last[64];
static atomic_uint nthread_last;

static void register_last(void)
{
	unsigned int i = atomic_fetch_add(&nthread_last, 1);

	if (i < 64)
		thread_last[i] = last_call;
}

static void failure(int f, unsigned long n, const char *desc, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
static void failure(int f, unsigned long n, const char *desc, const char *fmt,
		    ...)
{
	unsigned long k = atomic_fetch_add(&nfail, 1);
	va_list ap;

	if (k >= MAX_FAIL_PRINT)
		return;
	pthread_mutex_lock(&out_lock);
	printf("FAIL: case %s seed %#llx call %lu: %s: ", family_names[f],
	       (unsigned long long)fam_seed[f], n, desc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	kmsg("dbr-fuzz: FAIL case %s seed %#llx call %lu\n", family_names[f],
	     (unsigned long long)fam_seed[f], n);
}

/*
 * The result of one call: @res bytes/0 or -errno. @must_fail: the
 * arguments cannot be valid. @len: a READ/WRITE's length.
 */
static void check_res(int f, unsigned long n, const char *desc, enum kind k,
		      bool uring, long long res, bool must_fail, uint64_t len)
{
	struct eset s = eset_of(k, uring);

	atomic_fetch_add(&hist[f][k][res >= 0 ? 0 : -res < HIST_MAX ? -res : HIST_MAX], 1);
	if (res < 0) {
		if (!eset_has(&s, (int)-res))
			failure(f, n, desc, "%s got %s: not documented for it",
				kind_name[k], ename((int)-res));
		return;
	}
	if (k == K_UNKNOWN) {
		failure(f, n, desc, "unknown command succeeded (%lld), want ENOTTY",
			res);
		return;
	}
	if (must_fail) {
		failure(f, n, desc, "%s succeeded (%lld) with arguments that cannot be valid",
			kind_name[k], res);
		return;
	}
	if (k == K_WRITE && (uint64_t)res != len)
		failure(f, n, desc, "WRITE moved %lld of %llu bytes: all or none",
			res, (unsigned long long)len);
	else if (k == K_READ && (uint64_t)res > len)
		failure(f, n, desc, "READ returned %lld for a length of %llu",
			res, (unsigned long long)len);
	else if ((k == K_VERSION || k == K_CREATE || k == K_DESTROY) && res)
		failure(f, n, desc, "%s returned %lld, want 0", kind_name[k], res);
}

/* ---- dma-bufs ---------------------------------------------------------- */

struct dbuf {
	int fd;
	uint64_t size;
	bool rd, wr;		/* the dma-buf file's mode */
	bool texp;		/* the test exporter's: MOVE works */
	char what[32];
};

static int texp_dev = -1, udmabuf_dev = -1, vgem_fd = -1;
static bool have_bar = true;

static int open_vgem(void)
{
	char path[32], name[16];

	for (int i = 0; i < 16; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

/*
 * A new dma-buf of a random kind and size, or fd -1 if that kind is
 * missing here (udmabuf on old kernels, vgem, the BAR).
 */
static struct dbuf dbuf_new(struct rng *r)
{
	struct dbuf b = { .fd = -1, .rd = true, .wr = true };
	static const uint64_t sizes[] = { 4096, 12288, 65536, 262144, 1 << 20 };
	unsigned int pick = below(r, 100);

	b.size = sizes[below(r, 5)];
	if (pick < 55 || (pick < 70 && udmabuf_dev < 0) ||
	    (pick >= 70 && pick < 90 && vgem_fd < 0) || (pick >= 90 && !have_bar)) {
		/* the test exporter's pages, of every layout */
		uint32_t cp = 1U << (2 * below(r, 3));		/* 1, 4, 16 */
		struct dbr_texp_create c = { .shape = DBR_TEXP_SHAPE_PAGES };

		while (b.size % (cp * PAGE))
			cp >>= 1;
		c.chunk_pages = cp;
		c.nr_chunks = b.size / (cp * PAGE);
		if (pct(r, 30))
			c.flags |= DBR_TEXP_REVERSE;
		if (pct(r, 30))
			c.flags |= DBR_TEXP_DYNAMIC;
		if (pct(r, 10))
			c.flags |= DBR_TEXP_RDONLY;
		else if (pct(r, 8))
			c.flags |= DBR_TEXP_NOMAP;
		if (ioctl(texp_dev, DBR_TEXP_IOC_CREATE, &c))
			t_fail("test exporter create: %s", strerror(errno));
		b.fd = c.fd;
		b.wr = !(c.flags & DBR_TEXP_RDONLY);
		b.texp = true;
		snprintf(b.what, sizeof(b.what), "pages:%u%s%s%s%s", cp,
			 c.flags & DBR_TEXP_REVERSE ? ":rev" : "",
			 c.flags & DBR_TEXP_DYNAMIC ? ":dyn" : "",
			 c.flags & DBR_TEXP_RDONLY ? ":ro" : "",
			 c.flags & DBR_TEXP_NOMAP ? ":nomap" : "");
	} else if (pick < 70) {
		int memfd = memfd_create("uapi_fuzz", MFD_ALLOW_SEALING | MFD_CLOEXEC);
		struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
					    .size = b.size };

		if (memfd < 0 || ftruncate(memfd, b.size) ||
		    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK))
			t_fail("memfd: %s", strerror(errno));
		c.memfd = memfd;
		b.fd = ioctl(udmabuf_dev, UDMABUF_CREATE, &c);
		if (b.fd < 0)
			t_fail("UDMABUF_CREATE: %s", strerror(errno));
		close(memfd);
		snprintf(b.what, sizeof(b.what), "udmabuf");
	} else if (pick < 90) {
		struct drm_mode_create_dumb d = { .width = 1024, .bpp = 32,
						  .height = b.size / PAGE };
		struct drm_prime_handle h = { .flags = DRM_CLOEXEC };
		struct drm_gem_close gc = { 0 };

		if (ioctl(vgem_fd, DRM_IOCTL_MODE_CREATE_DUMB, &d))
			t_fail("vgem CREATE_DUMB: %s", strerror(errno));
		h.handle = d.handle;
		b.wr = !pct(r, 15);
		if (b.wr)
			h.flags |= DRM_RDWR;
		if (ioctl(vgem_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &h))
			t_fail("vgem PRIME_HANDLE_TO_FD: %s", strerror(errno));
		/* the dma-buf keeps the object; the handle can go */
		gc.handle = d.handle;
		ioctl(vgem_fd, DRM_IOCTL_GEM_CLOSE, &gc);
		b.fd = h.fd;
		snprintf(b.what, sizeof(b.what), "vgem%s", b.wr ? "" : ":ro");
	} else {
		struct dbr_texp_create c = { .shape = DBR_TEXP_SHAPE_BAR,
			.chunk_pages = 1, .nr_chunks = b.size / PAGE,
			.bar_offset = below(r, 8) << 20 };

		if (pct(r, 30))
			c.flags |= DBR_TEXP_REVERSE;
		if (ioctl(texp_dev, DBR_TEXP_IOC_CREATE, &c)) {
			if (errno != ENODEV && errno != EINVAL)
				t_fail("test exporter BAR create: %s", strerror(errno));
			have_bar = false;	/* no --p2p-bar: pages instead */
			return dbuf_new(r);
		}
		b.fd = c.fd;
		b.texp = true;
		snprintf(b.what, sizeof(b.what), "bar%s",
			 c.flags & DBR_TEXP_REVERSE ? ":rev" : "");
	}
	return b;
}

/* ---- targets ----------------------------------------------------------- */

struct tgt {
	int fd;
	enum tkind kind;
	bool rd, wr, blk;
	uint64_t size;		/* at open: offsets are drawn around it */
	char what[96];
};

static void tgt_add(struct tgt *t, unsigned int *n, int fd, enum tkind kind,
		    bool rd, bool wr, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static void tgt_add(struct tgt *t, unsigned int *n, int fd, enum tkind kind,
		    bool rd, bool wr, const char *fmt, ...)
{
	struct stat st;
	va_list ap;

	if (*n >= MAX_TGTS)
		t_fail("too many targets");
	t[*n] = (struct tgt){ .fd = fd, .kind = kind, .rd = rd, .wr = wr };
	if (fd >= 0 && !fstat(fd, &st)) {
		t[*n].blk = S_ISBLK(st.st_mode);
		t[*n].size = st.st_size;
		if (t[*n].blk && ioctl(fd, BLKGETSIZE64, &t[*n].size))
			t[*n].size = 0;
	}
	va_start(ap, fmt);
	vsnprintf(t[*n].what, sizeof(t[*n].what), fmt, ap);
	va_end(ap);
	(*n)++;
}

/*
 * Every way the paths can be opened, and descriptors that are no target at
 * all. Only --rw/--rw-nodio/--append-only/--xdev paths are ever opened
 * for writing.
 */
static unsigned int targets_open(struct tgt *t, int ctl, int dmabuf)
{
	unsigned int n = 0;
	int p[2], sv[2], fd;

	for (unsigned int i = 0; i < opt.npaths; i++) {
		const char *path = opt.paths[i];
		enum tkind k = opt.pkind[i];
		struct stat st;

		if (stat(path, &st))
			t_fail("%s: %s", path, strerror(errno));
		if (k == TK_RO || S_ISDIR(st.st_mode)) {
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				t_fail("open %s: %s", path, strerror(errno));
			tgt_add(t, &n, fd, TK_RO, true, false, "%s (ro)", path);
			fd = open(path, O_PATH | O_CLOEXEC);
			tgt_add(t, &n, fd, TK_BAD, false, false, "%s (O_PATH)", path);
			continue;
		}
		static const struct { int fl; bool rd, wr; const char *n; } m[] = {
			{ O_RDWR, true, true, "rw" },
			{ O_RDWR, true, true, "rw" },
			{ O_RDONLY, true, false, "rdonly" },
			{ O_WRONLY, false, true, "wronly" },
			{ O_RDWR | O_APPEND, true, true, "rw,append" },
			{ O_RDWR | O_DIRECT, true, true, "rw,direct" },
		};
		for (size_t j = 0; j < sizeof(m) / sizeof(m[0]); j++) {
			fd = open(path, m[j].fl | O_CLOEXEC);
			if (fd < 0 && (m[j].fl & O_DIRECT))
				continue;	/* tmpfs & co. have no O_DIRECT */
			/* append-only: no open for writing without O_APPEND */
			if (fd < 0 && errno == EPERM && k == TK_APPEND)
				continue;
			if (fd < 0)
				t_fail("open %s: %s", path, strerror(errno));
			tgt_add(t, &n, fd, k, m[j].rd, m[j].wr, "%s (%s)", path,
				m[j].n);
		}
		fd = open(path, O_PATH | O_CLOEXEC);
		tgt_add(t, &n, fd, TK_BAD, false, false, "%s (O_PATH)", path);
	}
	if (pipe2(p, O_CLOEXEC) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		t_fail("pipe: %s", strerror(errno));
	tgt_add(t, &n, p[0], TK_BAD, true, false, "pipe read end");
	tgt_add(t, &n, p[1], TK_BAD, false, true, "pipe write end");
	tgt_add(t, &n, sv[0], TK_BAD, true, true, "socket");
	tgt_add(t, &n, sv[1], TK_BAD, true, true, "socket");
	tgt_add(t, &n, eventfd(0, EFD_CLOEXEC), TK_BAD, true, true, "eventfd");
	tgt_add(t, &n, open("/dev/null", O_RDWR | O_CLOEXEC), TK_BAD, true, true,
		"/dev/null");
	fd = memfd_create("uapi_fuzz_target", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, 1 << 20))
		t_fail("memfd: %s", strerror(errno));
	tgt_add(t, &n, fd, TK_BAD, true, true, "memfd");
	tgt_add(t, &n, dup(ctl), TK_BAD, true, true, "/dev/dmabridge");
	tgt_add(t, &n, dup(dmabuf), TK_BAD, true, true, "a dma-buf");
	fd = dup(p[0]);
	close(fd);
	tgt_add(t, &n, fd, TK_BAD, false, false, "closed fd %d", fd);
	tgt_add(t, &n, -1, TK_BAD, false, false, "fd -1");
	tgt_add(t, &n, INT_MIN, TK_BAD, false, false, "fd INT_MIN");
	tgt_add(t, &n, 1 << 20, TK_BAD, false, false, "fd 2^20");
	return n;
}

static void targets_close(struct tgt *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (t[i].fd >= 0 && !strstr(t[i].what, "closed fd"))
			close(t[i].fd);
}

/* ---- a world: contexts, dma-bufs, tokens, targets ---------------------- */

struct tok {
	uint32_t id;
	int buf;		/* index in w->buf, -1: unknown */
	uint32_t flags;
	uint64_t size;
};

struct world {
	struct rng r;
	int fam;
	int ctl[NCTX];
	struct dbuf buf[MAX_BUFS];
	unsigned int nbuf;
	struct tok tok[NCTX][MAX_TOKS];
	unsigned int ntok[NCTX];
	uint32_t dead[NCTX][8];	/* ids destroyed lately */
	struct tgt tgt[MAX_TGTS];
	unsigned int ntgt;
	unsigned long n;	/* call number of the current call */
	char desc[320];
};

static int ctl_open(void)
{
	int fd = open("/dev/" DMABRIDGE_CTL_NAME, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		t_fail("open /dev/" DMABRIDGE_CTL_NAME ": %s", strerror(errno));
	return fd;
}

static struct tok *tok_find(struct world *w, int c, uint32_t id)
{
	for (unsigned int i = 0; i < w->ntok[c]; i++)
		if (w->tok[c][i].id == id)
			return &w->tok[c][i];
	return NULL;
}

static void tok_forget(struct world *w, int c, uint32_t id)
{
	struct tok *t = tok_find(w, c, id);

	if (!t)
		return;
	memmove(&w->dead[c][1], &w->dead[c][0], sizeof(w->dead[c]) - sizeof(uint32_t));
	w->dead[c][0] = id;
	*t = w->tok[c][--w->ntok[c]];
}

static int buf_of_fd(struct world *w, int fd)
{
	for (unsigned int i = 0; i < w->nbuf; i++)
		if (w->buf[i].fd == fd)
			return i;
	return -1;
}

static void tok_remember(struct world *w, int c, uint32_t id, int fd,
			 uint32_t flags, uint64_t size)
{
	if (w->ntok[c] == MAX_TOKS) {
		/* full: destroy one (the pool stays bounded) */
		struct dmabridge_token_destroy d = { .id = w->tok[c][0].id };

		if (ioctl(w->ctl[c], DMABRIDGE_IOC_TOKEN_DESTROY, &d))
			failure(w->fam, w->n, "pool trim", "TOKEN_DESTROY of live token %u: %s",
				d.id, ename(errno));
		tok_forget(w, c, d.id);
	}
	w->tok[c][w->ntok[c]++] = (struct tok){ .id = id, .buf = buf_of_fd(w, fd),
		.flags = flags, .size = size };
}

/* A valid token on context @c of a random pool buffer; false if it failed. */
static bool tok_make(struct world *w, int c)
{
	struct dmabridge_token_create a = { 0 };
	int b = below(&w->r, w->nbuf);

	a.dmabuf_fd = w->buf[b].fd;
	a.flags = (w->buf[b].wr ? DMABRIDGE_TOKEN_READ : 0) |
		  (w->buf[b].rd && pct(&w->r, 50) ? DMABRIDGE_TOKEN_WRITE : 0);
	if (!a.flags)
		a.flags = DMABRIDGE_TOKEN_WRITE;
	if (ioctl(w->ctl[c], DMABRIDGE_IOC_TOKEN_CREATE, &a)) {
		failure(w->fam, w->n, "pool fill", "TOKEN_CREATE of %s: %s",
			w->buf[b].what, ename(errno));
		return false;
	}
	tok_remember(w, c, a.id, a.dmabuf_fd, a.flags, a.size);
	return true;
}

static void world_init(struct world *w, int fam, unsigned int nbuf)
{
	memset(w, 0, sizeof(*w));
	w->fam = fam;
	w->r.s = fam_seed[fam];
	for (int c = 0; c < NCTX; c++)
		w->ctl[c] = ctl_open();
	for (unsigned int i = 0; i < nbuf; i++)
		w->buf[w->nbuf++] = dbuf_new(&w->r);
	w->ntgt = targets_open(w->tgt, w->ctl[0], w->buf[0].fd);
	for (int c = 0; c < NCTX; c++)
		for (int i = 0; i < 8; i++)
			tok_make(w, c);
}

static void world_fini(struct world *w)
{
	for (int c = 0; c < NCTX; c++)
		close(w->ctl[c]);
	for (unsigned int i = 0; i < w->nbuf; i++)
		close(w->buf[i].fd);
	targets_close(w->tgt, w->ntgt);
}

/* Scratch files grow with random WRITEs: cut them back now and then. */
static void world_trim(struct world *w)
{
	for (unsigned int i = 0; i < w->ntgt; i++) {
		struct tgt *t = &w->tgt[i];

		if (t->kind == TK_GOOD && t->wr && !t->blk && t->fd >= 0)
			if (ftruncate(t->fd, t->size))
				t_fail("ftruncate %s: %s", t->what, strerror(errno));
	}
}

/* ---- argument generation ----------------------------------------------- */

static uint64_t special64(struct world *w, uint64_t tsize, uint64_t fsize)
{
	const uint64_t v[] = {
		0, 1, 7, 8, 511, 512, 513, 4095, 4096, 65536, tsize, tsize - 512,
		tsize + 512, tsize - 4096, fsize, fsize - 512, fsize + 512,
		1ULL << 31, (1ULL << 31) - 512, 1ULL << 32, (1ULL << 32) - 512,
		DMABRIDGE_IO_MAX_LEN, DMABRIDGE_IO_MAX_LEN + 512ULL,
		DMABRIDGE_IO_MAX_LEN + 1ULL, 0xfffffff000ULL /* ext4 s_maxbytes */,
		0x7fffffffffffffffULL, 0x7ffffffffffffe00ULL, 1ULL << 63,
		-512ULL, -4096ULL, -1ULL, -(uint64_t)tsize,
	};

	return v[below(&w->r, sizeof(v) / sizeof(v[0]))];
}

/* A file offset around the target's size, block aligned. */
static uint64_t foff_for(struct world *w, const struct tgt *t, uint64_t len)
{
	uint64_t span = t->size > len ? t->size - len : 0;

	if (!t->blk && pct(&w->r, 20))
		span = t->size + (1 << 20);	/* also past EOF */
	return below(&w->r, span / LBS + 1) * LBS;
}

static uint64_t len_for(struct world *w, uint64_t tsize)
{
	uint64_t max = tsize < (256 << 10) ? tsize : (256 << 10);

	if (max < LBS)
		return LBS;
	if (pct(&w->r, 60))
		max = max < 16384 ? max : 16384;
	return (below(&w->r, max / LBS) + 1) * LBS;
}

static struct tgt *pick_target(struct world *w, bool is_read)
{
	/* mostly scratch that can work; sometimes anything */
	for (int tries = 0; tries < 20 && pct(&w->r, 85); tries++) {
		struct tgt *t = &w->tgt[below(&w->r, w->ntgt)];

		if (t->kind == TK_GOOD && (is_read ? t->rd : t->wr))
			return t;
	}
	return &w->tgt[below(&w->r, w->ntgt)];
}

/* The target record of fd @fd, if it is one of ours. */
static struct tgt *tgt_of_fd(struct world *w, int fd)
{
	for (unsigned int i = 0; i < w->ntgt; i++)
		if (w->tgt[i].fd == fd)
			return &w->tgt[i];
	return NULL;
}

/* Can a READ/WRITE with these exact arguments on context @c never work? */
static bool io_must_fail(struct world *w, int c, const struct dmabridge_io *io,
			 bool is_read)
{
	struct tok *tk = tok_find(w, c, io->token);
	struct tgt *t;

	if (io->flags || io->reserved0 || io->reserved[0] || io->reserved[1] ||
	    !io->length || io->length > DMABRIDGE_IO_MAX_LEN ||
	    ((io->token_offset | io->file_offset | io->length) & (LBS - 1)))
		return true;
	if (!tk)
		return true;	/* the pool knows every live token of the world */
	if (!(tk->flags & (is_read ? DMABRIDGE_TOKEN_READ : DMABRIDGE_TOKEN_WRITE)))
		return true;
	if (io->token_offset >= tk->size || io->length > tk->size - io->token_offset)
		return true;
	t = tgt_of_fd(w, io->fd);
	if (!t)
		return false;	/* some other descriptor of ours: anything goes */
	if (t->kind == TK_BAD || t->kind == TK_XDEV)
		return true;
	if (is_read)
		return !t->rd;
	return !t->wr || t->kind == TK_NODIO || t->kind == TK_APPEND ||
	       t->kind == TK_RO;
}

/* A valid-looking READ/WRITE on context @c, then 0-3 mutations. */
static struct dmabridge_io io_gen(struct world *w, int c, bool *is_read)
{
	struct dmabridge_io io = { 0 };
	struct tok *tk = NULL;
	struct tgt *t;
	uint64_t tsize = 65536;

	if (w->ntok[c] && pct(&w->r, 92)) {
		tk = &w->tok[c][below(&w->r, w->ntok[c])];
		tsize = tk->size;
		*is_read = tk->flags == DMABRIDGE_TOKEN_FLAGS_ALL ? pct(&w->r, 50) :
			   tk->flags == DMABRIDGE_TOKEN_READ;
		if (pct(&w->r, 4))
			*is_read = !*is_read;
		io.token = tk->id;
	} else {
		*is_read = pct(&w->r, 50);
		io.token = pct(&w->r, 50) ? w->dead[c][below(&w->r, 8)] :
			   (uint32_t)below(&w->r, 200);
	}
	t = pick_target(w, *is_read);
	io.fd = t->fd;
	io.length = len_for(w, tsize);
	if (io.length > tsize)
		io.length = tsize & ~(LBS - 1);
	io.token_offset = below(&w->r, (tsize - io.length) / LBS + 1) * LBS;
	io.file_offset = foff_for(w, t, io.length);
	io.tag = rnd(&w->r);

	for (int m = pct(&w->r, 30) ? 0 : 1 + below(&w->r, 3); m > 0; m--) {
		unsigned int field = below(&w->r, 10);
		__u64 *f64 = NULL;
		uint32_t *f32 = NULL;

		switch (field) {
		case 0: f32 = &io.token; break;
		case 1: f32 = (uint32_t *)&io.fd; break;
		case 2: f64 = &io.token_offset; break;
		case 3: f64 = &io.file_offset; break;
		case 4: f64 = &io.length; break;
		case 5: f32 = &io.flags; break;
		case 6: f32 = &io.reserved0; break;
		case 7: f64 = &io.reserved[0]; break;
		case 8: f64 = &io.reserved[1]; break;
		default: f64 = &io.tag; break;
		}
		switch (below(&w->r, 5)) {
		case 0:		/* one bit */
			if (f64)
				*f64 ^= 1ULL << below(&w->r, 64);
			else
				*f32 ^= 1U << below(&w->r, 32);
			break;
		case 1:		/* a value at an edge */
			if (f64)
				*f64 = special64(w, tsize, t->size);
			else if (field == 0)
				*f32 = (uint32_t[]){ 0, 1, 2, 65535, 65536, 65537,
					0x7fffffff, 0xffffffff }[below(&w->r, 8)];
			else if (field == 1)
				*f32 = w->tgt[below(&w->r, w->ntgt)].fd;
			else
				*f32 = 1U << below(&w->r, 32);
			break;
		case 2:		/* a small step */
			if (f64)
				*f64 += (int64_t[]){ -4096, -512, -1, 1, 8, 512,
					4096 }[below(&w->r, 7)];
			else
				*f32 += below(&w->r, 3) - 1;
			break;
		case 3:		/* anything */
			if (f64)
				*f64 = rnd(&w->r);
			else
				*f32 = rnd(&w->r);
			break;
		default:	/* another token: of the other context, destroyed */
			io.token = pct(&w->r, 50) && w->ntok[!c] ?
				   w->tok[!c][below(&w->r, w->ntok[!c])].id :
				   w->dead[c][below(&w->r, 8)];
			break;
		}
	}
	return io;
}

static void io_desc(char *s, size_t n, const char *how, int c, bool is_read,
		    const struct dmabridge_io *io, struct world *w)
{
	struct tgt *t = tgt_of_fd(w, io->fd);
	struct tok *tk = tok_find(w, c, io->token);

	snprintf(s, n, "%s %s ctx%d {token %u%s%s fd %d (%s) token_offset %#llx "
		 "file_offset %#llx length %#llx flags %#x reserved0 %#x "
		 "reserved %#llx %#llx}",
		 how, is_read ? "READ" : "WRITE", c, io->token,
		 tk ? " " : " (not live)", tk && tk->buf >= 0 ?
		 w->buf[tk->buf].what : "", io->fd, t ? t->what : "?",
		 (unsigned long long)io->token_offset,
		 (unsigned long long)io->file_offset,
		 (unsigned long long)io->length, io->flags, io->reserved0,
		 (unsigned long long)io->reserved[0],
		 (unsigned long long)io->reserved[1]);
}

/* ---- argument memory: valid, read-only, straddling, unmapped ----------- */

struct argmem {
	uint8_t *rw;		/* RW page, then a PROT_NONE page */
	uint8_t *ro;		/* RO page */
	uint8_t *none;		/* PROT_NONE page */
};

static struct argmem argmem_new(void)
{
	struct argmem a;
	uint8_t *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	a.rw = p;
	a.none = p + PAGE;
	a.ro = p + 2 * PAGE;
	if (mprotect(a.none, PAGE, PROT_NONE) || mprotect(p + 3 * PAGE, PAGE, PROT_NONE) ||
	    mprotect(a.ro, PAGE, PROT_READ))
		t_fail("mprotect: %s", strerror(errno));
	return a;
}

enum ptrkind { P_OK, P_END, P_RO, P_STRADDLE, P_NULL, P_NONE, P_KERNEL,
	       P_NONCANON, P_RANDOM, NPTR };
static const char *const ptr_name[] = {
	"ok", "page-end", "read-only", "straddling", "NULL", "unmapped",
	"kernel", "non-canonical", "random",
};

/*
 * Place @len bytes of @src as the argument of kind @k; return the pointer.
 * *@faults: the kernel cannot copy the argument in.
 */
static void *arg_place(struct argmem *a, enum ptrkind k, const void *src,
		       size_t len, struct rng *r, bool *faults)
{
	uint8_t *p;

	*faults = true;
	switch (k) {
	case P_OK:
		p = a->rw + below(r, 64) * 8;
		memcpy(p, src, len);
		*faults = false;
		return p;
	case P_END:
		p = a->none - len;
		memcpy(p, src, len);
		*faults = false;
		return p;
	case P_RO:
		if (mprotect(a->ro, PAGE, PROT_READ | PROT_WRITE))
			t_fail("mprotect: %s", strerror(errno));
		memcpy(a->ro, src, len);
		if (mprotect(a->ro, PAGE, PROT_READ))
			t_fail("mprotect: %s", strerror(errno));
		*faults = false;	/* in: fine; out: EFAULT */
		return a->ro;
	case P_STRADDLE:
		p = a->none - (len > 1 ? 1 + below(r, len - 1) : 0);
		memcpy(p, src, a->none - p);
		return p;
	case P_NULL:
		return NULL;
	case P_NONE:
		return a->none + below(r, PAGE);
	case P_KERNEL:
		return (void *)(uintptr_t)(0xffffffff81000000ULL + below(r, 1 << 24));
	case P_NONCANON:
		return (void *)(uintptr_t)(0x8000000000000000ULL ^ rnd(r) >> 4);
	default:
		return (void *)(uintptr_t)rnd(r);
	}
}

/* ---- family: ioctl-random ---------------------------------------------- */

/* Types whose commands the VFS handles before the driver (FIOCLEX, ...). */
static bool vfs_type(unsigned int type)
{
	return type == 0x00 || type == 'T' || type == 'X' || type == 'f' ||
	       type == 0x94 || type == 0x15;
}

static unsigned long random_cmd(struct rng *r)
{
	static const unsigned long ours[] = {
		DMABRIDGE_IOC_VERSION, DMABRIDGE_IOC_TOKEN_CREATE,
		DMABRIDGE_IOC_TOKEN_DESTROY, DMABRIDGE_IOC_READ, DMABRIDGE_IOC_WRITE,
	};
	static const unsigned int sizes[] = { 0, 4, 8, 15, 16, 24, 39, 40, 41,
					      63, 64, 65, 128, 4096 };
	unsigned int type, nr, size, dir;

	if (pct(r, 25))
		return ours[below(r, 5)];
	do {
		unsigned int p = below(r, 100);

		type = p < 45 ? DMABRIDGE_IOC_MAGIC : p < 65 ? 0xDB : below(r, 256);
	} while (vfs_type(type));
	nr = pct(r, 70) ? below(r, 0x20) : below(r, 256);
	size = pct(r, 50) ? sizes[below(r, 14)] : below(r, 1 << 14);
	dir = below(r, 4);
	if (pct(r, 3))
		return (unsigned long)rnd(r);	/* bits above 32 too */
	return ((unsigned long)dir << _IOC_DIRSHIFT) | (type << _IOC_TYPESHIFT) |
	       (nr << _IOC_NRSHIFT) | ((unsigned long)size << _IOC_SIZESHIFT);
}

static size_t kind_size(enum kind k)
{
	switch (k) {
	case K_VERSION: return sizeof(struct dmabridge_version);
	case K_CREATE: return sizeof(struct dmabridge_token_create);
	case K_DESTROY: return sizeof(struct dmabridge_token_destroy);
	case K_READ:
	case K_WRITE: return sizeof(struct dmabridge_io);
	case K_TARGET: return sizeof(struct dmabridge_target);
	default: return 64;
	}
}

/*
 * Issue one ioctl of kind @k on context @c with argument @arg (@len
 * bytes) placed as @pk; check the result against what the arguments allow.
 * @must_fail: the arguments themselves are invalid.
 */
static long long do_ioctl(struct world *w, struct argmem *am, int c,
			  unsigned long cmd, void *arg, size_t len,
			  enum ptrkind pk, bool must_fail, const char *desc0)
{
	enum kind k = kind_of(cmd);
	bool faults = false;
	uint64_t copy[8], iolen = 0;
	void *p;
	long r;
	long long res;

	memcpy(copy, arg, len < sizeof(copy) ? len : sizeof(copy));
	p = arg_place(am, pk, arg, len, &w->r, &faults);
	snprintf(w->desc, sizeof(w->desc), "ioctl(ctx%d, %#lx %s, %s arg%s%s)",
		 c, cmd, kind_name[k], ptr_name[pk], desc0 ? ": " : "",
		 desc0 ? desc0 : "");
	snprintf(last_call, sizeof(last_call), "%s", w->desc);
	w->n = count_call(w->fam);
	r = ioctl(w->ctl[c], cmd, p);
	res = r < 0 ? -errno : r;
	if (k != K_UNKNOWN && faults && res != -EFAULT) {
		failure(w->fam, w->n, w->desc, "%s with an argument the kernel cannot read: got %s, want EFAULT",
			kind_name[k], res < 0 ? ename(-res) : "success");
		return res;
	}
	/* output through a read-only pointer cannot work */
	if (pk == P_RO && (k == K_VERSION || k == K_CREATE))
		must_fail = true;
	if (k == K_READ || k == K_WRITE) {
		struct dmabridge_io io;

		memcpy(&io, copy, sizeof(io));
		iolen = io.length;
	}
	check_res(w->fam, w->n, w->desc, k, false, res, must_fail, iolen);
	/* keep the pool exact: what a call created or destroyed */
	if (!res && k == K_CREATE && pk != P_RO) {
		struct dmabridge_token_create *a = p;

		if (!a->id)
			failure(w->fam, w->n, w->desc, "TOKEN_CREATE returned id 0");
		else if (tok_find(w, c, a->id))
			failure(w->fam, w->n, w->desc, "TOKEN_CREATE returned id %u, which is live",
				a->id);
		else
			tok_remember(w, c, a->id, a->dmabuf_fd, a->flags, a->size);
		if (buf_of_fd(w, a->dmabuf_fd) >= 0 &&
		    a->size != w->buf[buf_of_fd(w, a->dmabuf_fd)].size)
			failure(w->fam, w->n, w->desc, "token size %llu, dma-buf %llu",
				(unsigned long long)a->size,
				(unsigned long long)w->buf[buf_of_fd(w, a->dmabuf_fd)].size);
	} else if (!res && k == K_DESTROY) {
		struct dmabridge_token_destroy d;

		memcpy(&d, copy, sizeof(d));
		tok_forget(w, c, d.id);
	} else if (!res && k == K_VERSION && pk != P_RO) {
		struct dmabridge_version *v = p;

		if (v->major != DMABRIDGE_ABI_MAJOR || v->minor != DMABRIDGE_ABI_MINOR ||
		    v->flags || v->reserved)
			failure(w->fam, w->n, w->desc, "VERSION %u.%u flags %#x reserved %#x",
				v->major, v->minor, v->flags, v->reserved);
	}
	return res;
}

static bool create_must_fail(struct world *w, const struct dmabridge_token_create *a)
{
	int b = buf_of_fd(w, a->dmabuf_fd);
	struct tgt *t = tgt_of_fd(w, a->dmabuf_fd);

	if (!a->flags || (a->flags & ~DMABRIDGE_TOKEN_FLAGS_ALL) || a->id ||
	    a->reserved0 || a->size || a->reserved[0] || a->reserved[1])
		return true;
	if (b >= 0)
		return ((a->flags & DMABRIDGE_TOKEN_READ) && !w->buf[b].wr) ||
		       ((a->flags & DMABRIDGE_TOKEN_WRITE) && !w->buf[b].rd);
	/* a target that is not the dma-buf we dup'ed into the list */
	return t && !strstr(t->what, "dma-buf");
}

static bool destroy_must_fail(struct world *w, int c,
			      const struct dmabridge_token_destroy *d)
{
	return d->flags || d->reserved || !d->id || !tok_find(w, c, d->id);
}

static bool version_must_fail(const struct dmabridge_version *v)
{
	return v->flags || v->reserved;
}

/* Did the random family's bytes for @k make arguments that cannot work? */
static bool must_fail_bytes(struct world *w, int c, enum kind k, const void *b)
{
	switch (k) {
	case K_VERSION: return version_must_fail(b);
	case K_CREATE: return create_must_fail(w, b);
	case K_DESTROY: return destroy_must_fail(w, c, b);
	case K_READ: return io_must_fail(w, c, b, true);
	case K_WRITE: return io_must_fail(w, c, b, false);
	default: return false;
	}
}

static enum ptrkind random_ptr(struct rng *r)
{
	unsigned int p = below(r, 100);

	if (p < 55)
		return P_OK;
	if (p < 62)
		return P_END;
	if (p < 70)
		return P_RO;
	return P_STRADDLE + below(r, NPTR - P_STRADDLE);
}

static void fam_random(unsigned long quota, double deadline)
{
	struct argmem am = argmem_new();
	struct world w;
	union {
		uint64_t w[8];
		struct dmabridge_version v;
		struct dmabridge_token_create c;
		struct dmabridge_token_destroy d;
		struct dmabridge_io io;
	} bytes;

	world_init(&w, F_RANDOM, 6);
	for (unsigned long i = 0; i < quota && now() < deadline; i++) {
		unsigned long cmd = random_cmd(&w.r);
		enum kind k = kind_of(cmd);
		int c = below(&w.r, NCTX);
		size_t len = kind_size(k);

		for (size_t j = 0; j < 8; j++)
			bytes.w[j] = rnd(&w.r);
		/* now and then the must-be-zero words zero, to get further in */
		if (k != K_UNKNOWN && pct(&w.r, 30)) {
			if (k == K_VERSION) {
				bytes.v.flags = bytes.v.reserved = 0;
			} else if (k == K_CREATE) {
				struct dmabridge_token_create a = { 0 };

				a.dmabuf_fd = pct(&w.r, 60) ?
					w.buf[below(&w.r, w.nbuf)].fd :
					(int32_t)below(&w.r, 64);
				a.flags = below(&w.r, 5);
				bytes.c = a;
			} else if (k == K_DESTROY) {
				struct dmabridge_token_destroy d = {
					.id = pct(&w.r, 50) && w.ntok[c] ?
					w.tok[c][below(&w.r, w.ntok[c])].id :
					(uint32_t)below(&w.r, 100) };

				bytes.d = d;
			} else if (k == K_TARGET) {
				/*
				 * Random bytes only: a registration that
				 * worked would make FIXED_TARGET requests
				 * valid, which io_must_fail() rules out.
				 */
			} else {
				struct dmabridge_io *io = &bytes.io;

				io->flags = io->reserved0 = 0;
				io->reserved[0] = io->reserved[1] = 0;
				if (pct(&w.r, 50) && w.ntok[c])
					io->token = w.tok[c][below(&w.r, w.ntok[c])].id;
				if (pct(&w.r, 50))
					io->fd = w.tgt[below(&w.r, w.ntgt)].fd;
			}
		}
		do_ioctl(&w, &am, c, cmd, &bytes, len, random_ptr(&w.r),
			 must_fail_bytes(&w, c, k, &bytes), NULL);
		if (i % 2000 == 1999)
			world_trim(&w);
	}
	world_fini(&w);
	munmap(am.rw, 4 * PAGE);
}

/* ---- family: ioctl-mutate ---------------------------------------------- */

static int pick_dmabuf_fd(struct world *w)
{
	unsigned int p = below(&w->r, 100);

	if (p < 80)
		return w->buf[below(&w->r, w->nbuf)].fd;
	if (p < 95)
		return w->tgt[below(&w->r, w->ntgt)].fd;
	return p < 97 ? w->ctl[0] : (int)rnd(&w->r);
}

static void mutate32(struct world *w, uint32_t *f)
{
	switch (below(&w->r, 4)) {
	case 0: *f ^= 1U << below(&w->r, 32); break;
	case 1: *f = (uint32_t[]){ 0, 1, 2, 3, 4, 0x80000000, 0xffffffff }[below(&w->r, 7)]; break;
	case 2: *f += below(&w->r, 3) - 1; break;
	default: *f = rnd(&w->r); break;
	}
}

static void mutate64(struct world *w, __u64 *f)
{
	switch (below(&w->r, 3)) {
	case 0: *f ^= 1ULL << below(&w->r, 64); break;
	case 1: *f = special64(w, 65536, 1 << 20); break;
	default: *f = rnd(&w->r); break;
	}
}

static void mut_create(struct world *w, struct argmem *am, enum ptrkind pk)
{
	struct dmabridge_token_create a = { 0 };
	int c = below(&w->r, NCTX);
	char d[160];

	a.dmabuf_fd = pick_dmabuf_fd(w);
	a.flags = 1 + below(&w->r, 3);
	for (int m = pct(&w->r, 40) ? 0 : 1 + below(&w->r, 2); m > 0; m--) {
		switch (below(&w->r, 8)) {
		case 0: mutate32(w, (uint32_t *)&a.dmabuf_fd); break;
		case 1: mutate32(w, &a.flags); break;
		case 2: mutate32(w, &a.id); break;
		case 3: mutate32(w, &a.reserved0); break;
		case 4: mutate64(w, &a.size); break;
		case 5: mutate64(w, &a.reserved[0]); break;
		case 6: mutate64(w, &a.reserved[1]); break;
		default: a.dmabuf_fd = pick_dmabuf_fd(w); break;
		}
	}
	snprintf(d, sizeof(d), "{dmabuf_fd %d (%s) flags %#x id %u ...}", a.dmabuf_fd,
		 buf_of_fd(w, a.dmabuf_fd) >= 0 ? w->buf[buf_of_fd(w, a.dmabuf_fd)].what :
		 tgt_of_fd(w, a.dmabuf_fd) ? tgt_of_fd(w, a.dmabuf_fd)->what : "?",
		 a.flags, a.id);
	do_ioctl(w, am, c, DMABRIDGE_IOC_TOKEN_CREATE, &a, sizeof(a), pk,
		 create_must_fail(w, &a), d);
}

static void mut_destroy(struct world *w, struct argmem *am, enum ptrkind pk)
{
	struct dmabridge_token_destroy dd = { 0 };
	int c = below(&w->r, NCTX);
	unsigned int p = below(&w->r, 100);
	char d[64];

	if (p < 55 && w->ntok[c])
		dd.id = w->tok[c][below(&w->r, w->ntok[c])].id;
	else if (p < 70)
		dd.id = w->dead[c][below(&w->r, 8)];
	else if (p < 80 && w->ntok[!c])
		dd.id = w->tok[!c][below(&w->r, w->ntok[!c])].id;
	else
		dd.id = (uint32_t[]){ 0, 1, 65536, 65537, 0xffffffff,
				      (uint32_t)rnd(&w->r) }[below(&w->r, 6)];
	if (pct(&w->r, 25)) {
		if (pct(&w->r, 50))
			mutate32(w, &dd.flags);
		else
			mutate64(w, &dd.reserved);
	}
	snprintf(d, sizeof(d), "{id %u flags %#x reserved %#llx}", dd.id, dd.flags,
		 (unsigned long long)dd.reserved);
	do_ioctl(w, am, c, DMABRIDGE_IOC_TOKEN_DESTROY, &dd, sizeof(dd), pk,
		 destroy_must_fail(w, c, &dd), d);
}

static void mut_version(struct world *w, struct argmem *am, enum ptrkind pk)
{
	struct dmabridge_version v = { 0 };

	for (int m = below(&w->r, 3); m > 0; m--)
		mutate32(w, (uint32_t *)&v + below(&w->r, 4));
	do_ioctl(w, am, below(&w->r, NCTX), DMABRIDGE_IOC_VERSION, &v, sizeof(v),
		 pk, version_must_fail(&v), NULL);
}

static void mut_io(struct world *w, struct argmem *am, enum ptrkind pk)
{
	int c = below(&w->r, NCTX);
	bool is_read;
	struct dmabridge_io io = io_gen(w, c, &is_read);
	char d[320];

	io_desc(d, sizeof(d), "", c, is_read, &io, w);
	do_ioctl(w, am, c, is_read ? DMABRIDGE_IOC_READ : DMABRIDGE_IOC_WRITE,
		 &io, sizeof(io), pk, io_must_fail(w, c, &io, is_read), d);
}

static void fam_mutate(unsigned long quota, double deadline)
{
	struct argmem am = argmem_new();
	struct world w;

	world_init(&w, F_MUTATE, 10);
	for (unsigned long i = 0; i < quota && now() < deadline; i++) {
		unsigned int p = below(&w.r, 100);
		enum ptrkind pk = pct(&w.r, 90) ? (pct(&w.r, 85) ? P_OK : P_END) :
				  random_ptr(&w.r);

		if (p < 12)
			mut_create(&w, &am, pk);
		else if (p < 24)
			mut_destroy(&w, &am, pk);
		else if (p < 28)
			mut_version(&w, &am, pk);
		else
			mut_io(&w, &am, pk);
		/* keep some tokens around */
		for (int c = 0; c < NCTX; c++)
			if (w.ntok[c] < 3)
				tok_make(&w, c);
		if (i % 2000 == 1999)
			world_trim(&w);
	}
	world_fini(&w);
	munmap(am.rw, 4 * PAGE);
}

/* ---- io_uring ---------------------------------------------------------- */

struct ring {
	struct io_uring ring;
	unsigned int flags;
	bool fixed;		/* ctl fds registered as fixed files 0 and 1 */
	unsigned int pending;	/* a dead thread's requests not reaped yet */
	char what[48];
};

static int ring_init(struct ring *rg, unsigned int entries, unsigned int flags,
		     const int *ctl)
{
	struct io_uring_params p = { .flags = flags, .sq_thread_idle = 20 };
	int ret;

	memset(rg, 0, sizeof(*rg));
	rg->flags = flags;
	ret = io_uring_queue_init_params(entries, &rg->ring, &p);
	if (ret)
		return ret;
	snprintf(rg->what, sizeof(rg->what), "%s%s%s%s%s",
		 flags & IORING_SETUP_SQE128 ? "SQE128" : "SQE64",
		 flags & IORING_SETUP_CQE32 ? "|CQE32" : "",
		 flags & IORING_SETUP_DEFER_TASKRUN ? "|DEFER_TASKRUN" : "",
		 flags & IORING_SETUP_SQPOLL ? "|SQPOLL" : "",
		 ctl ? "|fixed" : "");
	if (ctl) {
		ret = io_uring_register_files(&rg->ring, ctl, NCTX);
		if (ret) {
			io_uring_queue_exit(&rg->ring);
			return ret;
		}
		rg->fixed = true;
	}
	return 0;
}

/* One SQE's record until its completion. */
struct pend {
	bool used, is_rw, is_read, must_fail, want_einval, cancel;
	uint64_t tag, len;
	char desc[320];
	unsigned long n;
};

#define BATCH_MAX	64

struct batch {
	struct pend p[BATCH_MAX];
	unsigned int n, done;
	uint64_t gen;
};

static struct io_uring_sqe *sqe_get(struct ring *rg)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rg->ring);

	if (!sqe) {
		io_uring_submit(&rg->ring);
		sqe = io_uring_get_sqe(&rg->ring);
	}
	if (!sqe)
		t_fail("submission queue full");
	return sqe;
}

/* Prepare a URING_CMD SQE on context @c (a fixed file on @rg if it has). */
static struct io_uring_sqe *prep_cmd(struct ring *rg, int ctlfd, int c,
				     uint32_t cmd_op, const void *cmd,
				     size_t cmdlen, bool fixed)
{
	struct io_uring_sqe *sqe = sqe_get(rg);
	size_t room = rg->flags & IORING_SETUP_SQE128 ? 80 : 16;

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fixed ? c : ctlfd, NULL, 0, 0);
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	sqe->cmd_op = cmd_op;
	memcpy(sqe->cmd, cmd, cmdlen < room ? cmdlen : room);
	return sqe;
}

/*
 * Wait for all of @b's completions (at most @secs) and check them. A
 * request without a completion after that long is a hang.
 */
static void batch_reap(int fam, struct ring *rg, struct batch *b, double secs)
{
	double end = now() + secs;

	while (b->done < b->n) {
		struct __kernel_timespec ts = { .tv_sec = 1 };
		struct io_uring_cqe *cqe;
		struct pend *p;
		uint64_t i;
		int ret;

		ret = io_uring_wait_cqe_timeout(&rg->ring, &cqe, &ts);
		if (ret == -ETIME || ret == -EINTR) {
			if (now() < end)
				continue;
			for (unsigned int j = 0; j < b->n; j++)
				if (b->p[j].used)
					failure(fam, b->p[j].n, b->p[j].desc,
						"no completion after %.0f s on a %s ring: a hang",
						secs, rg->what);
			t_fail("io_uring requests never completed");
		}
		if (ret)
			t_fail("io_uring_wait_cqe: %s", strerror(-ret));
		i = cqe->user_data & 0xffff;
		p = &b->p[i];
		if (cqe->user_data >> 16 != b->gen || i >= b->n || !p->used) {
			failure(fam, 0, rg->what, "completion with user_data %#llx (res %d): "
				"not in flight", (unsigned long long)cqe->user_data, cqe->res);
			io_uring_cqe_seen(&rg->ring, cqe);
			continue;
		}
		p->used = false;
		b->done++;
		if (p->cancel) {
			/* io_uring's own: found, not found, too late */
			if (cqe->res && cqe->res != -ENOENT && cqe->res != -EALREADY &&
			    cqe->res != -ECANCELED)
				failure(fam, p->n, p->desc, "ASYNC_CANCEL: %s", ename(-cqe->res));
		} else if (p->want_einval) {
			atomic_fetch_add(&hist[fam][p->is_read ? K_READ : K_WRITE]
					 [cqe->res >= 0 ? 0 : -cqe->res < HIST_MAX ?
					  -cqe->res : HIST_MAX], 1);
			if (cqe->res != -EINVAL && cqe->res != -ECANCELED)
				failure(fam, p->n, p->desc, "on a %s ring: got %s, want EINVAL",
					rg->what, cqe->res < 0 ? ename(-cqe->res) : "success");
		} else {
			check_res(fam, p->n, p->desc,
				  p->is_rw ? (p->is_read ? K_READ : K_WRITE) : K_UNKNOWN,
				  true, cqe->res, p->must_fail, p->len);
			if (p->is_rw && (rg->flags & IORING_SETUP_CQE32) &&
			    cqe->res != -ECANCELED && cqe->big_cqe[0] != p->tag)
				failure(fam, p->n, p->desc, "big_cqe[0] %#llx, want the tag %#llx (res %d)",
					(unsigned long long)cqe->big_cqe[0],
					(unsigned long long)p->tag, cqe->res);
		}
		io_uring_cqe_seen(&rg->ring, cqe);
	}
	b->n = b->done = 0;
	b->gen++;
}

static double reap_secs = 180;

struct later_destroy {
	int ctl;
	uint32_t id;
	unsigned int delay_us;
	int ret, err;
};

static void *destroy_thread(void *arg)
{
	struct later_destroy *ld = arg;
	struct dmabridge_token_destroy d = { .id = ld->id };

	usleep(ld->delay_us);
	ld->ret = ioctl(ld->ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d);
	ld->err = errno;
	return NULL;
}

static void fam_uring(unsigned long quota, double deadline)
{
	static const unsigned int variants[] = {
		IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
		IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
		IORING_SETUP_SQE128,
		IORING_SETUP_SQE128 | IORING_SETUP_CQE32 |
			IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SQE128 | IORING_SETUP_CQE32 | IORING_SETUP_SQPOLL,
	};
	enum { NVAR = sizeof(variants) / sizeof(variants[0]) };
	struct ring rings[NVAR * 2];
	struct batch *b = calloc(1, sizeof(*b));
	unsigned int nring = 0;
	unsigned long i = 0;
	struct world w;

	world_init(&w, F_URING, 10);
	for (unsigned int v = 0; v < NVAR * 2; v++) {
		int ret = ring_init(&rings[nring], 64, variants[v % NVAR],
				    v >= NVAR ? w.ctl : NULL);

		if (ret == -EINVAL && (variants[v % NVAR] & IORING_SETUP_DEFER_TASKRUN))
			continue;	/* an io_uring without it */
		if (ret)
			t_fail("io_uring setup %#x: %s", variants[v % NVAR], strerror(-ret));
		nring++;
	}
	while (i < quota && now() < deadline) {
		struct ring *rg = &rings[below(&w.r, nring)];
		unsigned int nb = 1 + below(&w.r, pct(&w.r, 50) ? 8 : 48);
		bool async = pct(&w.r, 30);

		for (unsigned int k = 0; k < nb && i < quota; k++, i++) {
			struct pend *p = &b->p[b->n];
			struct io_uring_sqe *sqe;
			int c = below(&w.r, NCTX);
			bool fixed = rg->fixed && pct(&w.r, 70);
			bool is_read;
			struct dmabridge_io io = io_gen(&w, c, &is_read);
			uint32_t op = is_read ? DMABRIDGE_IOC_READ : DMABRIDGE_IOC_WRITE;

			*p = (struct pend){ .used = true, .is_rw = true,
					    .is_read = is_read, .tag = io.tag,
					    .len = io.length };
			if (pct(&w.r, 6)) {	/* random cmd_op: ENOTTY */
				op = pct(&w.r, 50) ? (uint32_t)rnd(&w.r) :
				     (uint32_t)random_cmd(&w.r);
				p->is_rw = kind_of(op) == K_READ || kind_of(op) == K_WRITE;
				p->is_read = kind_of(op) == K_READ;
			}
			p->must_fail = p->is_rw && io_must_fail(&w, c, &io, p->is_read);
			io_desc(p->desc, sizeof(p->desc), rg->what, c, p->is_read, &io, &w);
			if (!p->is_rw)
				snprintf(p->desc + strlen(p->desc),
					 sizeof(p->desc) - strlen(p->desc),
					 " cmd_op %#x", op);
			sqe = prep_cmd(rg, w.ctl[c], c, op, &io, sizeof(io), fixed);
			if (async || pct(&w.r, 10))
				sqe->flags |= IOSQE_ASYNC;
			/* a link: a failure cancels the rest of the chain */
			if (k + 1 < nb && pct(&w.r, 5))
				sqe->flags |= IOSQE_IO_LINK;
			io_uring_sqe_set_data64(sqe, b->gen << 16 | b->n);
			p->n = count_call(F_URING);
			snprintf(last_call, sizeof(last_call), "%s", p->desc);
			b->n++;
			if (pct(&w.r, 3) && b->n < BATCH_MAX) {
				struct pend *q = &b->p[b->n];

				sqe = sqe_get(rg);
				io_uring_prep_cancel64(sqe, b->gen << 16 | (b->n - 1), 0);
				io_uring_sqe_set_data64(sqe, b->gen << 16 | b->n);
				*q = (struct pend){ .used = true, .cancel = true, .n = p->n };
				snprintf(q->desc, sizeof(q->desc),
					 "ASYNC_CANCEL of the request of call %lu", p->n);
				b->n++;
			}
			if (b->n >= BATCH_MAX - 1)
				break;
		}
		io_uring_submit(&rg->ring);
		/*
		 * A token destroyed while its requests run: by another thread
		 * while this one reaps, or by this one, the submitter.
		 */
		if (pct(&w.r, 10)) {
			int c = below(&w.r, NCTX);
			bool own = !avoid_own_destroy && pct(&w.r, 50);

			if (w.ntok[c]) {
				struct later_destroy ld = { .ctl = w.ctl[c],
					.id = w.tok[c][below(&w.r, w.ntok[c])].id,
					.delay_us = below(&w.r, 2000) };
				pthread_t th;

				snprintf(last_call, sizeof(last_call),
					 "TOKEN_DESTROY of token %u with a batch in flight, from %s",
					 ld.id, own ? "the submitting thread" : "another thread");
				if (own)
					destroy_thread(&ld);
				else if (pthread_create(&th, NULL, destroy_thread, &ld))
					t_fail("pthread_create: %s", strerror(errno));
				batch_reap(F_URING, rg, b, reap_secs);
				if (!own)
					pthread_join(th, NULL);
				if (ld.ret)
					failure(F_URING, 0, last_call, "TOKEN_DESTROY of live token %u: %s",
						ld.id, ename(ld.err));
				tok_forget(&w, c, ld.id);
			}
		}
		batch_reap(F_URING, rg, b, reap_secs);
		for (int c = 0; c < NCTX; c++)
			while (w.ntok[c] < 4 && tok_make(&w, c))
				;
		if (i % 2000 < nb)
			world_trim(&w);
	}
	for (unsigned int v = 0; v < nring; v++)
		io_uring_queue_exit(&rings[v].ring);
	free(b);
	world_fini(&w);
}

/* ---- family: uring-sqe64 ----------------------------------------------- */

static void fam_sqe64(unsigned long quota, double deadline)
{
	struct ring rings[3];
	struct batch *b = calloc(1, sizeof(*b));
	unsigned int flags[3] = { 0, IORING_SETUP_CQE32, 0 };
	unsigned long i = 0;
	struct world w;

	world_init(&w, F_SQE64, 4);
	for (int v = 0; v < 3; v++) {
		int ret = ring_init(&rings[v], 32, flags[v], v == 2 ? w.ctl : NULL);

		if (ret)
			t_fail("io_uring setup: %s", strerror(-ret));
	}
	while (i < quota && now() < deadline) {
		struct ring *rg = &rings[below(&w.r, 3)];
		unsigned int nb = 1 + below(&w.r, 16);

		for (unsigned int k = 0; k < nb && i < quota; k++, i++) {
			struct pend *p = &b->p[b->n];
			struct io_uring_sqe *sqe;
			int c = below(&w.r, NCTX);
			bool is_read, fixed = rg->fixed && pct(&w.r, 70);
			struct dmabridge_io io = io_gen(&w, c, &is_read);
			uint32_t op = is_read ? DMABRIDGE_IOC_READ : DMABRIDGE_IOC_WRITE;

			if (pct(&w.r, 20))
				op = pct(&w.r, 50) ? (uint32_t)rnd(&w.r) :
				     (uint32_t)random_cmd(&w.r);
			*p = (struct pend){ .used = true, .is_read = kind_of(op) == K_READ,
				.want_einval = kind_of(op) == K_READ ||
					       kind_of(op) == K_WRITE };
			io_desc(p->desc, sizeof(p->desc), rg->what, c, is_read, &io, &w);
			snprintf(p->desc + strlen(p->desc), sizeof(p->desc) - strlen(p->desc),
				 " cmd_op %#x (first 16 bytes in the SQE)", op);
			sqe = prep_cmd(rg, w.ctl[c], c, op, &io, sizeof(io), fixed);
			if (pct(&w.r, 20))
				sqe->flags |= IOSQE_ASYNC;
			io_uring_sqe_set_data64(sqe, b->gen << 16 | b->n);
			p->n = count_call(F_SQE64);
			snprintf(last_call, sizeof(last_call), "%s", p->desc);
			b->n++;
		}
		io_uring_submit(&rg->ring);
		batch_reap(F_SQE64, rg, b, reap_secs);
	}
	for (int v = 0; v < 3; v++)
		io_uring_queue_exit(&rings[v].ring);
	free(b);
	world_fini(&w);
}

/* ---- family: threads --------------------------------------------------- */

#define TSLOTS		4	/* shared contexts */
#define BSLOTS		6	/* shared dma-bufs */
#define IDS		16	/* recent token ids per context slot */

static struct {
	int ctl[TSLOTS];		/* replaced with dup2(): always a context */
	int buf[BSLOTS];		/* replaced with dup2(): always a dma-buf */
	_Atomic uint32_t ids[TSLOTS][IDS];
	struct tgt tgt[MAX_TGTS];	/* scratch targets and bad ones */
	unsigned int ntgt;
	atomic_ulong issued;		/* calls of the family so far */
	unsigned long quota;
	double deadline;
	pthread_mutex_t buf_lock;	/* creating dma-bufs: the exporters' fds */
	struct ring *graves[256];	/* rings of exited threads */
	atomic_uint ngraves;
} ts;

struct tpend {
	bool used, is_read, must_fail;
	uint64_t tag, len;
	unsigned long n;
	char desc[200];
};

struct tworker {
	struct rng r;
	int id;
	struct ring rg;
	bool have_ring;
	struct tpend p[128];
	unsigned int inflight;
	uint64_t seq;
};

static bool ts_more(void)
{
	return atomic_load(&ts.issued) < ts.quota && now() < ts.deadline;
}

static unsigned long ts_call(const char *what)
{
	atomic_fetch_add(&ts.issued, 1);
	snprintf(last_call, sizeof(last_call), "%s", what);
	return count_call(F_THREADS);
}

static int ts_new_dmabuf(struct rng *r)
{
	struct dbuf b;

	pthread_mutex_lock(&ts.buf_lock);
	b = dbuf_new(r);
	pthread_mutex_unlock(&ts.buf_lock);
	return b.fd;
}

static bool ts_io_must_fail(const struct dmabridge_io *io, bool is_read)
{
	struct tgt *t = NULL;

	if (io->flags || io->reserved0 || io->reserved[0] || io->reserved[1] ||
	    !io->length || io->length > DMABRIDGE_IO_MAX_LEN ||
	    ((io->token_offset | io->file_offset | io->length) & (LBS - 1)) ||
	    !io->token)
		return true;
	for (unsigned int i = 0; i < ts.ntgt; i++)
		if (ts.tgt[i].fd == io->fd)
			t = &ts.tgt[i];
	if (!t)
		return false;
	if (t->kind == TK_BAD || t->kind == TK_XDEV)
		return true;
	return is_read ? !t->rd : (!t->wr || t->kind != TK_GOOD);
}

static struct dmabridge_io ts_io(struct tworker *tw, unsigned int slot,
				 bool *is_read)
{
	struct dmabridge_io io = { 0 };
	struct tgt *t = &ts.tgt[below(&tw->r, ts.ntgt)];

	*is_read = pct(&tw->r, 60);
	for (int tries = 0; tries < 10 && pct(&tw->r, 90) &&
	     !(t->kind == TK_GOOD && (*is_read ? t->rd : t->wr)); tries++)
		t = &ts.tgt[below(&tw->r, ts.ntgt)];
	io.token = atomic_load(&ts.ids[slot][below(&tw->r, IDS)]);
	io.fd = t->fd;
	io.length = (1 + below(&tw->r, pct(&tw->r, 80) ? 8 : 128)) * LBS;
	io.token_offset = below(&tw->r, 128) * LBS;	/* may be past the end */
	io.file_offset = below(&tw->r, (t->size > io.length ? t->size : 1 << 20) / LBS) * LBS;
	io.tag = rnd(&tw->r);
	if (pct(&tw->r, 5))
		io.reserved[below(&tw->r, 2)] = 1;
	if (pct(&tw->r, 3))
		io.file_offset = -4096ULL;
	return io;
}

static void ts_desc(char *s, size_t n, const char *how, unsigned int slot,
		    bool is_read, const struct dmabridge_io *io)
{
	const char *tw = "?";

	for (unsigned int i = 0; i < ts.ntgt; i++)
		if (ts.tgt[i].fd == io->fd)
			tw = ts.tgt[i].what;
	snprintf(s, n, "%s %s slot %u {token %u fd %d (%s) toff %#llx foff %#llx len %#llx}",
		 how, is_read ? "READ" : "WRITE", slot, io->token, io->fd, tw,
		 (unsigned long long)io->token_offset,
		 (unsigned long long)io->file_offset, (unsigned long long)io->length);
}

static void tw_cqe(struct tworker *tw, struct io_uring_cqe *cqe, bool cqe32)
{
	uint64_t i = cqe->user_data;
	struct tpend *p;

	if (i >= 128 || !tw->p[i].used) {
		failure(F_THREADS, 0, "worker ring", "completion with user_data %#llx (res %d): not in flight",
			(unsigned long long)i, cqe->res);
		return;
	}
	p = &tw->p[i];
	p->used = false;
	tw->inflight--;
	check_res(F_THREADS, p->n, p->desc, p->is_read ? K_READ : K_WRITE, true,
		  cqe->res, p->must_fail, p->len);
	if (cqe32 && cqe->res != -ECANCELED && cqe->big_cqe[0] != p->tag)
		failure(F_THREADS, p->n, p->desc, "big_cqe[0] %#llx, want the tag %#llx",
			(unsigned long long)cqe->big_cqe[0], (unsigned long long)p->tag);
}

/* Reap what is there; with @all, everything in flight (bounded wait). */
static void tw_reap(struct tworker *tw, bool all)
{
	double end = now() + reap_secs;
	struct io_uring_cqe *cqe;

	if (!tw->have_ring)
		return;
	while (tw->inflight) {
		struct __kernel_timespec ts0 = { .tv_sec = 1 };
		int ret = all ? io_uring_wait_cqe_timeout(&tw->rg.ring, &cqe, &ts0) :
				io_uring_peek_cqe(&tw->rg.ring, &cqe);

		if (ret == -EAGAIN || (ret == -ETIME && !all))
			return;
		if (ret == -ETIME || ret == -EINTR) {
			if (now() < end)
				continue;
			for (unsigned int i = 0; i < 128; i++)
				if (tw->p[i].used)
					failure(F_THREADS, tw->p[i].n, tw->p[i].desc,
						"no completion after %.0f s: a hang", reap_secs);
			t_fail("worker %d: io_uring requests never completed", tw->id);
		}
		if (ret)
			t_fail("io_uring_wait_cqe: %s", strerror(-ret));
		tw_cqe(tw, cqe, tw->rg.flags & IORING_SETUP_CQE32);
		io_uring_cqe_seen(&tw->rg.ring, cqe);
	}
}

static void tw_ring_new(struct tworker *tw)
{
	unsigned int fl = IORING_SETUP_SQE128 | IORING_SETUP_CQE32;

	if (pct(&tw->r, 30))
		fl |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	if (ring_init(&tw->rg, 128, fl, NULL) &&
	    ring_init(&tw->rg, 128, IORING_SETUP_SQE128 | IORING_SETUP_CQE32, NULL))
		t_fail("worker ring: %s", strerror(errno));
	tw->have_ring = true;
	tw->inflight = 0;
	memset(tw->p, 0, sizeof(tw->p));
}

static void tw_async(struct tworker *tw)
{
	unsigned int n = 1 + below(&tw->r, 8);

	if (!tw->have_ring)
		tw_ring_new(tw);
	for (unsigned int k = 0; k < n && tw->inflight < 120; k++) {
		unsigned int slot = below(&tw->r, TSLOTS), i;
		bool is_read;
		struct dmabridge_io io = ts_io(tw, slot, &is_read);
		struct io_uring_sqe *sqe;
		struct tpend *p;

		for (i = 0; tw->p[i].used; i++)
			;
		p = &tw->p[i];
		*p = (struct tpend){ .used = true, .is_read = is_read, .tag = io.tag,
				     .len = io.length,
				     .must_fail = ts_io_must_fail(&io, is_read) };
		ts_desc(p->desc, sizeof(p->desc), "uring", slot, is_read, &io);
		sqe = prep_cmd(&tw->rg, ts.ctl[slot], 0, is_read ? DMABRIDGE_IOC_READ :
			       DMABRIDGE_IOC_WRITE, &io, sizeof(io), false);
		if (pct(&tw->r, 15))
			sqe->flags |= IOSQE_ASYNC;
		io_uring_sqe_set_data64(sqe, i);
		tw->inflight++;
		p->n = ts_call(p->desc);
	}
	io_uring_submit(&tw->rg.ring);
}

static void tw_sync(struct tworker *tw)
{
	unsigned int slot = below(&tw->r, TSLOTS);
	bool is_read;
	struct dmabridge_io io = ts_io(tw, slot, &is_read);
	char d[200];
	unsigned long n;
	long r;

	ts_desc(d, sizeof(d), "ioctl", slot, is_read, &io);
	n = ts_call(d);
	r = ioctl(ts.ctl[slot], is_read ? DMABRIDGE_IOC_READ : DMABRIDGE_IOC_WRITE, &io);
	check_res(F_THREADS, n, d, is_read ? K_READ : K_WRITE, false,
		  r < 0 ? -errno : r, ts_io_must_fail(&io, is_read), io.length);
}

static void tw_create(struct tworker *tw)
{
	unsigned int slot = below(&tw->r, TSLOTS);
	struct dmabridge_token_create a = {
		.dmabuf_fd = ts.buf[below(&tw->r, BSLOTS)],
		.flags = 1 + below(&tw->r, 3) };
	char d[96];
	unsigned long n;
	int r;

	snprintf(d, sizeof(d), "TOKEN_CREATE slot %u dmabuf_fd %d flags %u", slot,
		 a.dmabuf_fd, a.flags);
	n = ts_call(d);
	r = ioctl(ts.ctl[slot], DMABRIDGE_IOC_TOKEN_CREATE, &a);
	check_res(F_THREADS, n, d, K_CREATE, false, r < 0 ? -errno : r, false, 0);
	if (!r) {
		if (!a.id)
			failure(F_THREADS, n, d, "TOKEN_CREATE returned id 0");
		atomic_store(&ts.ids[slot][below(&tw->r, IDS)], a.id);
	}
}

static void tw_destroy(struct tworker *tw)
{
	unsigned int slot = below(&tw->r, TSLOTS);
	struct dmabridge_token_destroy dd = {
		.id = atomic_load(&ts.ids[slot][below(&tw->r, IDS)]) };
	char d[64];
	unsigned long n;
	int r;

	if (avoid_own_destroy)
		tw_reap(tw, true);
	snprintf(d, sizeof(d), "TOKEN_DESTROY slot %u id %u", slot, dd.id);
	n = ts_call(d);
	r = ioctl(ts.ctl[slot], DMABRIDGE_IOC_TOKEN_DESTROY, &dd);
	check_res(F_THREADS, n, d, K_DESTROY, false, r < 0 ? -errno : r, !dd.id, 0);
}

/* Close a context or a dma-buf under everybody's feet: dup2 a new one. */
static void tw_replace(struct tworker *tw, bool ctx)
{
	int fd = ctx ? ctl_open() : ts_new_dmabuf(&tw->r);
	int *slot = ctx ? &ts.ctl[below(&tw->r, TSLOTS)] : &ts.buf[below(&tw->r, BSLOTS)];

	snprintf(last_call, sizeof(last_call), "replace %s fd %d", ctx ? "context" : "dma-buf", *slot);
	if (dup2(fd, *slot) < 0)
		t_fail("dup2: %s", strerror(errno));
	close(fd);
}

/* The exporter says the buffer moves: mappings are invalidated. */
static void tw_move(struct tworker *tw)
{
	struct dbr_texp_move m = { .fd = ts.buf[below(&tw->r, BSLOTS)] };

	snprintf(last_call, sizeof(last_call), "texp MOVE fd %d", m.fd);
	ioctl(texp_dev, DBR_TEXP_IOC_MOVE, &m);	/* not ours: udmabuf/vgem say no */
}

/*
 * A short-lived thread: its own context (or a shared one), a token of a
 * new dma-buf whose fd it closes at once, a ring, requests, and then it
 * exits with them in flight: leaving the ring open (the main thread reaps
 * it later), closing the ring, or closing the context first.
 */
struct child_arg { uint64_t seed; int id; };

static void *child_thread(void *arg)
{
	struct child_arg *ca = arg;
	struct rng r = { ca->seed };
	struct ring *rg = calloc(1, sizeof(*rg));
	bool own = pct(&r, 70);
	int ctl = own ? ctl_open() : ts.ctl[below(&r, TSLOTS)];
	int dfd = ts_new_dmabuf(&r);
	struct dmabridge_token_create a = { .dmabuf_fd = dfd,
					    .flags = DMABRIDGE_TOKEN_FLAGS_ALL };
	unsigned int n = 1 + below(&r, 16), how = below(&r, 3);
	unsigned int fl = IORING_SETUP_SQE128 | IORING_SETUP_CQE32;
	char d[96];
	unsigned long cn;
	int ret;

	free(ca);
	snprintf(d, sizeof(d), "child thread TOKEN_CREATE dmabuf_fd %d", dfd);
	cn = ts_call(d);
	ret = ioctl(ctl, DMABRIDGE_IOC_TOKEN_CREATE, &a);
	/* the shared context may be replaced meanwhile: anything documented */
	check_res(F_THREADS, cn, d, K_CREATE, false, ret < 0 ? -errno : ret, false, 0);
	/* the dma-buf fd goes at once: the token holds the buffer */
	close(dfd);
	if (how == 0 && pct(&r, 30))
		fl |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
	if (ring_init(rg, 32, fl, NULL) &&
	    ring_init(rg, 32, IORING_SETUP_SQE128 | IORING_SETUP_CQE32, NULL))
		t_fail("child ring: %s", strerror(errno));
	for (unsigned int i = 0; i < n; i++) {
		struct tgt *t = &ts.tgt[below(&r, ts.ntgt)];
		bool is_read = pct(&r, 70);
		struct dmabridge_io io = { .token = a.id, .fd = t->fd,
			.length = (1 + below(&r, 32)) * LBS,
			.token_offset = below(&r, 8) * LBS,
			.file_offset = below(&r, 256) * LBS, .tag = i };
		struct io_uring_sqe *sqe = prep_cmd(rg, ctl, 0, is_read ?
			DMABRIDGE_IOC_READ : DMABRIDGE_IOC_WRITE, &io, sizeof(io), false);

		if (pct(&r, 20))
			sqe->flags |= IOSQE_ASYNC;
		/* results unchecked (the thread is gone): user_data says so */
		io_uring_sqe_set_data64(sqe, 1ULL << 63 | (is_read ? 1ULL << 62 : 0) |
					(io.length << 16) | i);
		ts_call("child thread request");
	}
	rg->pending = io_uring_submit(&rg->ring);
	if (how == 0 && !(fl & IORING_SETUP_DEFER_TASKRUN)) {
		unsigned int g = atomic_fetch_add(&ts.ngraves, 1);

		if (g < 256) {
			ts.graves[g] = rg;	/* the main thread reaps and closes it */
			rg = NULL;
		}
	}
	if (how == 2 && own) {
		close(ctl);
		own = false;
	}
	if (rg) {
		io_uring_queue_exit(&rg->ring);
		free(rg);
	}
	if (own)
		close(ctl);
	return NULL;
}

static void tw_child_thread(struct tworker *tw)
{
	struct child_arg *ca = malloc(sizeof(*ca));
	pthread_t th;

	ca->seed = rnd(&tw->r);
	ca->id = tw->id;
	snprintf(last_call, sizeof(last_call), "child thread");
	if (pthread_create(&th, NULL, child_thread, ca))
		t_fail("pthread_create: %s", strerror(errno));
	/* join: the exit with requests in flight is what is tested */
	pthread_join(th, NULL);
}

/* A process with requests in flight that exits or is killed. */
static void tw_child_process(struct tworker *tw)
{
	bool kill_it = pct(&tw->r, 50);
	unsigned int slot = below(&tw->r, TSLOTS);
	uint32_t id = atomic_load(&ts.ids[slot][below(&tw->r, IDS)]);
	struct ring rg;
	int status;
	double t;
	pid_t pid;

	/* ring set up before fork: the child only submits (no malloc there) */
	if (ring_init(&rg, 32, IORING_SETUP_SQE128 | IORING_SETUP_CQE32, NULL))
		return;
	ts_call("child process");
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (!pid) {
		for (unsigned int i = 0; i < 16; i++) {
			struct dmabridge_io io = { .token = id, .fd = ts.tgt[0].fd,
				.length = 4096 * (1 + i % 4), .token_offset = 0,
				.file_offset = i * 65536, .tag = i };
			struct io_uring_sqe *sqe = io_uring_get_sqe(&rg.ring);

			if (!sqe)
				break;
			io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ts.ctl[slot], NULL, 0, 0);
			sqe->cmd_op = DMABRIDGE_IOC_READ;
			memcpy(sqe->cmd, &io, sizeof(io));
		}
		io_uring_submit(&rg.ring);
		if (kill_it)
			pause();
		_exit(0);
	}
	io_uring_queue_exit(&rg.ring);
	if (kill_it) {
		usleep(below(&tw->r, 20000));
		kill(pid, SIGKILL);
	}
	for (t = now(); !waitpid(pid, &status, WNOHANG); usleep(5000))
		if (now() - t > reap_secs) {
			failure(F_THREADS, 0, "child process", "not reaped %.0f s after %s: a hang",
				reap_secs, kill_it ? "SIGKILL" : "_exit");
			return;
		}
}

static void *worker(void *arg)
{
	struct tworker *tw = arg;

	register_last();
	while (ts_more()) {
		unsigned int p = below(&tw->r, 1000);

		if (p < 150)
			tw_create(tw);
		else if (p < 270)
			tw_destroy(tw);
		else if (p < 520)
			tw_sync(tw);
		else if (p < 800)
			tw_async(tw);
		else if (p < 880)
			tw_reap(tw, pct(&tw->r, 20));
		else if (p < 910)
			tw_replace(tw, true);
		else if (p < 940)
			tw_replace(tw, false);
		else if (p < 960)
			tw_move(tw);
		else if (p < 975) {
			/*
			 * The ring closed with requests in flight. They are still
			 * this thread's: their completions run in its task work.
			 */
			if (avoid_own_destroy)
				tw_reap(tw, true);
			if (tw->have_ring) {
				snprintf(last_call, sizeof(last_call), "close ring, %u in flight",
					 tw->inflight);
				io_uring_queue_exit(&tw->rg.ring);
				tw->have_ring = false;
			}
		} else if (p < 996)
			tw_child_thread(tw);
		else
			tw_child_process(tw);
	}
	tw_reap(tw, true);
	if (tw->have_ring)
		io_uring_queue_exit(&tw->rg.ring);
	return NULL;
}

static void fam_threads(unsigned long quota, double deadline)
{
	struct tworker *tw = calloc(opt.threads, sizeof(*tw));
	pthread_t *th = calloc(opt.threads, sizeof(*th));
	struct rng r = { fam_seed[F_THREADS] };
	double end;

	ts.quota = quota;
	ts.deadline = deadline;
	atomic_store(&ts.issued, 0);
	pthread_mutex_init(&ts.buf_lock, NULL);
	for (int i = 0; i < TSLOTS; i++)
		ts.ctl[i] = ctl_open();
	for (int i = 0; i < BSLOTS; i++)
		ts.buf[i] = ts_new_dmabuf(&r);
	/* scratch and bad targets (no contexts or dma-bufs of the slots) */
	ts.ntgt = targets_open(ts.tgt, ts.ctl[0], ts.buf[0]);
	/* the child process reads from the first target: make it a scratch one */
	for (unsigned int i = 1; i < ts.ntgt; i++)
		if (ts.tgt[i].kind == TK_GOOD && ts.tgt[i].rd) {
			struct tgt tmp = ts.tgt[0];

			ts.tgt[0] = ts.tgt[i];
			ts.tgt[i] = tmp;
			break;
		}
	for (unsigned int i = 0; i < opt.threads; i++) {
		tw[i].r.s = rnd(&r);
		tw[i].id = i;
		if (pthread_create(&th[i], NULL, worker, &tw[i]))
			t_fail("pthread_create: %s", strerror(errno));
	}
	for (unsigned int i = 0; i < opt.threads; i++)
		pthread_join(th[i], NULL);
	/* rings left by exited threads: every request completes */
	end = now() + reap_secs;
	for (unsigned int g = 0; g < atomic_load(&ts.ngraves) && g < 256; g++) {
		struct ring *rg = ts.graves[g];
		struct io_uring_cqe *cqe;

		while (rg->pending) {
			struct __kernel_timespec t1 = { .tv_sec = 1 };

			if (io_uring_wait_cqe_timeout(&rg->ring, &cqe, &t1)) {
				if (now() < end)
					continue;
				failure(F_THREADS, 0, "ring of an exited thread",
					"%u request(s) without a completion after %.0f s: a hang",
					rg->pending, reap_secs);
				break;
			}
			rg->pending--;
			if (cqe->user_data >> 63) {
				bool is_read = cqe->user_data >> 62 & 1;

				check_res(F_THREADS, 0, "request of an exited thread",
					  is_read ? K_READ : K_WRITE, true, cqe->res,
					  false, (cqe->user_data >> 16) & 0xffffffffULL);
			}
			io_uring_cqe_seen(&rg->ring, cqe);
		}
		io_uring_queue_exit(&rg->ring);
		free(rg);
	}
	atomic_store(&ts.ngraves, 0);
	for (int i = 0; i < TSLOTS; i++)
		close(ts.ctl[i]);
	for (int i = 0; i < BSLOTS; i++)
		close(ts.buf[i]);
	targets_close(ts.tgt, ts.ntgt);
	free(tw);
	free(th);
}

/* ---- leak checks ------------------------------------------------------- */

struct counters { long long buffers, attaches, detaches, maps, unmaps; };

static struct counters counters_read(void)
{
	return (struct counters){
		t_read_counter(TEXP_DEBUGFS "buffers"),
		t_read_counter(TEXP_DEBUGFS "attaches"),
		t_read_counter(TEXP_DEBUGFS "detaches"),
		t_read_counter(TEXP_DEBUGFS "maps"),
		t_read_counter(TEXP_DEBUGFS "unmaps"),
	};
}

/* After a family: nothing of its buffers left attached, mapped or alive. */
static void leak_check(int fam, const struct counters *base, double secs)
{
	double end = now() + secs;
	struct counters c;

	for (;;) {
		c = counters_read();
		if (c.attaches - base->attaches == c.detaches - base->detaches &&
		    c.maps - base->maps == c.unmaps - base->unmaps &&
		    c.buffers <= base->buffers)
			break;
		if (now() > end) {
			failure(fam, fam_calls[fam], "after the family, all closed",
				"test exporter: %lld attaches / %lld detaches, %lld maps / %lld unmaps, %lld live buffers (%lld before)",
				c.attaches - base->attaches, c.detaches - base->detaches,
				c.maps - base->maps, c.unmaps - base->unmaps,
				c.buffers, base->buffers);
			return;
		}
		usleep(100000);
	}
	printf("  %s: nothing left (test exporter: %lld attaches = detaches, %lld maps = unmaps)\n",
	       family_names[fam], c.attaches - base->attaches, c.maps - base->maps);
}

/* ---- watchdog ---------------------------------------------------------- */

static double stall_secs = 240;

static void *watchdog(void *arg)
{
	unsigned long last = 0;
	double since = now();

	(void)arg;
	for (;;) {
		unsigned long p = atomic_load(&progress);
		int f = atomic_load(&cur_family);

		sleep(5);
		if (p != last) {
			last = p;
			since = now();
			continue;
		}
		if (f < 0 || now() - since < stall_secs)
			continue;
		pthread_mutex_lock(&out_lock);
		printf("FAIL: no call finished for %.0f s in case %s seed %#llx call %lu; last calls:\n",
		       now() - since, family_names[f], (unsigned long long)fam_seed[f],
		       atomic_load(&fam_calls[f]));
		for (unsigned int i = 0; i < atomic_load(&nthread_last) && i < 64; i++)
			printf("  thread %u: %s\n", i, thread_last[i]);
		fflush(stdout);
		pthread_mutex_unlock(&out_lock);
		kmsg("dbr-fuzz: STALL case %s seed %#llx\n", family_names[f],
		     (unsigned long long)fam_seed[f]);
		{
			int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

			if (fd >= 0) {
				if (write(fd, "w", 1) < 0)
					perror("sysrq");
				close(fd);
			}
		}
		_exit(1);
	}
	return NULL;
}

/* ---- main -------------------------------------------------------------- */

static void add_path(const char *p, enum tkind k)
{
	if (opt.npaths == MAX_PATHS)
		t_fail("too many paths");
	opt.paths[opt.npaths] = p;
	opt.pkind[opt.npaths++] = k;
}

static void parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", 1, 0, 's' }, { "calls", 1, 0, 'n' }, { "time", 1, 0, 't' },
		{ "family", 1, 0, 'f' }, { "threads", 1, 0, 'T' },
		{ "marker-every", 1, 0, 'm' }, { "rw", 1, 0, 'w' },
		{ "rw-nodio", 1, 0, 'j' }, { "append-only", 1, 0, 'a' },
		{ "xdev", 1, 0, 'x' }, { "ro", 1, 0, 'r' }, { 0, 0, 0, 0 }
	};
	const char *e;
	bool seeded = false;
	int c;

	opt.calls = 100000;
	if ((e = getenv("DBR_TEST_FUZZ_CALLS")) && *e)
		opt.calls = strtoul(e, NULL, 0);
	if ((e = getenv("DBR_TEST_FUZZ_TIME")) && *e)
		opt.time = atof(e);
	if ((e = getenv("DBR_TEST_FUZZ_FAMILIES")) && *e)
		opt.families = e;
	if ((e = getenv("DBR_TEST_FUZZ_SEED")) && *e) {
		opt.seed = strtoull(e, NULL, 0);
		seeded = true;
	}
	while ((c = getopt_long(argc, argv, "s:n:t:f:", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': opt.calls = strtoul(optarg, NULL, 0); break;
		case 't': opt.time = atof(optarg); break;
		case 'f': opt.families = optarg; break;
		case 'T': opt.threads = strtoul(optarg, NULL, 0); break;
		case 'm': opt.marker_every = strtoul(optarg, NULL, 0); break;
		case 'w': add_path(optarg, TK_GOOD); break;
		case 'j': add_path(optarg, TK_NODIO); break;
		case 'a': add_path(optarg, TK_APPEND); break;
		case 'x': add_path(optarg, TK_XDEV); break;
		case 'r': add_path(optarg, TK_RO); break;
		default: t_fail("bad option (see the comment at the top of uapi_fuzz.c)");
		}
	}
	if (!seeded) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		opt.seed = (uint64_t)t.tv_nsec ^ ((uint64_t)getpid() << 32) ^ t.tv_sec;
	}
	if (!opt.threads || opt.threads > 32 || !opt.marker_every)
		t_fail("--threads 1..32, --marker-every > 0");
	for (unsigned int i = 0; i < opt.npaths; i++)
		if (opt.pkind[i] == TK_GOOD)
			return;
	t_fail("need at least one --rw scratch target on a dmabridge disk");
}

static bool family_on(int f)
{
	const char *s = opt.families;
	size_t n = strlen(family_names[f]);

	if (!s)
		return true;
	while (*s) {
		if (!strncmp(s, family_names[f], n) && (s[n] == ',' || !s[n]))
			return true;
		s = strchr(s, ',');
		if (!s)
			break;
		s++;
	}
	return false;
}

int main(int argc, char **argv)
{
	void (*const run[NFAM])(unsigned long, double) = {
		fam_random, fam_mutate, fam_uring, fam_sqe64, fam_threads,
	};
	unsigned long quota[NFAM] = { 0 }, total = 0, assigned = 0;
	unsigned int share = 0, share_left;
	struct counters base;
	double t0 = now(), end, secs;
	pthread_t wd;
	const char *e;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_opts(argc, argv);
	signal(SIGXFSZ, SIG_IGN);	/* a WRITE at s_maxbytes: EFBIG, no kill */
	signal(SIGPIPE, SIG_IGN);
	if ((e = getenv("DBR_TEST_FUZZ_REAP_SECS")) && *e)
		reap_secs = atof(e);
	if ((e = getenv("DBR_TEST_FUZZ_STALL_SECS")) && *e)
		stall_secs = atof(e);
	if ((e = getenv("DBR_TEST_FUZZ_AVOID")) && strstr(e, "own-task-destroy")) {
		avoid_own_destroy = true;
		printf("uapi_fuzz: DBR_TEST_FUZZ_AVOID=own-task-destroy: not destroying "
		       "tokens with the destroyer's own io_uring requests in flight "
		       "(a known hang); the default does\n");
	}
	if (access("/dev/" DMABRIDGE_CTL_NAME, R_OK | W_OK))
		t_skip("/dev/" DMABRIDGE_CTL_NAME ": %s", strerror(errno));
	texp_dev = open("/dev/" DBR_TEXP_NAME, O_RDWR | O_CLOEXEC);
	if (texp_dev < 0)
		t_skip("/dev/" DBR_TEXP_NAME ": %s (module not loaded)", strerror(errno));
	udmabuf_dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	vgem_fd = open_vgem();
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	register_last();

	for (int f = 0; f < NFAM; f++) {
		fam_seed[f] = opt.seed ^ hash_str(family_names[f]);
		if (family_on(f))
			share += family_share[f];
	}
	if (!share)
		t_fail("--family: none of ioctl-random, ioctl-mutate, uring-mutate, uring-sqe64, threads");
	share_left = share;
	for (int f = 0; f < NFAM; f++) {
		if (!family_on(f))
			continue;
		share_left -= family_share[f];
		quota[f] = share_left ? opt.calls * family_share[f] / share : opt.calls - assigned;
		assigned += quota[f];
	}
	printf("uapi_fuzz: seed %#llx, %lu calls, time guard %.0f s, %u threads; "
	       "exporters: test exporter%s%s; repeat with --seed %#llx (or DBR_TEST_FUZZ_SEED)\n",
	       (unsigned long long)opt.seed, opt.calls, opt.time, opt.threads,
	       udmabuf_dev >= 0 ? ", udmabuf" : "", vgem_fd >= 0 ? ", vgem" : "",
	       (unsigned long long)opt.seed);
	kmsg("dbr-fuzz: start seed %#llx calls %lu\n", (unsigned long long)opt.seed,
	     opt.calls);
	pthread_create(&wd, NULL, watchdog, NULL);

	end = t0 + opt.time;
	share_left = share;
	for (int f = 0; f < NFAM; f++) {
		double ft = now(), deadline;

		if (!family_on(f))
			continue;
		/* this family's part of the time left, by its share */
		deadline = ft + (end - ft) * family_share[f] / share_left;
		share_left -= family_share[f];
		atomic_store(&cur_family, f);
		kmsg("dbr-fuzz: case %s seed %#llx call 0\n", family_names[f],
		     (unsigned long long)fam_seed[f]);
		base = counters_read();
		run[f](quota[f], deadline);
		printf("  %s: %lu calls in %.1f s (seed %#llx)\n", family_names[f],
		       atomic_load(&fam_calls[f]), now() - ft,
		       (unsigned long long)fam_seed[f]);
		if (atomic_load(&fam_calls[f]) < quota[f]) {
			printf("FAIL: %s: the time guard stopped it after %lu of %lu calls "
			       "(DBR_TEST_FUZZ_TIME=%.0f; a hang-like slowdown or a slower machine)\n",
			       family_names[f], atomic_load(&fam_calls[f]), quota[f], opt.time);
			time_out = true;
		}
		for (int k = 0; k <= K_TARGET; k++) {
			char line[512];
			int len = 0;

			for (int e = 0; e <= HIST_MAX; e++) {
				unsigned long v = atomic_load(&hist[f][k][e]);

				if (v && len < (int)sizeof(line) - 40)
					len += snprintf(line + len, sizeof(line) - len, " %s %lu",
							e ? ename(e) : "ok", v);
			}
			if (len)
				printf("    %s:%s\n", kind_name[k], line);
		}
		leak_check(f, &base, 60);
		kmsg("dbr-fuzz: case %s done, %lu calls\n", family_names[f],
		     atomic_load(&fam_calls[f]));
	}
	atomic_store(&cur_family, -1);
	secs = now() - t0;
	printf("uapi_fuzz: calls:");
	for (int f = 0; f < NFAM; f++) {
		total += atomic_load(&fam_calls[f]);
		if (family_on(f))
			printf(" %s %lu,", family_names[f], atomic_load(&fam_calls[f]));
	}
	printf(" total %lu in %.1f s, seed %#llx\n", total, secs,
	       (unsigned long long)opt.seed);
	kmsg("dbr-fuzz: end seed %#llx calls %lu failures %lu\n",
	     (unsigned long long)opt.seed, total, atomic_load(&nfail));
	if (atomic_load(&nfail) || time_out) {
		printf("FAIL: %lu failure(s)%s; repeat with --seed %#llx\n",
		       atomic_load(&nfail), time_out ? ", time guard reached" : "",
		       (unsigned long long)opt.seed);
		return T_EXIT_FAIL;
	}
	printf("ok: %lu calls, every result documented, nothing left attached\n", total);
	return T_EXIT_PASS;
}
