// SPDX-License-Identifier: GPL-2.0
/*
 * token_io: move file data through dmabridge tokens and check every byte.
 *
 *   token_io mkpattern FILE SEED OFF LEN
 *	write the dbr_pat() pattern of SEED into FILE[OFF, OFF+LEN)
 *   token_io io -e EXP --size N --file PATH --dir read|write --seed S
 *		--req FOFF:TOFF:LEN... [--count N [--reverse-tokens]] [--async QD]
 *		[--zero OFF:LEN... | --data OFF:LEN...] [--base-seed S]
 *		[--expect-errno ok,ENODATA,...] [--check-detach [--close]] [--move]
 *		[--prime FOFF:TOFF:LEN]
 *	one dma-buf, one token, the requests; then the buffer is verified
 *	word for word (reads), the file read back with O_DIRECT (writes)
 *   token_io errnos -e EXP --size N --file PATH [--xdev PATH...]
 *		[--append-only PATH...] [--maxbytes PATH] [--async QD]
 *	every argument error gets its errno; nothing is touched. Registered
 *	targets too: TARGET_REGISTER/UNREGISTER and their errnos, READs and
 *	WRITEs by index (a READ's bytes checked), a full table. --xdev: a
 *	target dmabridge does not serve (EXDEV); --append-only: a file with the
 *	append-only attribute (READ works, WRITE fails with EPERM); --maxbytes:
 *	a scratch file (created) on a filesystem whose largest file offset is
 *	below 2^63 (ext4): a WRITE crossing it fails whole with EFBIG. A WRITE
 *	crossing RLIMIT_FSIZE (--file a regular file) or the end of the device
 *	(--file a block device) fails whole with EFBIG or ENOSPC
 *   token_io kill -e EXP --size N --file PATH --len N --async QD
 *	a child with QD requests in flight is SIGKILLed: it dies, and its
 *	token's attachment and bounce buffers are released
 *   token_io unbind -e EXP --file DISK --len N --async QD --seed S [--procs P]
 *	P processes (default 4) with QD token reads each in flight on DISK
 *	(written with mkpattern SEED) while $DBR_NVME_BDF is unbound: every
 *	request ends with its bytes (checked) or ENODEV/EIO, no hang, nothing
 *	left attached or bounced
 *   token_io share -e EXP --size N --file PATH --seed S
 *	three tokens of one dma-buf in two contexts share one attachment;
 *	their READs and a WRITE are checked byte for byte
 *   token_io bench -e EXP --file PATH --len N --async QD --runtime S
 *		[--random] [--span N] [--stock]
 *	throughput of one token; prints a machine-readable BENCH line.
 *	--fixed-target: the requests name PATH as a registered target
 *	(DMABRIDGE_IO_FIXED_TARGET) instead of by its file descriptor.
 *	--stock: the same loop with ordinary O_DIRECT IORING_OP_READ_FIXED
 *	into one registered buffer on a registered file (any block device,
 *	e.g. the stock nvme driver's), so the two sides differ only in the
 *	command
 *
 * Exporters (EXP): udmabuf, vgem, and from dbr_test_exporter
 * pages[:CHUNK_PAGES][:reverse][:dynamic][:nomap] and the same for bar (the
 * BAR needs tests/vm/run --p2p-bar and is verified through the ivshmem
 * backing file, --bar-file or $DBR_P2P_BAR_FILE); nomap: the exporter's
 * map_dma_buf fails. Sizes take K/M/G suffixes and
 * sums: --req 4M-512:2M+1536:8M. Exit 0 pass, 1 fail, 77 exporter absent.
 *
 * Every buffer starts filled with the canary pattern; a READ must change
 * exactly the bytes it reports and leave every other byte as it was.
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
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dmabridge.h>

#include "dbr_tool.h"
#include "dbr_test_exporter.h"

#define TEXP_DEBUGFS	"/sys/kernel/debug/dbr_test_exporter/"
#define BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define SWIOTLB_USED	"/sys/kernel/debug/swiotlb/io_tlb_used"
#define PAGE		4096ULL
#define MAX_RANGES	32

/* ---- options ----------------------------------------------------------- */

struct range { uint64_t off, len; };

struct req {
	uint64_t foff, toff, len;
	long long res;			/* bytes or -errno; LLONG_MIN: not done */
};

static struct opts {
	const char *exporter, *file, *bar_file;
	uint64_t size, bar_off, len, span;
	bool is_read, have_dir, random, reverse_tokens, check_detach;
	bool close_ctx, move, single, stock, fixed_target;
	int seed, base_seed;		/* -1: none */
	struct range zero[MAX_RANGES], data[MAX_RANGES];
	unsigned int nzero, ndata;
	struct req *reqs;
	unsigned int nreqs, count, qd;
	bool accept_ok;			/* success is an accepted outcome */
	int accept[8];			/* and these errnos */
	unsigned int naccept;
	const char *xdev[8], *append_only[8], *maxbytes;
	struct req prime;		/* --prime: len 0 if none */
	const char *ordinary;		/* bounce: --ordinary PATH */
	unsigned int tokens;		/* bounce: --tokens N */
	int expect_mapped;		/* bounce: --expect-mapped N, -1: any */
	unsigned int nxdev, nappend_only, procs;
	double runtime, ramp;
} o = { .seed = -1, .base_seed = -1, .accept_ok = true, .expect_mapped = -1 };

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		t_fail("out of memory (%zu bytes)", n);
	return p;
}

static const struct { const char *name; int err; } errnames[] = {
	{ "EINVAL", EINVAL }, { "ENOENT", ENOENT }, { "EBADF", EBADF },
	{ "EXDEV", EXDEV }, { "ERANGE", ERANGE }, { "EOPNOTSUPP", EOPNOTSUPP },
	{ "ENODATA", ENODATA }, { "EIO", EIO }, { "ENOMEM", ENOMEM },
	{ "EFAULT", EFAULT }, { "ENOSPC", ENOSPC }, { "EAGAIN", EAGAIN },
	{ "EINTR", EINTR }, { "ECANCELED", ECANCELED }, { "ENOTTY", ENOTTY },
	{ "EPERM", EPERM }, { "EFBIG", EFBIG },
};

static const char *errname(int err)
{
	static char buf[24];

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static int errnum(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].err;
	t_fail("unknown errno name '%s'", name);
}

/* "16M", "2M-1536", "4K+512": a sum of numbers with K/M/G suffixes. */
static uint64_t parse_size(const char *s)
{
	const char *p = s;
	uint64_t v = 0;
	int sign = 1;

	do {
		char *end;
		uint64_t n = strtoull(p, &end, 0);

		if (end == p)
			t_fail("bad size '%s'", s);
		switch (*end) {
		case 'K': case 'k': n <<= 10; end++; break;
		case 'M': case 'm': n <<= 20; end++; break;
		case 'G': case 'g': n <<= 30; end++; break;
		}
		v = sign > 0 ? v + n : v - n;
		p = end;
		if (*p == '+' || *p == '-')
			sign = *p++ == '+' ? 1 : -1;
		else if (*p)
			t_fail("bad size '%s'", s);
	} while (*p);
	return v;
}

/* "A:B" or "A:B:C" into @n sizes. */
static void parse_tuple(const char *s, uint64_t *v, int n)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(copy, ":", &save); tok && i < n;
	     tok = strtok_r(NULL, ":", &save))
		v[i++] = parse_size(tok);
	if (i != n || tok)
		t_fail("'%s': want %d sizes separated by ':'", s, n);
	free(copy);
}

static void add_range(struct range *r, unsigned int *n, const char *s)
{
	uint64_t v[2] = { 0 };

	if (*n == MAX_RANGES)
		t_fail("too many ranges");
	parse_tuple(s, v, 2);
	r[(*n)++] = (struct range){ v[0], v[1] };
}

static void parse_expect(const char *s)
{
	char *copy = strdup(s), *save = NULL, *tok;

	o.accept_ok = false;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "ok") || !strcmp(tok, "0"))
			o.accept_ok = true;
		else if (o.naccept < 8)
			o.accept[o.naccept++] = errnum(tok);
	}
	free(copy);
}

static void parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "exporter", 1, 0, 'e' }, { "size", 1, 0, 's' },
		{ "file", 1, 0, 'f' }, { "dir", 1, 0, 'd' },
		{ "seed", 1, 0, 'S' }, { "base-seed", 1, 0, 'B' },
		{ "req", 1, 0, 'r' }, { "count", 1, 0, 'n' },
		{ "reverse-tokens", 0, 0, 'R' }, { "async", 1, 0, 'q' },
		{ "zero", 1, 0, 'z' }, { "data", 1, 0, 'D' },
		{ "expect-errno", 1, 0, 'x' }, { "check-detach", 0, 0, 'c' },
		{ "close", 0, 0, 'C' }, { "move", 0, 0, 'm' },
		{ "bar-file", 1, 0, 'b' }, { "bar-offset", 1, 0, 'o' },
		{ "xdev", 1, 0, 'X' }, { "len", 1, 0, 'l' },
		{ "runtime", 1, 0, 't' }, { "ramp", 1, 0, 'T' },
		{ "random", 0, 0, 'a' }, { "span", 1, 0, 'p' },
		{ "single", 0, 0, '1' }, { "stock", 0, 0, 'k' },
		{ "append-only", 1, 0, 'A' }, { "maxbytes", 1, 0, 'M' },
		{ "procs", 1, 0, 'P' }, { "prime", 1, 0, 'I' },
		{ "tokens", 1, 0, 'N' }, { "expect-mapped", 1, 0, 'E' },
		{ "ordinary", 1, 0, 'O' }, { "fixed-target", 0, 0, 'G' },
		{ 0, 0, 0, 0 }
	};
	uint64_t v[3] = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "e:s:f:d:S:r:n:q:", lo, NULL)) != -1) {
		switch (c) {
		case 'e': o.exporter = optarg; break;
		case 's': o.size = parse_size(optarg); break;
		case 'f': o.file = optarg; break;
		case 'd':
			o.have_dir = true;
			o.is_read = !strcmp(optarg, "read");
			if (!o.is_read && strcmp(optarg, "write"))
				t_fail("--dir read|write");
			break;
		case 'S': o.seed = parse_size(optarg); break;
		case 'B': o.base_seed = parse_size(optarg); break;
		case 'r':
			parse_tuple(optarg, v, 3);
			o.reqs = xrealloc(o.reqs, ++o.nreqs * sizeof(*o.reqs));
			o.reqs[o.nreqs - 1] = (struct req){ .foff = v[0], .toff = v[1], .len = v[2] };
			break;
		case 'n': o.count = parse_size(optarg); break;
		case 'R': o.reverse_tokens = true; break;
		case 'q': o.qd = parse_size(optarg); break;
		case 'z': add_range(o.zero, &o.nzero, optarg); break;
		case 'D': add_range(o.data, &o.ndata, optarg); break;
		case 'x': parse_expect(optarg); break;
		case 'c': o.check_detach = true; break;
		case 'C': o.close_ctx = true; break;
		case 'm': o.move = true; break;
		case 'b': o.bar_file = optarg; break;
		case 'o': o.bar_off = parse_size(optarg); break;
		case 'X':
			if (o.nxdev < 8)
				o.xdev[o.nxdev++] = optarg;
			break;
		case 'A':
			if (o.nappend_only < 8)
				o.append_only[o.nappend_only++] = optarg;
			break;
		case 'M': o.maxbytes = optarg; break;
		case 'P': o.procs = parse_size(optarg); break;
		case 'N': o.tokens = parse_size(optarg); break;
		case 'E': o.expect_mapped = parse_size(optarg); break;
		case 'O': o.ordinary = optarg; break;
		case 'I':
			parse_tuple(optarg, v, 3);
			o.prime = (struct req){ .foff = v[0], .toff = v[1], .len = v[2] };
			break;
		case 'l': o.len = parse_size(optarg); break;
		case 't': o.runtime = atof(optarg); break;
		case 'T': o.ramp = atof(optarg); break;
		case 'a': o.random = true; break;
		case 'p': o.span = parse_size(optarg); break;
		case '1': o.single = true; break;
		case 'k': o.stock = true; break;
		case 'G': o.fixed_target = true; break;
		default: t_fail("bad option (see the comment at the top of token_io.c)");
		}
	}
	/* seed | 0x8000 is the first pass of a WRITE (cmd_io) */
	if (o.seed >= 0x8000 || o.base_seed >= 0x8000)
		t_fail("seeds are below 0x8000");
	if (!o.bar_file)
		o.bar_file = getenv("DBR_P2P_BAR_FILE");
	/* --count N: N copies of the one --req, side by side in file and token */
	if (o.count) {
		struct req r;

		if (o.nreqs != 1)
			t_fail("--count needs exactly one --req");
		r = o.reqs[0];
		o.reqs = xrealloc(o.reqs, o.count * sizeof(*o.reqs));
		for (unsigned int i = 0; i < o.count; i++) {
			unsigned int slot = o.reverse_tokens ? o.count - 1 - i : i;

			o.reqs[i] = (struct req){ .foff = r.foff + i * r.len,
				.toff = r.toff + slot * r.len, .len = r.len };
		}
		o.nreqs = o.count;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* TOKEN_IO_TIMING=1: say how long each phase took, on stderr. */
static void phase(const char *what)
{
	static double last;
	double t = now();

	if (getenv("TOKEN_IO_TIMING") && last)
		fprintf(stderr, "  %-10s %.3f s\n", what, t - last);
	last = t;
}

/* ---- exporters: one dma-buf and a CPU view of it ----------------------- */

enum exp_kind { EXP_UDMABUF, EXP_VGEM, EXP_PAGES, EXP_BAR };

struct buf {
	enum exp_kind kind;
	int fd;				/* the dma-buf */
	uint64_t size;
	uint64_t *cpu;			/* CPU mapping of all of it */
	int memfd, drm_fd, texp_fd;
	unsigned long ino;		/* the dma-buf's inode, as in bufinfo */
	/* test exporter layout */
	uint32_t chunk_pages, texp_flags;
	int backing_fd;			/* BAR: the ivshmem backing file */
};

static int open_texp(void)
{
	int fd = open("/dev/" DBR_TEXP_NAME, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		t_skip("/dev/" DBR_TEXP_NAME ": %s (module not loaded)",
		       strerror(errno));
	return fd;
}

static void exp_udmabuf(struct buf *b)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC,
				    .size = b->size };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);

	if (dev < 0)
		t_skip("/dev/udmabuf: %s (CONFIG_UDMABUF)", strerror(errno));
	b->memfd = memfd_create("token_io", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (b->memfd < 0 || ftruncate(b->memfd, b->size) ||
	    fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		t_fail("memfd: %s", strerror(errno));
	c.memfd = b->memfd;
	b->fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (b->fd < 0)
		t_fail("UDMABUF_CREATE %llu bytes: %s",
		       (unsigned long long)b->size, strerror(errno));
	close(dev);
	/* The memfd's pages are the buffer: no dma-buf CPU access needed. */
	b->cpu = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->memfd, 0);
}

static void exp_vgem(struct buf *b)
{
	struct drm_mode_create_dumb d = { .width = 1024, .bpp = 32,
					  .height = b->size / PAGE };
	struct drm_prime_handle h = { .flags = DRM_CLOEXEC | DRM_RDWR };
	char path[32], name[16];

	for (int i = 0; i < 16 && b->drm_fd < 0; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		b->drm_fd = open(path, O_RDWR | O_CLOEXEC);
		if (b->drm_fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (ioctl(b->drm_fd, DRM_IOCTL_VERSION, &v) || strcmp(name, "vgem")) {
			close(b->drm_fd);
			b->drm_fd = -1;
		}
	}
	if (b->drm_fd < 0)
		t_skip("no vgem card in /dev/dri (modprobe vgem)");
	if (ioctl(b->drm_fd, DRM_IOCTL_MODE_CREATE_DUMB, &d))
		t_fail("vgem CREATE_DUMB: %s", strerror(errno));
	if (d.size != b->size)
		t_fail("vgem buffer is %llu bytes, want %llu",
		       (unsigned long long)d.size, (unsigned long long)b->size);
	h.handle = d.handle;
	if (ioctl(b->drm_fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &h))
		t_fail("vgem PRIME_HANDLE_TO_FD: %s", strerror(errno));
	b->fd = h.fd;
	b->cpu = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->fd, 0);
}

/* pages[:CHUNK_PAGES][:reverse][:dynamic], bar[...] likewise */
static void exp_texp(struct buf *b, const char *opts)
{
	struct dbr_texp_create c = { .shape = b->kind == EXP_BAR ?
				     DBR_TEXP_SHAPE_BAR : DBR_TEXP_SHAPE_PAGES };
	char *copy = strdup(opts), *save = NULL, *tok;

	b->chunk_pages = b->kind == EXP_BAR ? 256 : 16;
	for (tok = strtok_r(copy, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		if (!strcmp(tok, "reverse"))
			b->texp_flags |= DBR_TEXP_REVERSE;
		else if (!strcmp(tok, "dynamic"))
			b->texp_flags |= DBR_TEXP_DYNAMIC;
		else if (!strcmp(tok, "nomap"))
			b->texp_flags |= DBR_TEXP_NOMAP;
		else
			b->chunk_pages = parse_size(tok);
	}
	free(copy);
	if (b->size % (b->chunk_pages * PAGE))
		t_fail("size %llu is not a multiple of %u-page chunks",
		       (unsigned long long)b->size, b->chunk_pages);

	b->texp_fd = open_texp();
	c.flags = b->texp_flags;
	c.chunk_pages = b->chunk_pages;
	c.nr_chunks = b->size / (b->chunk_pages * PAGE);
	if (b->kind == EXP_BAR) {
		c.bar_offset = o.bar_off;
		if (!o.bar_file)
			t_fail("bar: no --bar-file and no $DBR_P2P_BAR_FILE");
		b->backing_fd = open(o.bar_file, O_RDONLY | O_CLOEXEC);
		if (b->backing_fd < 0)
			t_fail("open %s: %s", o.bar_file, strerror(errno));
	}
	if (ioctl(b->texp_fd, DBR_TEXP_IOC_CREATE, &c)) {
		if (b->kind == EXP_BAR && errno == ENODEV)
			t_skip("no ivshmem BAR (tests/vm/run --p2p-bar)");
		t_fail("test exporter create: %s", strerror(errno));
	}
	b->fd = c.fd;
	b->cpu = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      b->fd, 0);
}

static void buf_create(struct buf *b, const char *spec, uint64_t size)
{
	struct stat st;

	*b = (struct buf){ .fd = -1, .memfd = -1, .drm_fd = -1, .texp_fd = -1,
			   .backing_fd = -1, .size = size };
	if (!spec || !size || size % PAGE)
		t_fail("need --exporter and a --size in whole pages");
	if (!strcmp(spec, "udmabuf")) {
		b->kind = EXP_UDMABUF;
		exp_udmabuf(b);
	} else if (!strcmp(spec, "vgem")) {
		b->kind = EXP_VGEM;
		exp_vgem(b);
	} else if (!strncmp(spec, "pages", 5) && (!spec[5] || spec[5] == ':')) {
		b->kind = EXP_PAGES;
		exp_texp(b, spec + 5);
	} else if (!strncmp(spec, "bar", 3) && (!spec[3] || spec[3] == ':')) {
		b->kind = EXP_BAR;
		exp_texp(b, spec + 3);
	} else {
		t_fail("unknown exporter '%s'", spec);
	}
	if (b->cpu == MAP_FAILED)
		t_fail("%s: mmap: %s", spec, strerror(errno));
	if (fstat(b->fd, &st))
		t_fail("fstat dma-buf: %s", strerror(errno));
	b->ino = st.st_ino;
}

static void buf_free(struct buf *b)
{
	munmap(b->cpu, b->size);
	close(b->fd);
	if (b->memfd >= 0)
		close(b->memfd);
	if (b->drm_fd >= 0)
		close(b->drm_fd);
	if (b->texp_fd >= 0)
		close(b->texp_fd);
	if (b->backing_fd >= 0)
		close(b->backing_fd);
}

/* Bracket CPU access through the dma-buf's own mapping. */
static void buf_cpu(struct buf *b, bool start, bool write)
{
	struct dma_buf_sync s = {
		.flags = (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) |
			 (write ? DMA_BUF_SYNC_RW : DMA_BUF_SYNC_READ),
	};

	if (b->kind != EXP_UDMABUF && ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s))
		t_fail("DMA_BUF_IOCTL_SYNC: %s", strerror(errno));
}

/*
 * The buffer's bytes as the memory holds them: the CPU mapping, or for the
 * BAR the host-side backing file, read chunk by chunk (token chunk i lives
 * in BAR chunk nr - 1 - i when reversed).
 */
static void buf_snapshot(struct buf *b, uint64_t *dst)
{
	uint64_t chunk = b->chunk_pages * PAGE, nr = b->size / (chunk ? chunk : 1);

	if (b->kind != EXP_BAR) {
		buf_cpu(b, true, false);
		memcpy(dst, b->cpu, b->size);
		buf_cpu(b, false, false);
		return;
	}
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t mem = b->texp_flags & DBR_TEXP_REVERSE ? nr - 1 - i : i;
		off_t at = o.bar_off + mem * chunk;

		if (pread(b->backing_fd, (char *)dst + i * chunk, chunk, at) !=
		    (ssize_t)chunk)
			t_fail("pread %s at %lld: %s", o.bar_file, (long long)at,
			       strerror(errno));
	}
}

/* ---- expected contents -------------------------------------------------- */

enum { W_EXACT, W_OR_CANARY, W_ANY };

/* What every 8-byte word of a buffer or file region should hold. */
struct expect {
	uint64_t *want;
	uint8_t *mode;
	size_t n;
};

static void expect_init(struct expect *e, uint64_t bytes)
{
	e->n = bytes / 8;
	e->want = xrealloc(NULL, bytes + 8);
	e->mode = xrealloc(NULL, e->n + 1);
	memset(e->mode, W_EXACT, e->n + 1);
}

static void expect_free(struct expect *e)
{
	free(e->want);
	free(e->mode);
}

static bool in_ranges(const struct range *r, unsigned int n, uint64_t off)
{
	for (unsigned int i = 0; i < n; i++)
		if (off >= r[i].off && off < r[i].off + r[i].len)
			return true;
	return false;
}

/* The word at file offset @off of the data set @seed (holes per --zero/--data). */
static uint64_t file_word(int seed, uint64_t off)
{
	if (o.ndata ? !in_ranges(o.data, o.ndata, off) :
		      in_ranges(o.zero, o.nzero, off))
		return 0;
	return dbr_pat(seed, off);
}

static void describe(char *s, size_t n, uint64_t w)
{
	if (!w)
		snprintf(s, n, "0");
	else if (dbr_pat_seed(w) == DBR_PAT_CANARY)
		snprintf(s, n, "%#llx (canary of buffer offset %#llx)",
			 (unsigned long long)w, dbr_pat_off(w));
	else
		snprintf(s, n, "%#llx (seed %u offset %#llx)",
			 (unsigned long long)w, dbr_pat_seed(w), dbr_pat_off(w));
}

/* Compare; print the first mismatch and how many. @base: offset of word 0. */
static unsigned long expect_check(const struct expect *e, const uint64_t *got,
				  uint64_t base, const char *what)
{
	unsigned long bad = 0;
	char g[80], w[80];

	for (size_t i = 0; i < e->n; i++) {
		if (e->mode[i] == W_ANY || got[i] == e->want[i])
			continue;
		if (e->mode[i] == W_OR_CANARY &&
		    got[i] == dbr_pat(DBR_PAT_CANARY, i * 8))
			continue;
		if (!bad++) {
			describe(g, sizeof(g), got[i]);
			describe(w, sizeof(w), e->want[i]);
			fprintf(stderr, "%s: first mismatch at offset %#llx: got %s, want %s%s\n",
				what, (unsigned long long)(base + i * 8), g, w,
				e->mode[i] == W_OR_CANARY ? " or the canary" : "");
		}
	}
	if (bad)
		fprintf(stderr, "%s: %lu of %zu words wrong\n", what, bad, e->n);
	return bad;
}

/* ---- targets ----------------------------------------------------------- */

static bool is_blk(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISBLK(st.st_mode);
}

static uint64_t fd_size(int fd)
{
	struct stat st;
	uint64_t sz;

	if (fstat(fd, &st))
		t_fail("fstat: %s", strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return st.st_size;
	if (ioctl(fd, BLKGETSIZE64, &sz))
		t_fail("BLKGETSIZE64: %s", strerror(errno));
	return sz;
}

/* Plain reads of @path [off, off + len), O_DIRECT where the file allows. */
static void file_read(const char *path, uint64_t off, uint64_t len, void *dst)
{
	const uint64_t step = 1 << 20;
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	void *bounce;

	if (fd < 0 && errno == EINVAL)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	if (posix_memalign(&bounce, PAGE, step))
		t_fail("posix_memalign");
	for (uint64_t done = 0; done < len;) {
		uint64_t n = len - done < step ? len - done : step;
		ssize_t r = pread(fd, bounce, n, off + done);

		if (r < 0)
			t_fail("pread %s at %llu: %s", path,
			       (unsigned long long)(off + done), strerror(errno));
		if (r == 0) {	/* past EOF: reads as zeros for the check */
			memset((char *)dst + done, 0, len - done);
			break;
		}
		memcpy((char *)dst + done, bounce, r);
		done += r;
	}
	free(bounce);
	close(fd);
}

/* token_io mkpattern FILE SEED OFF LEN */
static int cmd_mkpattern(int argc, char **argv)
{
	const uint64_t step = 1 << 20;
	uint64_t seed, off, len;
	uint64_t *p;
	int fd;

	if (argc != 6)
		t_fail("usage: token_io mkpattern FILE SEED OFF LEN");
	seed = parse_size(argv[3]);
	off = parse_size(argv[4]);
	len = parse_size(argv[5]);
	if (seed >= DBR_PAT_CANARY || (off | len) % 8)
		t_fail("seed below %#x, offset and length multiples of 8",
		       DBR_PAT_CANARY);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC |
		  ((off | len) % 512 ? 0 : O_DIRECT), 0644);
	if (fd < 0 && errno == EINVAL)
		fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		t_fail("open %s: %s", argv[2], strerror(errno));
	if (posix_memalign((void **)&p, PAGE, step))
		t_fail("posix_memalign");
	for (uint64_t done = 0; done < len; done += step) {
		uint64_t n = len - done < step ? len - done : step;

		for (uint64_t w = 0; w < n / 8; w++)
			p[w] = dbr_pat(seed, off + done + w * 8);
		if (pwrite(fd, p, n, off + done) != (ssize_t)n)
			t_fail("pwrite %s: %s", argv[2], strerror(errno));
	}
	if (fsync(fd))
		t_fail("fsync %s: %s", argv[2], strerror(errno));
	close(fd);
	free(p);
	return T_EXIT_PASS;
}

/* ---- dmabridge ---------------------------------------------------------- */

static int ctl_open(void)
{
	int fd = open("/dev/" DMABRIDGE_CTL_NAME, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		t_fail("open /dev/" DMABRIDGE_CTL_NAME ": %s", strerror(errno));
	return fd;
}

static uint32_t token_create(int ctl, const struct buf *b, uint32_t flags)
{
	struct dmabridge_token_create c = { .dmabuf_fd = b->fd, .flags = flags };

	if (ioctl(ctl, DMABRIDGE_IOC_TOKEN_CREATE, &c))
		t_fail("TOKEN_CREATE: %s", strerror(errno));
	if (c.size != b->size)
		t_fail("token size %llu, dma-buf %llu",
		       (unsigned long long)c.size, (unsigned long long)b->size);
	return c.id;
}

static void token_destroy(int ctl, uint32_t id)
{
	struct dmabridge_token_destroy d = { .id = id };

	if (ioctl(ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d))
		t_fail("TOKEN_DESTROY %u: %s", id, strerror(errno));
}

/* TARGET_REGISTER: the index, or -errno. */
static long long target_register(int ctl, struct dmabridge_target t)
{
	if (ioctl(ctl, DMABRIDGE_IOC_TARGET_REGISTER, &t))
		return -errno;
	return t.index;
}

/* TARGET_UNREGISTER: 0 or -errno. */
static int target_unregister(int ctl, struct dmabridge_target t)
{
	return ioctl(ctl, DMABRIDGE_IOC_TARGET_UNREGISTER, &t) ? -errno : 0;
}

static unsigned long ioc(bool is_read)
{
	return is_read ? DMABRIDGE_IOC_READ : DMABRIDGE_IOC_WRITE;
}

/* Distinct for distinct i (odd multiplier), never equal to user_data. */
static uint64_t tag_of(uint64_t i)
{
	return 0x7a67000000000000ULL ^ (i * 0x9e3779b97f4a7c15ULL);
}

/* Bytes moved, or -errno. */
static long long io_sync(int ctl, bool is_read, struct dmabridge_io *io)
{
	long r = ioctl(ctl, ioc(is_read), io);

	return r < 0 ? -errno : r;
}

/* An SQE128/CQE32 ring for IORING_OP_URING_CMD on /dev/dmabridge. */
struct aio {
	struct io_uring ring;
	unsigned int inflight;
};

static void aio_init(struct aio *a, unsigned int entries)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
	};
	int r = io_uring_queue_init_params(entries, &a->ring, &p);

	if (r)
		t_fail("io_uring_queue_init_params(%u, SQE128|CQE32): %s",
		       entries, strerror(-r));
	a->inflight = 0;
}

static struct io_uring_sqe *aio_queue(struct aio *a, int ctl, bool is_read,
				      const struct dmabridge_io *io,
				      uint64_t user_data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);

	if (!sqe)
		t_fail("submission queue full");
	/* prep_rw clears the fields; cmd_op shares a union with off */
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ctl, NULL, 0, 0);
	sqe->cmd_op = ioc(is_read);
	memcpy(sqe->cmd, io, sizeof(*io));
	io_uring_sqe_set_data64(sqe, user_data);
	a->inflight++;
	return sqe;
}

static void aio_submit(struct aio *a)
{
	int r = io_uring_submit(&a->ring);

	if (r < 0)
		t_fail("io_uring_submit: %s", strerror(-r));
}

struct aio_done { uint64_t user_data, tag; long long res; };

static struct aio_done aio_wait(struct aio *a)
{
	struct io_uring_cqe *cqe;
	struct aio_done d;
	int r;

	do {
		r = io_uring_wait_cqe(&a->ring, &cqe);
	} while (r == -EINTR);
	if (r)
		t_fail("io_uring_wait_cqe: %s", strerror(-r));
	d = (struct aio_done){ cqe->user_data, cqe->big_cqe[0], cqe->res };
	io_uring_cqe_seen(&a->ring, cqe);
	a->inflight--;
	return d;
}

static struct dmabridge_io make_io(uint32_t token, int fd, const struct req *r,
				   uint64_t tag)
{
	return (struct dmabridge_io){ .token = token, .fd = fd,
		.token_offset = r->toff, .file_offset = r->foff,
		.length = r->len, .tag = tag };
}

/*
 * Run @n requests: one ioctl each, or through io_uring with up to @qd in
 * flight. Every completion must carry its own user_data and tag
 * (big_cqe[0]), once, whatever its result.
 */
static void run_reqs(int ctl, bool is_read, uint32_t token, int fd,
		     struct req *r, unsigned int n, unsigned int qd)
{
	struct dmabridge_io io;
	unsigned int next = 0;
	struct aio a;

	for (unsigned int i = 0; i < n; i++)
		r[i].res = LLONG_MIN;
	if (!qd) {
		for (unsigned int i = 0; i < n; i++) {
			io = make_io(token, fd, &r[i], tag_of(i));
			r[i].res = io_sync(ctl, is_read, &io);
		}
		return;
	}
	aio_init(&a, qd);
	while (next < n || a.inflight) {
		while (next < n && a.inflight < qd) {
			io = make_io(token, fd, &r[next], tag_of(next));
			aio_queue(&a, ctl, is_read, &io, next + 1);
			next++;
		}
		aio_submit(&a);
		do {
			struct aio_done d = aio_wait(&a);
			uint64_t i = d.user_data - 1;

			if (d.user_data < 1 || i >= next)
				t_fail("completion with user_data %llu: never submitted",
				       (unsigned long long)d.user_data);
			if (r[i].res != LLONG_MIN)
				t_fail("request %llu completed twice",
				       (unsigned long long)i);
			if (d.tag != tag_of(i))
				t_fail("request %llu: tag %#llx, want %#llx (res %lld)",
				       (unsigned long long)i,
				       (unsigned long long)d.tag,
				       (unsigned long long)tag_of(i), d.res);
			r[i].res = d.res;
		} while (a.inflight && io_uring_cq_ready(&a.ring));
	}
	io_uring_queue_exit(&a.ring);
}

/* ---- leak checks -------------------------------------------------------- */

/*
 * Devices attached to the dma-buf with inode @ino according to debugfs
 * dma_buf/bufinfo ("Total N devices attached" after its object line); -1
 * if it is not listed or there is no debugfs.
 */
static int bufinfo_attached(unsigned long ino)
{
	FILE *f = fopen(BUFINFO, "r");
	char line[512], name[64];
	unsigned long size, i;
	unsigned int fl, mode;
	bool ours = false;
	long count;
	int n = -1, t;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lu %x %x %ld %63s %lu", &size, &fl, &mode,
			   &count, name, &i) == 6)
			ours = i == ino;
		else if (ours && sscanf(line, "Total %d devices attached", &t) == 1) {
			n = t;
			break;
		}
	}
	fclose(f);
	return n;
}

struct leak_base { long long swiotlb, attaches, detaches, maps, unmaps; };

static void leak_snapshot(struct leak_base *l)
{
	l->swiotlb = t_read_counter(SWIOTLB_USED);
	l->attaches = t_read_counter(TEXP_DEBUGFS "attaches");
	l->detaches = t_read_counter(TEXP_DEBUGFS "detaches");
	l->maps = t_read_counter(TEXP_DEBUGFS "maps");
	l->unmaps = t_read_counter(TEXP_DEBUGFS "unmaps");
}

/*
 * After teardown: the buffer has no attachment, the test exporter saw as
 * many detaches and unmaps as attaches and maps since @base, and swiotlb
 * holds no more slots than before. Waits up to @secs for asynchronous
 * teardown (io_uring's exit work). Returns a description of what is left,
 * NULL if nothing.
 */
static const char *leak_left(const struct buf *b, const struct leak_base *base,
			     double secs)
{
	static char why[160];
	double end = now() + secs;
	struct leak_base l;
	int att;

	for (;;) {
		leak_snapshot(&l);
		att = bufinfo_attached(b->ino);
		if (att > 0)
			snprintf(why, sizeof(why), "%d device(s) still attached (" BUFINFO ")", att);
		else if (b->kind >= EXP_PAGES &&
			 l.attaches - base->attaches != l.detaches - base->detaches)
			snprintf(why, sizeof(why), "test exporter: %lld attaches, %lld detaches",
				 l.attaches - base->attaches, l.detaches - base->detaches);
		else if (b->kind >= EXP_PAGES &&
			 l.maps - base->maps != l.unmaps - base->unmaps)
			snprintf(why, sizeof(why), "test exporter: %lld maps, %lld unmaps",
				 l.maps - base->maps, l.unmaps - base->unmaps);
		else if (base->swiotlb >= 0 && l.swiotlb > base->swiotlb)
			snprintf(why, sizeof(why), "swiotlb: %lld slots used, %lld before",
				 l.swiotlb, base->swiotlb);
		else
			return NULL;
		if (now() > end)
			return why;
		usleep(100000);
	}
}

/* ---- io ----------------------------------------------------------------- */

static bool accepted(long long res, long long want_bytes)
{
	if (res >= 0)
		return o.accept_ok && res == want_bytes;
	for (unsigned int i = 0; i < o.naccept; i++)
		if (-res == o.accept[i])
			return true;
	return false;
}

static void expect_str(char *s, size_t n)
{
	int k = snprintf(s, n, "%s", o.accept_ok ? "success" : "");

	for (unsigned int i = 0; i < o.naccept; i++)
		k += snprintf(s + k, n - k, "%s%s", k ? " or " : "",
			      errname(o.accept[i]));
}

/*
 * One READ's range in the token buffer: the file's bytes up to the count it
 * returned, anything after that (the rest of a block at end of file); for an
 * accepted failure (@loose: maybe moved, maybe not) the file's bytes or the
 * canary.
 */
/* The target's block size (st_blksize): a short READ may fill its last one. */
static uint64_t target_blksize = PAGE;

/*
 * A READ of @r that reported @bytes: those hold the file's bytes. A short
 * READ (end of file) may also have changed the rest of the block holding
 * EOF, as an O_DIRECT read(2) does; every byte after that keeps the canary
 * (issue 16, defect 6: under swiotlb they got stale bounce bytes).
 */
static void expect_read(struct expect *e, const struct req *r, uint64_t bytes,
			bool loose)
{
	uint64_t blk = target_blksize;
	uint64_t any_end = (r->foff + bytes + blk - 1) / blk * blk - r->foff;

	for (uint64_t k = 0; k < r->len; k += 8) {
		size_t w = (r->toff + k) / 8;

		if (!loose && k >= bytes && k >= any_end)
			continue;	/* the canary expect_init() put there */
		e->want[w] = file_word(o.seed, r->foff + k);
		e->mode[w] = loose ? W_OR_CANARY : k < bytes ? W_EXACT : W_ANY;
	}
}

/* Load @img into the buffer; with @seed >= 0 first put that data set's
 * words in the requests' token ranges (the sources of a WRITE). */
static void buf_load(struct buf *b, uint64_t *img, int seed)
{
	for (unsigned int i = 0; seed >= 0 && i < o.nreqs; i++)
		for (uint64_t k = 0; k < o.reqs[i].len; k += 8)
			img[(o.reqs[i].toff + k) / 8] =
				dbr_pat(seed, o.reqs[i].foff + k);
	buf_cpu(b, true, true);
	memcpy(b->cpu, img, b->size);
	buf_cpu(b, false, true);
}

static int cmd_io(void)
{
	int fd, ctl, flags = o.is_read ? O_RDONLY : O_RDWR | O_CREAT;
	struct leak_base base;
	unsigned long bad = 0;
	unsigned int nok = 0;
	uint64_t fsize, *got;
	struct expect tok;
	struct buf b;
	uint32_t id;
	char exp[64];

	if (!o.file || !o.have_dir || o.seed < 0 || !o.nreqs)
		t_fail("io needs --file, --dir, --seed and --req");
	phase("start");
	buf_create(&b, o.exporter, o.size);
	phase("create");
	for (unsigned int i = 0; i < o.nreqs; i++)
		if (o.reqs[i].toff + o.reqs[i].len > b.size || o.reqs[i].toff % 8 ||
		    o.reqs[i].foff % 8 || o.reqs[i].len % 8)
			t_fail("request %u: the token range must be 8-byte aligned "
			       "and inside the buffer (use errnos for bad ones)", i);
	fd = open(o.file, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	fsize = fd_size(fd);
	{
		struct stat st;

		if (!fstat(fd, &st) && st.st_blksize > 0)
			target_blksize = st.st_blksize;
	}

	/* Canary everywhere; a WRITE's source ranges carry its data. */
	expect_init(&tok, b.size);
	for (size_t w = 0; w < tok.n; w++)
		tok.want[w] = dbr_pat(DBR_PAT_CANARY, w * 8);
	if (o.is_read)
		buf_load(&b, tok.want, -1);
	else
		buf_load(&b, tok.want, o.single ? o.seed : o.seed | 0x8000);

	phase("fill");
	leak_snapshot(&base);
	ctl = ctl_open();
	id = token_create(ctl, &b, o.is_read ? DMABRIDGE_TOKEN_READ :
			  DMABRIDGE_TOKEN_WRITE);
	if (!o.is_read && !o.single) {
		/*
		 * A first pass with other data maps the token; then the CPU
		 * writes the real data. Under swiotlb=force the device reads
		 * the bounce slots filled when the token was mapped, so only
		 * the per-I/O dma_sync_single_for_device() gets the second
		 * pass's data to the file.
		 */
		run_reqs(ctl, false, id, fd, o.reqs, o.nreqs, o.qd);
		for (unsigned int i = 0; i < o.nreqs; i++)
			if (o.reqs[i].res != (long long)o.reqs[i].len && o.accept_ok)
				t_fail("first WRITE pass, request %u: %lld", i,
				       o.reqs[i].res);
		buf_load(&b, tok.want, o.seed);
	}
	if (o.prime.len && o.is_read) {
		/*
		 * --prime: one READ, then the canary again. Where the mapping
		 * bounces, its bounce slots keep the primed bytes, so a later
		 * READ that syncs back more than the device wrote (a short
		 * READ at end of file) puts them where the canary must stay.
		 */
		struct dmabridge_io io = make_io(id, fd, &o.prime, 0);
		long long res = io_sync(ctl, true, &io);

		if (res != (long long)o.prime.len)
			t_fail("--prime READ: %lld", res);
		buf_load(&b, tok.want, -1);
	}
	if (o.move) {
		/* map, invalidate through the exporter, and remap on next use */
		struct dbr_texp_move m = { .fd = b.fd };

		if (b.kind < EXP_PAGES)
			t_fail("--move needs a test exporter buffer");
		run_reqs(ctl, o.is_read, id, fd, o.reqs, 1, 0);
		if (ioctl(b.texp_fd, DBR_TEXP_IOC_MOVE, &m))
			t_fail("DBR_TEXP_IOC_MOVE: %s", strerror(errno));
	}
	if (o.qd && o.is_read && !o.move) {
		/*
		 * Map the token with one ioctl first (a WRITE's first pass
		 * does): io_uring then issues the requests inline without
		 * blocking (IO_URING_F_NONBLOCK), the steady state. On a cold
		 * token each would be punted to an io-wq worker instead and
		 * the non-blocking path never run. Then the canary again.
		 */
		struct dmabridge_io io = make_io(id, fd, &o.reqs[0], 0);

		io_sync(ctl, true, &io);
		buf_load(&b, tok.want, -1);
	}
	run_reqs(ctl, o.is_read, id, fd, o.reqs, o.nreqs, o.qd);
	phase("requests");

	/* Every outcome must be the expected byte count or an accepted errno. */
	expect_str(exp, sizeof(exp));
	for (unsigned int i = 0; i < o.nreqs; i++) {
		struct req *r = &o.reqs[i];
		long long want = r->len;

		if (o.is_read)
			want = r->foff >= fsize ? 0 : fsize - r->foff < r->len ?
			       (long long)(fsize - r->foff) : (long long)r->len;
		if (!accepted(r->res, want)) {
			fprintf(stderr, "FAIL: %s request %u (foff %#llx toff %#llx len %#llx): "
				"got %lld%s%s, want %s (%lld bytes)\n",
				o.is_read ? "READ" : "WRITE", i,
				(unsigned long long)r->foff, (unsigned long long)r->toff,
				(unsigned long long)r->len, r->res,
				r->res < 0 ? " " : "", r->res < 0 ? errname(-r->res) : "",
				exp, want);
			bad++;
			/* already a failure: its own range is not checked too */
			for (uint64_t k = 0; o.is_read && k < r->len; k += 8)
				tok.mode[(r->toff + k) / 8] = W_ANY;
			continue;
		}
		nok += r->res >= 0;
		if (o.is_read)
			expect_read(&tok, r, r->res >= 0 ? (uint64_t)r->res : r->len,
				    r->res < 0);
	}

	/* The buffer: reads changed exactly their bytes, writes nothing. */
	got = xrealloc(NULL, b.size);
	buf_snapshot(&b, got);
	phase("snapshot");
	bad += !!expect_check(&tok, got, 0, "dma-buf");
	free(got);
	phase("verify");

	/*
	 * The file, read back on its own: the written ranges, and with
	 * --base-seed the rest as before (all of a regular file; of a block
	 * device, up to the end of the last request). A request that failed
	 * with anything but EIO was refused before a byte moved, so with
	 * --base-seed its range must hold the old bytes too.
	 */
	if (!o.is_read) {
		uint64_t end = 0, old_end = fsize;
		struct expect f;

		for (unsigned int i = 0; i < o.nreqs; i++)
			if (o.reqs[i].foff + o.reqs[i].len > end)
				end = o.reqs[i].foff + o.reqs[i].len;
		if (is_blk(fd))
			old_end = end;
		else if (o.base_seed >= 0 && fsize > end)
			end = fsize;
		expect_init(&f, end);
		for (size_t w = 0; w < f.n; w++) {
			bool old = o.base_seed >= 0 && w * 8 < old_end;

			f.want[w] = old ? file_word(o.base_seed, w * 8) : 0;
			f.mode[w] = old ? W_EXACT : W_ANY;
		}
		for (unsigned int i = 0; i < o.nreqs; i++) {
			struct req *r = &o.reqs[i];

			if (r->res < 0 && r->res != -EIO && o.base_seed >= 0)
				continue;
			for (uint64_t k = 0; k < r->len; k += 8) {
				f.want[(r->foff + k) / 8] = dbr_pat(o.seed, r->foff + k);
				f.mode[(r->foff + k) / 8] = r->res >= 0 ? W_EXACT : W_ANY;
			}
		}
		got = xrealloc(NULL, end + 8);
		file_read(o.file, 0, end, got);
		bad += !!expect_check(&f, got, 0, o.file);
		free(got);
		expect_free(&f);
		phase("file");
	}

	if (o.check_detach && nok && bufinfo_attached(b.ino) < 1)
		t_fail("no attachment listed in " BUFINFO " while the token is "
		       "mapped (%d): the leak check would prove nothing",
		       bufinfo_attached(b.ino));
	if (o.close_ctx)
		close(ctl);
	else
		token_destroy(ctl, id);
	if (o.check_detach) {
		const char *left = leak_left(&b, &base, 10);

		if (left) {
			fprintf(stderr, "FAIL: after %s: %s\n", o.close_ctx ?
				"close() of the context" : "TOKEN_DESTROY", left);
			bad++;
		}
	}
	if (!o.close_ctx)
		close(ctl);
	expect_free(&tok);
	buf_free(&b);
	close(fd);
	if (bad)
		t_fail("%s %s via %s: %lu problem(s)", o.is_read ? "read" : "write",
		       o.file, o.exporter, bad);
	printf("ok: %s %s %s: %u request(s) %s, %u moved data, every byte "
	       "checked%s\n", o.exporter, o.is_read ? "<-" : "->", o.file,
	       o.nreqs, o.qd ? "via io_uring" : "via ioctl", nok,
	       o.check_detach ? ", nothing left attached" : "");
	return T_EXIT_PASS;
}

/* ---- errnos ------------------------------------------------------------- */

static unsigned int nfail;

/* One request, sync or through the ring; returns bytes or -errno. */
static long long io_one(int ctl, bool is_read, struct dmabridge_io *io)
{
	struct aio_done d;
	struct aio a;

	if (!o.qd)
		return io_sync(ctl, is_read, io);
	aio_init(&a, 4);
	aio_queue(&a, ctl, is_read, io, 77);
	aio_submit(&a);
	d = aio_wait(&a);
	io_uring_queue_exit(&a.ring);
	if (d.user_data != 77 || d.tag != io->tag)
		t_fail("completion user_data %llu tag %#llx, want 77 and %#llx",
		       (unsigned long long)d.user_data, (unsigned long long)d.tag,
		       (unsigned long long)io->tag);
	return d.res;
}

static void expect_io(const char *what, int ctl, bool is_read,
		      struct dmabridge_io io, int want)
{
	long long r;

	io.tag = 0x5eed0000 + nfail;
	r = io_one(ctl, is_read, &io);
	if (want ? r == -want : r == (long long)io.length) {
		printf("ok: %-44s %s\n", what, want ? errname(want) : "success");
		return;
	}
	if (r < 0)
		printf("FAIL: %-42s got %s, want %s\n", what, errname(-r),
		       want ? errname(want) : "success");
	else
		printf("FAIL: %-42s got %lld of %llu bytes, want %s\n", what,
		       r, (unsigned long long)io.length,
		       want ? errname(want) : "success");
	nfail++;
}

/*
 * A READ and a WRITE of @base with @path (opened O_RDWR | @oflags) as the
 * target end with @want_read and @want_write (0: success), and a refused
 * WRITE left the target's first 8 KiB as they were.
 */
static void expect_target(int ctl, struct dmabridge_io base, const char *path,
			  int oflags, int want_read, int want_write)
{
	char before[8192], after[8192], what[96];
	int fd = open(path, O_RDWR | O_CLOEXEC | oflags);

	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	if (!want_write)
		t_fail("expect_target checks refused WRITEs only");
	file_read(path, 0, sizeof(before), before);
	base.fd = fd;
	snprintf(what, sizeof(what), "READ from %s", path);
	expect_io(what, ctl, true, base, want_read);
	/* from the canary, which no file holds: a WRITE that got through shows */
	base.token_offset = 0;
	snprintf(what, sizeof(what), "WRITE to %s", path);
	expect_io(what, ctl, false, base, want_write);
	close(fd);
	file_read(path, 0, sizeof(after), after);
	if (memcmp(before, after, sizeof(after))) {
		printf("FAIL: %s changed by a failed WRITE\n", path);
		nfail++;
	}
}

/*
 * The largest size the filesystem of @fd allows a file (its s_maxbytes):
 * ftruncate() beyond it fails with EFBIG. Leaves the file empty.
 */
static uint64_t fs_maxbytes(int fd)
{
	uint64_t lo = 0, hi = (uint64_t)LLONG_MAX;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (!ftruncate(fd, mid))
			lo = mid;
		else if (errno == EFBIG || errno == EINVAL)
			hi = mid - 1;
		else
			t_fail("ftruncate %llu: %s", (unsigned long long)mid,
			       strerror(errno));
	}
	if (ftruncate(fd, 0))
		t_fail("ftruncate 0: %s", strerror(errno));
	return lo;
}

/*
 * Issue 16, defect 8: a WRITE that crosses the target's limit fails whole
 * (before, it moved the bytes that fit and returned a short count) and
 * leaves the bytes below the limit as they were. @base names a valid
 * one-block WRITE on @frw (@path).
 */
static void expect_write_limits(int ctl, struct dmabridge_io base, int frw,
				const char *path)
{
	struct dmabridge_io io = base;
	char before[8192], after[8192];
	struct rlimit old, rl;
	uint64_t end;

	/* from the canary, which no file holds: a WRITE that got through shows */
	io.token_offset = 0;
	io.length = 8192;
	if (is_blk(frw)) {
		end = fd_size(frw);
		io.file_offset = end - 4096;
		file_read(path, end - 8192, sizeof(before), before);
		expect_io("WRITE crossing the end of the device", ctl, false,
			  io, ENOSPC);
		file_read(path, end - 8192, sizeof(after), after);
		if (memcmp(before, after, sizeof(after))) {
			printf("FAIL: %s: the last block written by a failed WRITE\n",
			       path);
			nfail++;
		}
		return;
	}
	/* RLIMIT_FSIZE 512 KiB; SIGXFSZ ignored, so write(2) says EFBIG */
	if (getrlimit(RLIMIT_FSIZE, &old))
		t_fail("getrlimit: %s", strerror(errno));
	signal(SIGXFSZ, SIG_IGN);
	rl = old;
	rl.rlim_cur = 512 << 10;
	if (setrlimit(RLIMIT_FSIZE, &rl))
		t_fail("setrlimit: %s", strerror(errno));
	file_read(path, (512 << 10) - 8192, sizeof(before), before);
	io.file_offset = (512 << 10) - 4096;
	expect_io("WRITE crossing RLIMIT_FSIZE", ctl, false, io, EFBIG);
	io.file_offset = 512 << 10;
	expect_io("WRITE starting at RLIMIT_FSIZE", ctl, false, io, EFBIG);
	if (setrlimit(RLIMIT_FSIZE, &old))
		t_fail("setrlimit: %s", strerror(errno));
	signal(SIGXFSZ, SIG_DFL);
	file_read(path, (512 << 10) - 8192, sizeof(after), after);
	if (memcmp(before, after, sizeof(after))) {
		printf("FAIL: %s changed below RLIMIT_FSIZE by a failed WRITE\n",
		       path);
		nfail++;
	}
}

/* --maxbytes: a WRITE crossing the filesystem's largest file offset. */
static void expect_maxbytes(int ctl, struct dmabridge_io base, const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct dmabridge_io io = base;
	uint64_t max;
	struct stat st;

	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	max = fs_maxbytes(fd);
	if (max >= (uint64_t)LLONG_MAX - 8192)
		t_fail("%s: the filesystem's limit is 2^63: use ext4", path);
	io.fd = fd;
	io.token_offset = 0;
	io.length = 8192;
	io.file_offset = (max & ~(PAGE - 1)) - 4096;
	expect_io("WRITE crossing the filesystem's largest offset", ctl,
		  false, io, EFBIG);
	if (fstat(fd, &st))
		t_fail("fstat: %s", strerror(errno));
	if (st.st_size || st.st_blocks) {
		printf("FAIL: %s grew to %lld bytes (%lld blocks) by a failed WRITE\n",
		       path, (long long)st.st_size, (long long)st.st_blocks);
		nfail++;
	}
	close(fd);
	unlink(path);
}

/* A registration ioctl ended with @r: @want (0: success). */
static void expect_reg(const char *what, long long r, int want)
{
	if (want ? r == -want : r >= 0) {
		printf("ok: %-44s %s\n", what, want ? errname(want) : "success");
		return;
	}
	printf("FAIL: %-42s got %s, want %s\n", what,
	       r < 0 ? errname(-r) : "success", want ? errname(want) : "success");
	nfail++;
}

/*
 * Registered targets (ABI 1.1): registration and its errnos, requests by
 * index (a READ's bytes checked through @tok, at @base's token offset +
 * 4 KiB), the direction check per request, unregistration, a full table.
 * @frw, @fro, @fwo: the target opened O_RDWR, O_RDONLY, O_WRONLY;
 * @xdev: a file no request may use; @closed: a closed descriptor number.
 * Leaves two targets registered: closing the context must drop them.
 */
static void expect_targets(int ctl, struct dmabridge_io base, struct expect *tok,
			   int frw, int fro, int fwo, int xdev, int closed)
{
	const struct dmabridge_target none = { 0 };
	struct dmabridge_target t;
	struct dmabridge_io io;
	long long irw, iro, iwo, i, n;
	uint64_t want[4096 / 8];
	int dupfd;

	t = none; t.fd = frw; t.flags = 1;
	expect_reg("REGISTER, flags", target_register(ctl, t), EINVAL);
	t = none; t.fd = frw; t.reserved = 1;
	expect_reg("REGISTER, reserved", target_register(ctl, t), EINVAL);
	t = none; t.fd = frw; t.index = 1;
	expect_reg("REGISTER, index not 0", target_register(ctl, t), EINVAL);
	t = none; t.fd = closed;
	expect_reg("REGISTER, closed fd", target_register(ctl, t), EBADF);
	t = none; t.fd = -1;
	expect_reg("REGISTER, fd -1", target_register(ctl, t), EBADF);
	t = none; t.fd = xdev;
	expect_reg("REGISTER, not on a dmabridge disk", target_register(ctl, t),
		   EXDEV);
	for (unsigned int k = 0; k < o.nxdev; k++) {
		char what[96];
		int fd = open(o.xdev[k], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			t_fail("open %s: %s", o.xdev[k], strerror(errno));
		snprintf(what, sizeof(what), "REGISTER %s", o.xdev[k]);
		t = none; t.fd = fd;
		expect_reg(what, target_register(ctl, t), EXDEV);
		close(fd);
	}

	/* the context keeps its own reference: the fd may go */
	dupfd = dup(frw);
	if (dupfd < 0)
		t_fail("dup: %s", strerror(errno));
	t = none; t.fd = dupfd;
	irw = target_register(ctl, t);
	close(dupfd);
	t.fd = fro;
	iro = target_register(ctl, t);
	t.fd = fwo;
	iwo = target_register(ctl, t);
	if (irw < 0 || iro < 0 || iwo < 0)
		t_fail("REGISTER: %s", errname(-(irw < 0 ? irw : iro < 0 ? iro : iwo)));
	if (irw >= DMABRIDGE_MAX_TARGETS || iro == irw || iwo == irw || iwo == iro)
		t_fail("REGISTER gave indexes %lld %lld %lld", irw, iro, iwo);

	io = base; io.flags = DMABRIDGE_IO_FIXED_TARGET; io.fd = irw;
	io.token_offset += 4096;
	expect_io("READ, registered target (its fd closed)", ctl, true, io, 0);
	file_read(o.file, base.file_offset, sizeof(want), want);
	for (uint64_t k = 0; k < 4096; k += 8)
		tok->want[(io.token_offset + k) / 8] = want[k / 8];
	/* the sanity READ's bytes back where they came from: the file stays */
	io = base; io.flags = DMABRIDGE_IO_FIXED_TARGET; io.fd = irw;
	expect_io("WRITE, registered O_RDWR target", ctl, false, io, 0);
	io.fd = iro;
	expect_io("WRITE, registered O_RDONLY target", ctl, false, io, EBADF);
	expect_io("READ, registered O_RDONLY target", ctl, true, io, 0);
	io.fd = iwo;
	expect_io("READ, registered O_WRONLY target", ctl, true, io, EBADF);
	io.fd = DMABRIDGE_MAX_TARGETS - 1;
	expect_io("READ, index never registered", ctl, true, io, EBADF);
	io.fd = DMABRIDGE_MAX_TARGETS;
	expect_io("READ, index DMABRIDGE_MAX_TARGETS", ctl, true, io, EBADF);
	io.fd = -1;
	expect_io("READ, index -1", ctl, true, io, EBADF);
	io = base; io.flags = 1U << 1;
	expect_io("flags bit 1", ctl, true, io, EINVAL);

	t = none; t.index = irw; t.fd = frw;
	expect_reg("UNREGISTER, fd not 0", target_unregister(ctl, t), EINVAL);
	t = none; t.index = irw; t.flags = 1;
	expect_reg("UNREGISTER, flags", target_unregister(ctl, t), EINVAL);
	t = none; t.index = irw; t.reserved = 1;
	expect_reg("UNREGISTER, reserved", target_unregister(ctl, t), EINVAL);
	t = none; t.index = DMABRIDGE_MAX_TARGETS;
	expect_reg("UNREGISTER, index DMABRIDGE_MAX_TARGETS",
		   target_unregister(ctl, t), ENOENT);
	t = none; t.index = irw;
	expect_reg("UNREGISTER", target_unregister(ctl, t), 0);
	expect_reg("UNREGISTER, again", target_unregister(ctl, t), ENOENT);
	io = base; io.flags = DMABRIDGE_IO_FIXED_TARGET; io.fd = irw;
	expect_io("READ, unregistered target", ctl, true, io, EBADF);

	/* the table holds DMABRIDGE_MAX_TARGETS: two are taken */
	t = none; t.fd = fro;
	for (n = 0; n < DMABRIDGE_MAX_TARGETS; n++)
		if (target_register(ctl, t) < 0)
			break;
	if (n != DMABRIDGE_MAX_TARGETS - 2) {
		printf("FAIL: %lld registrations fit beside 2, want %d\n", n,
		       DMABRIDGE_MAX_TARGETS - 2);
		nfail++;
	}
	expect_reg("REGISTER, table full", target_register(ctl, t), ENOSPC);
	for (i = 0; i < DMABRIDGE_MAX_TARGETS; i++) {
		if (i == iro || i == iwo)
			continue;
		int r;

		t = none; t.index = i;
		r = target_unregister(ctl, t);
		if (r) {
			printf("FAIL: UNREGISTER %lld of the full table: %s\n", i,
			       errname(-r));
			nfail++;
		}
	}
}

static int cmd_errnos(void)
{
	uint32_t rw, r, w, gone, nomap;
	int ctl, frw, fro, fwo, pipefd[2], null, closed;
	struct dmabridge_io io, base;
	char before[8192], after[8192];
	struct expect tok;
	uint64_t *got;
	struct buf b, nb;

	if (!o.file)
		t_fail("errnos needs --file (on a dmabridge disk)");
	buf_create(&b, o.exporter, o.size ? o.size : 1 << 20);
	expect_init(&tok, b.size);
	for (size_t i = 0; i < tok.n; i++)
		tok.want[i] = dbr_pat(DBR_PAT_CANARY, i * 8);
	buf_cpu(&b, true, true);
	memcpy(b.cpu, tok.want, b.size);
	buf_cpu(&b, false, true);
	ctl = ctl_open();
	rw = token_create(ctl, &b, DMABRIDGE_TOKEN_READ | DMABRIDGE_TOKEN_WRITE);
	r = token_create(ctl, &b, DMABRIDGE_TOKEN_READ);
	w = token_create(ctl, &b, DMABRIDGE_TOKEN_WRITE);
	frw = open(o.file, O_RDWR | O_CLOEXEC);
	fro = open(o.file, O_RDONLY | O_CLOEXEC);
	fwo = open(o.file, O_WRONLY | O_CLOEXEC);
	if (frw < 0 || fro < 0 || fwo < 0 || pipe(pipefd))
		t_fail("open %s: %s", o.file, strerror(errno));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* a descriptor number that is certainly closed */
	closed = dup2(frw, 900);
	close(closed);
	file_read(o.file, 0, sizeof(before), before);

	/* The valid request works, or the table below proves nothing. */
	base = (struct dmabridge_io){ .token = rw, .fd = frw,
		.token_offset = b.size - 8192, .length = 4096 };
	expect_io("valid READ (sanity)", ctl, true, base, 0);
	/* its bytes are whatever the file holds: not checked here */
	for (uint64_t k = 0; k < 4096; k += 8)
		tok.mode[(b.size - 8192 + k) / 8] = W_ANY;
	if (nfail)
		t_fail("the valid request failed: fix that first");

	io = base; io.token_offset = 256;
	expect_io("token offset not LBA aligned", ctl, true, io, EINVAL);
	io = base; io.file_offset = 256;
	expect_io("file offset not LBA aligned", ctl, true, io, EINVAL);
	io = base; io.length = 4096 + 256;
	expect_io("length not LBA aligned", ctl, true, io, EINVAL);
	io = base; io.length = 0;
	expect_io("length 0", ctl, true, io, EINVAL);
	io = base; io.length = (uint64_t)DMABRIDGE_IO_MAX_LEN + 4096;
	expect_io("length above DMABRIDGE_IO_MAX_LEN", ctl, true, io, EINVAL);
	io = base; io.flags = 1U << 31;
	expect_io("flags bit 31", ctl, false, io, EINVAL);
	io = base; io.reserved0 = 1;
	expect_io("reserved0", ctl, true, io, EINVAL);
	io = base; io.reserved[0] = 1;
	expect_io("reserved[0]", ctl, true, io, EINVAL);
	io = base; io.reserved[1] = 1 << 20;
	expect_io("reserved[1]", ctl, false, io, EINVAL);

	io = base; io.token_offset = b.size;
	expect_io("token offset at the end of the token", ctl, true, io, ERANGE);
	io = base; io.token_offset = b.size - 4096; io.length = 8192;
	expect_io("range crossing the end of the token", ctl, true, io, ERANGE);
	io = base; io.token_offset = -4096ULL;
	expect_io("token offset near 2^64 (overflow)", ctl, true, io, ERANGE);
	io = base; io.token_offset = b.size - 4096; io.length = 8192;
	expect_io("WRITE crossing the end of the token", ctl, false, io, ERANGE);

	io = base; io.token = 0x7fffffff;
	expect_io("unknown token", ctl, true, io, ENOENT);
	io = base; io.token = 0;
	expect_io("token 0", ctl, true, io, ENOENT);
	gone = token_create(ctl, &b, DMABRIDGE_TOKEN_READ | DMABRIDGE_TOKEN_WRITE);
	io = base; io.token = gone;
	expect_io("token before destroy (sanity)", ctl, true, io, 0);
	token_destroy(ctl, gone);
	expect_io("destroyed token, READ", ctl, true, io, ENOENT);
	expect_io("destroyed token, WRITE", ctl, false, io, ENOENT);

	io = base; io.fd = closed;
	expect_io("closed fd", ctl, true, io, EBADF);
	io = base; io.fd = -1;
	expect_io("fd -1", ctl, true, io, EBADF);
	io = base; io.fd = fro;
	expect_io("WRITE to an O_RDONLY fd", ctl, false, io, EBADF);
	io = base; io.fd = fwo;
	expect_io("READ from an O_WRONLY fd", ctl, true, io, EBADF);
	io = base; io.token = r;
	expect_io("WRITE from a READ-only token", ctl, false, io, EBADF);
	io = base; io.token = w;
	expect_io("READ into a WRITE-only token", ctl, true, io, EBADF);
	expect_targets(ctl, base, &tok, frw, fro, fwo, pipefd[0], closed);

	/* no DMA path: the exporter cannot map the buffer for the controller */
	buf_create(&nb, "pages:nomap", 16 * PAGE);
	nomap = token_create(ctl, &nb,
			     DMABRIDGE_TOKEN_READ | DMABRIDGE_TOKEN_WRITE);
	io = base; io.token = nomap; io.token_offset = 0;
	expect_io("READ, exporter cannot map", ctl, true, io, EOPNOTSUPP);
	expect_io("WRITE, exporter cannot map", ctl, false, io, EOPNOTSUPP);
	token_destroy(ctl, nomap);
	buf_free(&nb);

	io = base; io.fd = pipefd[0];
	expect_io("READ from a pipe", ctl, true, io, EXDEV);
	io = base; io.fd = null;
	expect_io("READ from /dev/null", ctl, true, io, EXDEV);
	for (unsigned int i = 0; i < o.nxdev; i++)
		expect_target(ctl, base, o.xdev[i], 0, EXDEV, EXDEV);
	/* the READ lands where the sanity READ did: W_ANY bytes */
	for (unsigned int i = 0; i < o.nappend_only; i++)
		expect_target(ctl, base, o.append_only[i], O_APPEND, 0, EPERM);
	expect_write_limits(ctl, base, frw, o.file);
	if (o.maxbytes)
		expect_maxbytes(ctl, base, o.maxbytes);

	/* Nothing the failed requests named was touched. */
	file_read(o.file, 0, sizeof(after), after);
	if (memcmp(before, after, sizeof(after))) {
		printf("FAIL: %s changed by failed WRITEs\n", o.file);
		nfail++;
	}
	got = xrealloc(NULL, b.size);
	buf_snapshot(&b, got);
	if (expect_check(&tok, got, 0, "dma-buf after failed requests"))
		nfail++;
	free(got);
	expect_free(&tok);
	close(ctl);
	buf_free(&b);
	if (nfail)
		t_fail("%u errno check(s) failed (%s)", nfail,
		       o.qd ? "io_uring" : "ioctl");
	printf("ok: every errno (%s, %s)\n", o.qd ? "io_uring" : "ioctl",
	       o.exporter);
	return T_EXIT_PASS;
}

/* ---- kill --------------------------------------------------------------- */

/* The child: @qd reads always in flight on one token until it is killed. */
static void kill_child(struct buf *b, int fd, uint64_t span, int ready)
{
	unsigned int slots = b->size / o.len, qd = o.qd;
	uint64_t issued = 0, completed = 0;
	int ctl = ctl_open();
	uint32_t id = token_create(ctl, b, DMABRIDGE_TOKEN_READ);
	struct aio a;

	aio_init(&a, qd);
	for (;;) {
		while (a.inflight < qd) {
			struct req r = { .foff = issued * o.len % span,
					 .toff = issued % slots * o.len,
					 .len = o.len };
			struct dmabridge_io io = make_io(id, fd, &r, tag_of(issued));

			aio_queue(&a, ctl, true, &io, ++issued);
		}
		aio_submit(&a);
		do {
			struct aio_done d = aio_wait(&a);

			if (d.res != (long long)o.len) {
				fprintf(stderr, "child: request %llu: %lld (%s)\n",
					(unsigned long long)d.user_data, d.res,
					d.res < 0 ? errname(-d.res) : "short");
				_exit(3);
			}
			/* a full queue's worth done: the path works, kill me */
			if (++completed == qd && write(ready, "r", 1) != 1)
				_exit(4);
		} while (io_uring_cq_ready(&a.ring));
	}
}

static int cmd_kill(void)
{
	int fd, pipefd[2], status;
	struct leak_base base;
	struct pollfd pfd;
	const char *left;
	struct buf b;
	uint64_t span;
	double t;
	pid_t pid;
	char c;

	if (!o.file || !o.len || !o.qd)
		t_fail("kill needs --file, --len and --async QD");
	buf_create(&b, o.exporter, o.size ? o.size : o.qd * o.len);
	if (b.size < o.len)
		t_fail("buffer smaller than one request");
	fd = open(o.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	span = o.span ? o.span : fd_size(fd) / o.len * o.len;
	if (span < o.len)
		t_fail("%s is smaller than one request", o.file);
	leak_snapshot(&base);
	if (pipe(pipefd))
		t_fail("pipe: %s", strerror(errno));

	/* The parent keeps its own dma-buf fd: the buffer outlives the child. */
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (!pid) {
		close(pipefd[0]);
		kill_child(&b, fd, span, pipefd[1]);
	}
	close(pipefd[1]);
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	if (poll(&pfd, 1, 180000) != 1 || read(pipefd[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		t_fail("child never got %u requests done (status %#x)", o.qd, status);
	}
	usleep(50000);	/* well inside the stream of requests */
	if (waitpid(pid, &status, WNOHANG))
		t_fail("child ended on its own (status %#x)", status);
	if (bufinfo_attached(b.ino) < 1)
		t_fail("the child's token shows no attachment in " BUFINFO);
	kill(pid, SIGKILL);
	t = now();
	while (!waitpid(pid, &status, WNOHANG)) {
		if (now() - t > 120)
			t_fail("child not reaped 120 s after SIGKILL: a hang");
		usleep(20000);
	}
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		t_fail("child status %#x, want killed by SIGKILL", status);
	printf("ok: child with %u requests in flight killed, reaped in %.2f s\n",
	       o.qd, now() - t);

	left = leak_left(&b, &base, 60);
	if (left)
		t_fail("60 s after the kill: %s", left);
	printf("ok: nothing left attached (%s)%s\n", o.exporter,
	       base.swiotlb >= 0 ? ", swiotlb back to its baseline" : "");
	close(fd);
	buf_free(&b);
	return T_EXIT_PASS;
}

/* ---- unbind ------------------------------------------------------------- */

struct unbind_tally { uint64_t ok, enodev, eio, verified; };

static void write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		t_fail("write %s to %s: %s", val, path, strerror(errno));
	close(fd);
}

/* File offset of the @n-th read of child @who: spread over the span. */
static uint64_t unbind_off(uint64_t n, unsigned int who, uint64_t span)
{
	return (n * 7919 + who * 131) % (span / o.len) * o.len;
}

/* A READ into @slot completed: its bytes are the file's at @foff. */
static unsigned int unbind_verify(struct buf *b, unsigned int slot,
				  uint64_t foff, unsigned int who)
{
	const uint64_t *got = (const uint64_t *)((char *)b->cpu + slot * o.len);
	unsigned int bad = 0;

	buf_cpu(b, true, false);
	for (uint64_t k = 0; k < o.len / 8; k++) {
		uint64_t want = dbr_pat(o.seed, foff + k * 8);

		if (got[k] != want && bad++ < 2)
			fprintf(stderr, "child %u: slot %u word %llu: %#llx, want %#llx (file offset %llu)\n",
				who, slot, (unsigned long long)k,
				(unsigned long long)got[k],
				(unsigned long long)want,
				(unsigned long long)foff);
	}
	buf_cpu(b, false, false);
	return bad;
}

/*
 * A child of cmd_unbind(): @qd reads always in flight on its own token and
 * buffer, one per slot of the buffer, until the controller goes. Every
 * request must end with its bytes, checked as it completes, or with
 * ENODEV/EIO; the first failure stops new requests.
 */
static void unbind_child(int fd, uint64_t span, int ready, unsigned int who)
{
	unsigned int slots = o.qd, nbad = 0, nfree = 0, *freelist;
	uint64_t issued = 0, completed = 0;
	struct unbind_tally t = { 0 };
	bool stopping = false;
	uint32_t id;
	struct aio a;
	struct buf b;
	int ctl;

	if (slots > 1024)
		_exit(6);
	buf_create(&b, o.exporter, (uint64_t)slots * o.len);
	ctl = ctl_open();
	id = token_create(ctl, &b, DMABRIDGE_TOKEN_READ);
	freelist = xrealloc(NULL, slots * sizeof(*freelist));
	for (unsigned int i = 0; i < slots; i++)
		freelist[nfree++] = i;
	aio_init(&a, slots);
	while (!stopping || a.inflight) {
		/* one request per slot at a time: a slot's bytes are its last read's */
		while (!stopping && nfree) {
			unsigned int slot = freelist[--nfree];
			struct req r = { .foff = unbind_off(issued, who, span),
					 .toff = (uint64_t)slot * o.len,
					 .len = o.len };
			struct dmabridge_io io = make_io(id, fd, &r, issued);

			aio_queue(&a, ctl, true, &io, issued * 1024 + slot);
			issued++;
		}
		aio_submit(&a);
		do {
			struct aio_done d = aio_wait(&a);
			uint64_t n = d.user_data / 1024;
			unsigned int slot = d.user_data % 1024;

			freelist[nfree++] = slot;
			if (d.tag != n) {
				fprintf(stderr, "child %u: request %llu completed with tag %llu\n",
					who, (unsigned long long)n, (unsigned long long)d.tag);
				_exit(3);
			}
			if (d.res == (long long)o.len) {
				t.ok++;
				nbad += unbind_verify(&b, slot, unbind_off(n, who, span), who);
				t.verified++;
			} else if (d.res == -ENODEV || d.res == -EIO) {
				if (d.res == -ENODEV)
					t.enodev++;
				else
					t.eio++;
				stopping = true;
			} else {
				fprintf(stderr, "child %u: request %llu: %lld (%s), want %llu bytes, ENODEV or EIO\n",
					who, (unsigned long long)n, d.res,
					d.res < 0 ? errname(-d.res) : "short",
					(unsigned long long)o.len);
				_exit(3);
			}
			if (++completed == slots && write(ready, "r", 1) != 1)
				_exit(4);
		} while (io_uring_cq_ready(&a.ring));
	}
	if (nbad)
		_exit(5);
	printf("child %u: %llu read and verified, %llu ENODEV, %llu EIO\n",
	       who, (unsigned long long)t.ok, (unsigned long long)t.enodev,
	       (unsigned long long)t.eio);
	io_uring_queue_exit(&a.ring);
	close(ctl);
	buf_free(&b);
	_exit(0);
}

/*
 * token_io unbind: --count processes with --async QD token reads each in
 * flight on --file (a dmabridge disk) while the controller ($DBR_NVME_BDF)
 * is unbound. Each request ends with its bytes or ENODEV/EIO, nothing
 * hangs, and once the processes are gone nothing of theirs is left
 * attached, mapped or bounced. Rebinding is the caller's.
 */
static int cmd_unbind(void)
{
	const char *bdf = getenv("DBR_NVME_BDF");
	unsigned int procs = o.procs ? o.procs : 4, nready = 0;
	int fd, pipefd[2], status, failed = 0;
	struct leak_base base;
	struct pollfd pfd;
	pid_t pid[64];
	uint64_t span;
	double t;
	char c;

	if (!o.file || !o.len || !o.qd || o.seed < 0 || !bdf)
		t_fail("unbind needs --file, --len, --async QD, --seed and $DBR_NVME_BDF");
	if (procs > 64)
		t_fail("--procs: at most 64 processes");
	fd = open(o.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	span = o.span ? o.span : fd_size(fd);
	if (span < o.len)
		t_fail("%s is smaller than one request", o.file);
	leak_snapshot(&base);
	if (pipe(pipefd))
		t_fail("pipe: %s", strerror(errno));
	for (unsigned int i = 0; i < procs; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			t_fail("fork: %s", strerror(errno));
		if (!pid[i]) {
			close(pipefd[0]);
			unbind_child(fd, span, pipefd[1], i);
		}
	}
	close(pipefd[1]);
	close(fd);	/* the children hold the disk open */
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	while (nready < procs) {
		if (poll(&pfd, 1, 180000) != 1 || read(pipefd[0], &c, 1) != 1) {
			for (unsigned int i = 0; i < procs; i++)
				kill(pid[i], SIGKILL);
			t_fail("only %u of %u processes got their requests going",
			       nready, procs);
		}
		nready++;
	}
	usleep(20000);	/* inside the stream of requests */
	t = now();
	write_sysfs("/sys/bus/pci/drivers/dmabridge/unbind", bdf);
	printf("ok: unbound %s under %u x %u token reads in %.2f s\n", bdf,
	       procs, o.qd, now() - t);
	for (unsigned int i = 0; i < procs; i++) {
		while (!waitpid(pid[i], &status, WNOHANG)) {
			if (now() - t > 120) {
				kill(pid[i], SIGKILL);
				t_fail("process %u still running 120 s after the unbind: a hang", i);
			}
			usleep(20000);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("FAIL: process %u: status %#x\n", i, status);
			failed++;
		}
	}
	close(pipefd[0]);
	if (failed)
		t_fail("%d process(es) saw a wrong result", failed);
	/* their buffers are gone with them: count what the exporter saw */
	for (t = now();; usleep(50000)) {
		struct leak_base l;

		leak_snapshot(&l);
		if (l.attaches - base.attaches == l.detaches - base.detaches &&
		    l.maps - base.maps == l.unmaps - base.unmaps &&
		    (base.swiotlb < 0 || l.swiotlb <= base.swiotlb))
			break;
		if (now() - t > 60)
			t_fail("60 s after the unbind: %lld attaches / %lld detaches, %lld maps / %lld unmaps, swiotlb %lld (was %lld)",
			       l.attaches - base.attaches, l.detaches - base.detaches,
			       l.maps - base.maps, l.unmaps - base.unmaps,
			       l.swiotlb, base.swiotlb);
	}
	printf("ok: every request ended with its bytes or ENODEV/EIO; nothing left attached\n");
	return T_EXIT_PASS;
}

/* ---- bounce ------------------------------------------------------------- */

/*
 * Ordinary I/O beside the tokens: write @bytes to @path through the page
 * cache, fsync, and read them back. Returns the seconds it took.
 */
static double ordinary_write_fsync(const char *path, uint64_t bytes, int seed)
{
	const uint64_t step = 1 << 20;
	uint64_t *blk = xrealloc(NULL, step), *back = xrealloc(NULL, step);
	double t = now();
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	for (uint64_t off = 0; off < bytes; off += step) {
		for (uint64_t k = 0; k < step / 8; k++)
			blk[k] = dbr_pat(seed, off + k * 8);
		if (pwrite(fd, blk, step, off) != (ssize_t)step)
			t_fail("pwrite %s: %s", path, strerror(errno));
	}
	if (fsync(fd))
		t_fail("fsync %s: %s", path, strerror(errno));
	t = now() - t;
	close(fd);
	/* past the page cache: what the disk holds */
	for (uint64_t off = 0; off < bytes; off += step) {
		file_read(path, off, step, back);
		for (uint64_t k = 0; k < step / 8; k++)
			if (back[k] != dbr_pat(seed, off + k * 8))
				t_fail("%s: word at %llu wrong after fsync", path,
				       (unsigned long long)(off + k * 8));
	}
	free(blk);
	free(back);
	return t;
}

/*
 * token_io bounce: --tokens N tokens of --size bytes each, every one mapped
 * by a 4 KiB READ of --file's first block. Where the mapping bounces, only
 * --expect-mapped of them may map, the others fail with ENOBUFS; then
 * ordinary writes of --len bytes with fsync to --ordinary finish within
 * 60 s, byte-exact, beside the mapped tokens. Destroying a mapped token
 * lets a refused one map.
 */
static int cmd_bounce(void)
{
	unsigned int n = o.tokens, mapped = 0, refused = 0, first_refused = 0;
	const char *ordinary = o.ordinary;
	struct buf *b;
	uint32_t *id;
	double t;
	int ctl, fd;

	if (!o.file || !o.size || !n || !ordinary || !o.len)
		t_fail("bounce needs --file, --size, --tokens, --ordinary and --len");
	fd = open(o.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	b = xrealloc(NULL, n * sizeof(*b));
	id = xrealloc(NULL, n * sizeof(*id));
	ctl = ctl_open();
	for (unsigned int i = 0; i < n; i++) {
		struct req r = { .foff = 0, .toff = 0, .len = 4096 };
		struct dmabridge_io io;
		long long res;

		buf_create(&b[i], o.exporter, o.size);
		id[i] = token_create(ctl, &b[i], DMABRIDGE_TOKEN_READ);
		io = make_io(id[i], fd, &r, i);
		res = io_sync(ctl, true, &io);
		printf("    token %u: %s\n", i, res == 4096 ? "mapped" :
		       res < 0 ? errname(-res) : "short");
		if (res == 4096) {
			mapped++;
		} else if (res == -ENOBUFS) {
			if (!refused++)
				first_refused = i;
		} else {
			t_fail("token %u: READ %lld (%s), want 4096 or ENOBUFS", i,
			       res, res < 0 ? errname(-res) : "short");
		}
	}
	printf("ok: %u tokens of %llu bytes: %u mapped, %u refused with ENOBUFS\n",
	       n, (unsigned long long)o.size, mapped, refused);
	if (o.expect_mapped >= 0 && mapped != (unsigned int)o.expect_mapped)
		t_fail("%u tokens mapped, want %d (--expect-mapped)", mapped,
		       o.expect_mapped);

	t = ordinary_write_fsync(ordinary, o.len, 23);
	printf("ok: %llu MiB written with fsync beside the tokens in %.1f s, byte-exact\n",
	       (unsigned long long)(o.len >> 20), t);
	if (t > 60)
		t_fail("ordinary I/O took %.1f s beside the tokens: it waited for bounce space", t);

	if (refused && mapped) {
		struct req r = { .foff = 0, .toff = 0, .len = 4096 };
		struct dmabridge_io io;
		unsigned int victim;
		long long res;

		/* the first mapped one goes; the first refused one now fits */
		for (victim = 0; victim < n; victim++)
			if (victim != first_refused)
				break;
		token_destroy(ctl, id[victim]);
		io = make_io(id[first_refused], fd, &r, 0);
		res = io_sync(ctl, true, &io);
		if (res != 4096)
			t_fail("after a DESTROY, the refused token's READ: %lld", res);
		printf("ok: a destroyed token's bounce space serves a refused one\n");
	}
	close(ctl);
	for (unsigned int i = 0; i < n; i++)
		buf_free(&b[i]);
	close(fd);
	return T_EXIT_PASS;
}

/* ---- bench -------------------------------------------------------------- */

/*
 * token_io share -e EXP --size N --file PATH --seed S (issue 16)
 * Three tokens of one dma-buf, in two contexts: READ, READ, then
 * READ|WRITE. They share one attachment to the controller: two attachments
 * of one buffer to one device are two overlapping DMA mappings of the same
 * memory, which the DMA API forbids for a device that writes (6.12-debug's
 * DMA-API checks report "cacheline tracking EEXIST"), and hold bounce
 * space twice. Tokens 0 and 1 READ --file's quarters 0 and 1 (written
 * with mkpattern S) into the same quarters of the buffer; token 2 READs
 * quarter 2, which remaps the buffer for both directions, then 0 and 1
 * READ again and token 2 WRITEs buffer quarter 0 to the file's quarter 3.
 * Token 1's context is closed and token 0 destroyed; token 2 READs the
 * file's quarter 3 into buffer quarter 3. Every byte is checked; while
 * tokens live the buffer has one attachment (debugfs bufinfo, and the test
 * exporter's attach count), and after the last one nothing is left.
 */
static int cmd_share(void)
{
	const uint32_t flags[3] = { DMABRIDGE_TOKEN_READ, DMABRIDGE_TOKEN_READ,
				    DMABRIDGE_TOKEN_READ | DMABRIDGE_TOKEN_WRITE };
	const int ctx_of[3] = { 0, 1, 0 };
	struct leak_base base, l;
	uint64_t q, *img, *got;
	const char *left;
	uint32_t id[3];
	int ctl[2], fd;
	struct buf b;

	if (!o.file || o.seed < 0 || !o.size || o.size % (4 * PAGE))
		t_fail("share needs --file, --seed and a --size in 16 KiB units");
	q = o.size / 4;
	fd = open(o.file, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	leak_snapshot(&base);
	buf_create(&b, o.exporter, o.size);
	img = xrealloc(NULL, b.size);
	got = xrealloc(NULL, b.size);
	for (uint64_t k = 0; k < b.size; k += 8)
		img[k / 8] = dbr_pat(DBR_PAT_CANARY, k);
	buf_cpu(&b, true, true);
	memcpy(b.cpu, img, b.size);
	buf_cpu(&b, false, true);

	ctl[0] = ctl_open();
	ctl[1] = ctl_open();
	for (int t = 0; t < 3; t++)
		id[t] = token_create(ctl[ctx_of[t]], &b, flags[t]);

	/* share_io(token, is_read, file offset, token offset) of q bytes */
#define share_io(t, rd, foff, toff) do {				\
		struct req r_ = { (foff), (toff), q, 0 };		\
		struct dmabridge_io io_ = make_io(id[t], fd, &r_, t);	\
		long long res_ = io_sync(ctl[ctx_of[t]], (rd), &io_);	\
									\
		if (res_ != (long long)q)				\
			t_fail("token %d: %s %llu bytes at file %llu: %lld (%s)", \
			       t, (rd) ? "READ" : "WRITE",		\
			       (unsigned long long)q,			\
			       (unsigned long long)(foff), res_,	\
			       res_ < 0 ? errname(-res_) : "short");	\
	} while (0)
#define share_one(what) do {						\
		int a_ = bufinfo_attached(b.ino);			\
									\
		leak_snapshot(&l);					\
		if (a_ >= 0 && a_ != 1)					\
			t_fail("%s: %d attachments to the buffer, want 1 shared by its tokens", \
			       what, a_);				\
		if (b.kind >= EXP_PAGES && l.attaches - base.attaches != 1) \
			t_fail("%s: test exporter saw %lld attaches, want 1", \
			       what, l.attaches - base.attaches);	\
	} while (0)

	share_io(0, true, 0, 0);
	share_io(1, true, q, q);
	share_one("two READ tokens");
	share_io(2, true, 2 * q, 2 * q);
	share_io(0, true, 0, 0);
	share_io(1, true, q, q);
	share_io(2, false, 3 * q, 0);
	share_one("READ and READ|WRITE tokens");
	for (uint64_t k = 0; k < 3 * q; k += 8)
		img[k / 8] = dbr_pat(o.seed, k);

	close(ctl[1]);
	token_destroy(ctl[0], id[0]);
	share_io(2, true, 3 * q, 3 * q);
	share_one("the last token");
	for (uint64_t k = 3 * q; k < b.size; k += 8)
		img[k / 8] = dbr_pat(o.seed, k - 3 * q);

	buf_snapshot(&b, got);
	for (uint64_t k = 0; k < b.size; k += 8) {
		char w[96], g[96];

		if (got[k / 8] == img[k / 8])
			continue;
		describe(w, sizeof(w), img[k / 8]);
		describe(g, sizeof(g), got[k / 8]);
		t_fail("buffer offset %#llx: %s, want %s",
		       (unsigned long long)k, g, w);
	}
	file_read(o.file, 3 * q, q, got);
	for (uint64_t k = 0; k < q; k += 8)
		if (got[k / 8] != dbr_pat(o.seed, k))
			t_fail("file offset %#llx after the WRITE: %#llx, want %#llx",
			       (unsigned long long)(3 * q + k),
			       (unsigned long long)got[k / 8],
			       (unsigned long long)dbr_pat(o.seed, k));
#undef share_io
#undef share_one

	token_destroy(ctl[0], id[2]);
	close(ctl[0]);
	left = leak_left(&b, &base, 10);
	if (left)
		t_fail("after the last token: %s", left);
	buf_free(&b);
	free(img);
	free(got);
	close(fd);
	printf("ok: %s: 3 tokens in 2 contexts shared one attachment, byte-exact\n",
	       o.exporter);
	return T_EXIT_PASS;
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Next file offset: random LEN-aligned within the span, or sequential. */
static uint64_t bench_next(uint64_t span, uint64_t *seq)
{
	uint64_t off = *seq;

	if (o.random)
		return xorshift() % (span / o.len) * o.len;
	*seq = (*seq + o.len) % span;
	return off;
}

/* One bench request: a token READ, or (--stock) a registered-buffer READ. */
struct bench {
	struct aio a;
	int ctl, fd;
	int target;		/* what the requests' fd field holds */
	uint32_t id;
	uint8_t *mem;		/* --stock: the registered buffer */
};

static void bench_queue(struct bench *k, uint64_t foff, unsigned int slot)
{
	struct req r = { .foff = foff, .toff = (uint64_t)slot * o.len,
			 .len = o.len };
	struct dmabridge_io io;
	struct io_uring_sqe *sqe;

	if (!o.stock) {
		io = make_io(k->id, k->target, &r, slot);
		if (o.fixed_target)
			io.flags = DMABRIDGE_IO_FIXED_TARGET;
		aio_queue(&k->a, 0, true, &io, slot)->flags |=
			IOSQE_FIXED_FILE;
		return;
	}
	sqe = io_uring_get_sqe(&k->a.ring);
	if (!sqe)
		t_fail("submission queue full");
	/* fixed file 0, fixed buffer 0 */
	io_uring_prep_read_fixed(sqe, 0, k->mem + r.toff, o.len, foff, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, slot);
	k->a.inflight++;
}

/*
 * QD requests always in flight, each in its own token slot (user_data =
 * slot), for --ramp + --runtime seconds; counts only after the ramp.
 */
static int cmd_bench(void)
{
	unsigned int qd = o.qd ? o.qd : 1;
	uint64_t span, seq = 0, ios = 0, bytes = 0;
	double start, stop, from, secs;
	bool ramping = o.ramp > 0;
	struct bench k = { .ctl = -1 };
	struct buf b = { 0 };
	int r;

	if (!o.file || !o.len || o.runtime <= 0)
		t_fail("bench needs --file, --len and --runtime");
	k.fd = open(o.file, O_RDONLY | O_CLOEXEC | (o.stock ? O_DIRECT : 0));
	if (k.fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	span = (o.span ? o.span : fd_size(k.fd)) / o.len * o.len;
	aio_init(&k.a, qd);
	if (o.stock) {
		struct iovec iov = { .iov_len = (size_t)qd * o.len };

		if (posix_memalign(&iov.iov_base, 4096, iov.iov_len))
			t_fail("out of memory (%zu bytes)", iov.iov_len);
		memset(iov.iov_base, 0, iov.iov_len);
		k.mem = iov.iov_base;
		r = io_uring_register_buffers(&k.a.ring, &iov, 1);
		if (r)
			t_fail("io_uring register buffer: %s", strerror(-r));
	} else {
		/* QD slots, rounded up to 2 MiB: whole chunks of any shape
		 * up to pages:512
		 */
		buf_create(&b, o.exporter, o.size ? o.size :
			   (qd * o.len + (2 << 20) - 1) & ~((2ULL << 20) - 1));
		if (b.size < (uint64_t)qd * o.len)
			t_fail("buffer smaller than QD x len");
		k.ctl = ctl_open();
		k.id = token_create(k.ctl, &b, DMABRIDGE_TOKEN_READ);
		k.target = k.fd;
		if (o.fixed_target) {
			long long t = target_register(k.ctl, (struct dmabridge_target){
							      .fd = k.fd });

			if (t < 0)
				t_fail("TARGET_REGISTER %s: %s", o.file, errname(-t));
			k.target = t;
		}
	}
	/* fixed file 0 on both sides: the disk, or /dev/dmabridge */
	r = io_uring_register_files(&k.a.ring, o.stock ? &k.fd : &k.ctl, 1);
	if (r)
		t_fail("io_uring register file: %s", strerror(-r));

	start = from = now();
	stop = start + o.ramp + o.runtime;
	for (unsigned int slot = 0; slot < qd; slot++)
		bench_queue(&k, bench_next(span, &seq), slot);
	while (k.a.inflight) {
		aio_submit(&k.a);
		do {
			struct aio_done d = aio_wait(&k.a);
			double t = now();

			if (d.res != (long long)o.len)
				t_fail("bench request: %lld (%s)", d.res,
				       d.res < 0 ? errname(-d.res) : "short");
			if (ramping && t >= start + o.ramp) {
				ramping = false;
				from = t;
				ios = bytes = 0;
			}
			ios++;
			bytes += d.res;
			if (t < stop)		/* the slot goes out again */
				bench_queue(&k, bench_next(span, &seq),
					    d.user_data);
		} while (k.a.inflight && io_uring_cq_ready(&k.a.ring));
	}
	secs = now() - from;
	printf("BENCH exporter=%s%s file=%s bs=%llu qd=%u pattern=%s ios=%llu "
	       "secs=%.2f iops=%.0f mibps=%.1f\n",
	       o.stock ? "none(stock)" : o.exporter,
	       o.fixed_target ? " target=fixed" : "", o.file,
	       (unsigned long long)o.len, qd, o.random ? "random" : "sequential",
	       (unsigned long long)ios, secs, ios / secs,
	       bytes / secs / (1 << 20));
	io_uring_queue_exit(&k.a.ring);
	if (o.stock) {
		free(k.mem);
	} else {
		close(k.ctl);
		buf_free(&b);
	}
	close(k.fd);
	return T_EXIT_PASS;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "mkpattern"))
		return cmd_mkpattern(argc, argv);
	parse_opts(argc - 1, argv + 1);
	if (!strcmp(cmd, "io"))
		return cmd_io();
	if (!strcmp(cmd, "errnos"))
		return cmd_errnos();
	if (!strcmp(cmd, "kill"))
		return cmd_kill();
	if (!strcmp(cmd, "unbind"))
		return cmd_unbind();
	if (!strcmp(cmd, "bounce"))
		return cmd_bounce();
	if (!strcmp(cmd, "bench"))
		return cmd_bench();
	if (!strcmp(cmd, "share"))
		return cmd_share();
	t_fail("usage: token_io mkpattern|io|errnos|kill|unbind|bounce|bench|share ... (see token_io.c)");
}
