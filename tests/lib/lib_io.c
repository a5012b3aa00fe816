// SPDX-License-Identifier: GPL-2.0
/*
 * lib_io: libdmabridge's behaviour, checked byte for byte, through its
 * public API only (plus the dma-buf exporters it needs to make buffers).
 *
 *   lib_io rw -e EXP --file PATH --reason NAME [--size N] [--blk]
 *	reads and writes of many shapes (aligned, unaligned head/tail, both,
 *	misaligned buffer vs file, tiny, across end of file, large and
 *	chunked) between one registered dma-buf sub-range and PATH; every
 *	byte of the buffer and of the file is checked against a model, and
 *	every result's direct/compat split against the plan the alignment
 *	implies: NAME is the file's expected reason (dmab_reason_name(),
 *	"direct" for the direct path). --blk: PATH is a block device (no end
 *	of file shapes). Ends by checking the context's statistics.
 *   lib_io hole -e EXP --file PATH --reason NAME [--async]
 *	a sparse file: the holes read as zeros, the data as data, and the
 *	result names NAME among its reasons; --async: through the queue
 *   lib_io async -e EXP --file PATH --reason NAME [--size N] [--blk]
 *	the asynchronous queue: the rw shapes as reads and writes in flight
 *	together (tags, byte-exact data, direct/compat splits), signals in
 *	order and after their requests' bytes, cancel, the eventfd, the error
 *	record, the queue's errnos (EBUSY from a second thread) and the
 *	context's statistics
 *   lib_io errnos [-e EXP] --file PATH [--tmpfile PATH] [--no-dmabuf]
 *	every bad input gets its documented errno and moves nothing;
 *	--tmpfile: a file off the dmabridge disk, for DMABRIDGE_COMPAT=off
 *
 * EXP: udmabuf, vgem, auto (udmabuf, else vgem), pages[:nomap][:rdonly]
 * and bar (dbr_test_exporter, bar needs tests/vm/run --p2p-bar).
 * Exit 0 pass, 1 fail, 77 skip (exporter absent).
 */
#include <drm.h>
#include <drm_mode.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dmabridge/dmabridge.h>

#include "dbr_test_exporter.h"
#include "dbr_tool.h"

#define MIB (1ULL << 20)

static struct {
	const char *exp, *file, *reason, *tmpfile;
	uint64_t size;
	bool blk, no_dmabuf, async;
} o = { .exp = "auto", .size = 8 * MIB + 1234 };

/* ---- patterns: byte b of data set s at offset x ---------------------------- */

static inline uint8_t pat(unsigned int seed, uint64_t x)
{
	return (uint8_t)(dbr_pat(seed, x & ~7ULL) >> (8 * (x & 7)));
}

static void fill(uint8_t *dst, unsigned int seed, uint64_t off, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		dst[i] = pat(seed, off + i);
}

/* ---- exporters ------------------------------------------------------------- */

struct dbuf {
	int fd, aux;
	uint64_t size;
	uint8_t *cpu;
};

static void dbuf_udmabuf(struct dbuf *d)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = d->size };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);

	if (dev < 0)
		t_skip("/dev/udmabuf: %s", strerror(errno));
	d->aux = memfd_create("lib_io", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (d->aux < 0 || ftruncate(d->aux, (off_t)d->size) ||
	    fcntl(d->aux, F_ADD_SEALS, F_SEAL_SHRINK))
		t_fail("memfd: %s", strerror(errno));
	c.memfd = (uint32_t)d->aux;
	d->fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (d->fd < 0)
		t_fail("UDMABUF_CREATE: %s", strerror(errno));
	close(dev);
}

static bool dbuf_vgem(struct dbuf *d)
{
	struct drm_mode_create_dumb cd = { .width = 1024, .bpp = 32,
					   .height = (uint32_t)(d->size / 4096) };
	struct drm_prime_handle h = { .flags = DRM_CLOEXEC | DRM_RDWR };
	char path[32], name[16];

	for (int i = 0; i < 16 && d->aux < 0; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		d->aux = open(path, O_RDWR | O_CLOEXEC);
		if (d->aux < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (ioctl(d->aux, DRM_IOCTL_VERSION, &v) || strcmp(name, "vgem")) {
			close(d->aux);
			d->aux = -1;
		}
	}
	if (d->aux < 0)
		return false;
	if (ioctl(d->aux, DRM_IOCTL_MODE_CREATE_DUMB, &cd) || cd.size != d->size)
		t_fail("vgem CREATE_DUMB: %s", strerror(errno));
	h.handle = cd.handle;
	if (ioctl(d->aux, DRM_IOCTL_PRIME_HANDLE_TO_FD, &h))
		t_fail("vgem PRIME_HANDLE_TO_FD: %s", strerror(errno));
	d->fd = h.fd;
	return true;
}

static void dbuf_texp(struct dbuf *d, const char *opts)
{
	struct dbr_texp_create c = { .shape = DBR_TEXP_SHAPE_PAGES, .chunk_pages = 16 };

	if (!strncmp(opts, "bar", 3)) {
		c.shape = DBR_TEXP_SHAPE_BAR;
		c.chunk_pages = 256;
	}
	if (strstr(opts, "nomap"))
		c.flags |= DBR_TEXP_NOMAP;
	if (strstr(opts, "rdonly"))
		c.flags |= DBR_TEXP_RDONLY;
	c.nr_chunks = (uint32_t)(d->size / (c.chunk_pages * 4096ULL));
	d->aux = open("/dev/" DBR_TEXP_NAME, O_RDWR | O_CLOEXEC);
	if (d->aux < 0)
		t_skip("/dev/" DBR_TEXP_NAME ": %s", strerror(errno));
	if (ioctl(d->aux, DBR_TEXP_IOC_CREATE, &c)) {
		if (c.shape == DBR_TEXP_SHAPE_BAR && errno == ENODEV)
			t_skip("no ivshmem BAR (tests/vm/run --p2p-bar)");
		t_fail("test exporter create: %s", strerror(errno));
	}
	d->fd = c.fd;
}

/* A dma-buf of @size bytes (a multiple of 1 MiB) from exporter @spec. */
static void dbuf_new(struct dbuf *d, const char *spec, uint64_t size)
{
	*d = (struct dbuf){ .fd = -1, .aux = -1, .size = size };
	if (!strcmp(spec, "udmabuf")) {
		dbuf_udmabuf(d);
	} else if (!strcmp(spec, "vgem")) {
		if (!dbuf_vgem(d))
			t_skip("no vgem card in /dev/dri");
	} else if (!strcmp(spec, "auto")) {
		if (access("/dev/udmabuf", F_OK) == 0)
			dbuf_udmabuf(d);
		else if (!dbuf_vgem(d))
			t_skip("no dma-buf exporter: no /dev/udmabuf and no vgem");
	} else if (!strncmp(spec, "pages", 5) || !strncmp(spec, "bar", 3)) {
		dbuf_texp(d, spec);
	} else {
		t_fail("unknown exporter %s", spec);
	}
	if (strstr(spec, "rdonly"))
		return;
	d->cpu = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (d->cpu == MAP_FAILED)
		t_fail("%s: mmap: %s", spec, strerror(errno));
}

static void dbuf_free(struct dbuf *d)
{
	if (d->cpu && d->cpu != MAP_FAILED)
		munmap(d->cpu, d->size);
	close(d->fd);
	if (d->aux >= 0)
		close(d->aux);
}

static void dbuf_sync(struct dbuf *d, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_RW };

	if (ioctl(d->fd, DMA_BUF_IOCTL_SYNC, &s))
		t_fail("DMA_BUF_IOCTL_SYNC: %s", strerror(errno));
}

/*
 * Where @got differs from @want over [0, n): the first differing range and
 * what the word found there decodes to (data set and offset it came from).
 */
static void report_diff(const char *what, const uint8_t *got, const uint8_t *want,
			uint64_t n, uint64_t base)
{
	uint64_t x = 0, e, w;

	while (x < n && got[x] == want[x])
		x++;
	if (x == n)
		return;
	for (e = x; e < n && got[e] != want[e]; e++)
		;
	memcpy(&w, got + (x & ~7ULL), x + 8 <= n ? 8 : 0);
	fprintf(stderr, "%s: bytes [%llu, %llu) differ (first %#x, want %#x); the word at %llu decodes to seed %#x offset %llu\n",
		what, (unsigned long long)(base + x), (unsigned long long)(base + e),
		got[x], want[x], (unsigned long long)(base + (x & ~7ULL)),
		dbr_pat_seed(w), (unsigned long long)dbr_pat_off(w));
}

/* ---- the library ----------------------------------------------------------- */

#define CHECK(call) do {						\
	int __r = (call);						\
	if (__r)							\
		t_fail("%s: %s", #call, strerror(-__r));		\
} while (0)

#define EXPECT(call, want) do {						\
	int __r = (call);						\
	if (__r != (want))						\
		t_fail("%s: got %d (%s), want %d (%s)", #call, __r,	\
		       __r ? strerror(-__r) : "success", (want),	\
		       (want) ? strerror(-(want)) : "success");		\
} while (0)

static int reason_num(const char *name)
{
	for (int r = 0; r < DMAB_REASON__COUNT; r++)
		if (!strcmp(dmab_reason_name(r), name))
			return r;
	t_fail("unknown reason name %s", name);
}

static struct dmab_ctx *ctx_new(uint64_t chunk, uint32_t qd)
{
	struct dmab_ctx_opts opts = {
		.size = sizeof(opts),
		.set = DMAB_OPT_CHUNK_SIZE | DMAB_OPT_QUEUE_DEPTH,
		.chunk_size = chunk, .queue_depth = qd,
	};
	struct dmab_ctx *ctx;

	CHECK(dmab_ctx_new(&opts, &ctx));
	return ctx;
}

static void print_settings(struct dmab_ctx *ctx)
{
	struct dmab_settings s;

	CHECK(dmab_ctx_settings(ctx, &s));
	printf("settings: compat %s (%s), chunk %llu (%s), qd %u (%s), module %s, ABI %u.%u\n",
	       dmab_compat_name((int)s.compat), dmab_source_name((int)s.compat_src),
	       (unsigned long long)s.chunk_size, dmab_source_name((int)s.chunk_size_src),
	       s.queue_depth, dmab_source_name((int)s.queue_depth_src),
	       dmab_reason_name((int)s.module_reason), s.abi_major, s.abi_minor);
}

/* ---- rw -------------------------------------------------------------------- */

struct shape { uint64_t boff, foff, len; };

/* What the plan must be for a request that does not reach end of file. */
static void expect_split(const struct dmab_result *r, const struct shape *s,
			 uint64_t reg_off, uint32_t bs, int file_reason)
{
	uint64_t babs = reg_off + s->boff, head, mid, direct = 0;
	int reason = file_reason;

	if (file_reason == DMAB_REASON_NONE) {
		if (babs % bs != s->foff % bs) {
			reason = DMAB_REASON_MISALIGNED;
		} else {
			head = (bs - s->foff % bs) % bs;
			if (head > s->len)
				head = s->len;
			mid = (s->len - head) / bs * bs;
			if (!mid)
				reason = DMAB_REASON_UNALIGNED;
			else if (mid != s->len)
				reason = DMAB_REASON_UNALIGNED, direct = mid;
			else
				direct = mid;
		}
	}
	if (r->direct_bytes != direct || r->compat_bytes != s->len - direct)
		t_fail("boff %llu foff %llu len %llu: direct %llu compat %llu, want %llu and %llu",
		       (unsigned long long)s->boff, (unsigned long long)s->foff,
		       (unsigned long long)s->len, (unsigned long long)r->direct_bytes,
		       (unsigned long long)r->compat_bytes, (unsigned long long)direct,
		       (unsigned long long)(s->len - direct));
	if ((int)r->reason != reason)
		t_fail("boff %llu foff %llu len %llu: reason %s, want %s",
		       (unsigned long long)s->boff, (unsigned long long)s->foff,
		       (unsigned long long)s->len, dmab_reason_name((int)r->reason),
		       dmab_reason_name(reason));
}

static void file_snapshot(int fd, uint8_t *dst, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, (off_t)done);

		if (n <= 0)
			t_fail("pread file: %s", n ? strerror(errno) : "short");
		done += (uint64_t)n;
	}
}

static int cmd_rw(void)
{
	const uint64_t dsize = 16 * MIB, reg_off = 8192 + 512;
	const uint64_t fsize = o.size, reg_len = dsize - reg_off - 4096;
	uint8_t *model, *snap, *want, *canary;
	struct dmab_file_info fi;
	struct dmab_result r;
	struct dmab_stats st;
	struct dmab_file *f;
	struct dmab_buf *b;
	struct dmab_ctx *ctx;
	struct dbuf d;
	uint64_t sum[2][2] = { { 0 } }, calls[2] = { 0 }, n;
	int freason = reason_num(o.reason), fd;
	uint32_t bs;

	/* the file: data set 1 everywhere */
	/* writes may extend the file up to the largest shape's end (12 MiB) */
	model = malloc(fsize + 16 * MIB);
	snap = malloc(fsize + 16 * MIB);
	want = malloc(dsize);
	canary = malloc(dsize);
	if (!model || !snap || !want || !canary)
		t_fail("out of memory");
	fill(canary, 0xfffe, 0, dsize);		/* keyed by buffer offset */
	fill(model, 1, 0, fsize);
	fd = open(o.file, O_RDWR | O_CREAT | (o.blk ? 0 : O_TRUNC), 0644);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	if (pwrite(fd, model, fsize, 0) != (ssize_t)fsize || fsync(fd))
		t_fail("write %s: %s", o.file, strerror(errno));

	dbuf_new(&d, o.exp, dsize);
	ctx = ctx_new(256 * 1024, 8);	/* small chunks: many pieces in flight */
	print_settings(ctx);
	CHECK(dmab_file_open(ctx, o.file, O_RDWR, 0, &f));
	CHECK(dmab_file_info(f, &fi));
	printf("file %s: read %s, write %s, compat %s (%s), block %u, dio align %u, dev %s\n",
	       o.file, dmab_reason_name((int)fi.read_reason),
	       dmab_reason_name((int)fi.write_reason),
	       fi.compat_odirect ? "O_DIRECT" : "buffered",
	       dmab_reason_name((int)fi.compat_reason), fi.block_size,
	       fi.dio_align, fi.dev_name);
	if ((int)fi.read_reason != freason)
		t_fail("file reason %s (%s), want %s", dmab_reason_name((int)fi.read_reason),
		       dmab_strerror((int)fi.read_reason), o.reason);
	bs = fi.block_size;
	CHECK(dmab_buf_register(ctx, d.fd, reg_off, reg_len,
				DMAB_BUF_READ | DMAB_BUF_WRITE, &b));

	const struct shape shapes[] = {
		{ 0, 0, 1 * MIB },			/* aligned */
		{ 100, 100, 1 * MIB },			/* unaligned head */
		{ 0, 0, 1 * MIB + 77 },			/* unaligned tail */
		{ 513, 4096 + 513, 3 * MIB + 1000 },	/* both */
		{ 1, 0, 64 * 1024 },			/* buffer and file misaligned */
		{ 4093, 8189, 10 },			/* tiny, across a block edge */
		{ 3, 5, 300 },				/* inside one block */
		{ 512, 1024, 4 * MIB },			/* aligned, many chunks */
		{ 7 * MIB + 11, 2 * MIB + 11, 5 * MIB + 3 }, /* big, both edges */
		{ 0, 511, 2 },				/* two bytes across a block */
	};
	const unsigned int nshapes = sizeof(shapes) / sizeof(shapes[0]);

	/* reads: the buffer gets exactly the file's bytes, nothing else moves */
	for (unsigned int i = 0; i < nshapes + 2; i++) {
		struct shape s = i < nshapes ? shapes[i] :
			i == nshapes ? (struct shape){ 4096, fsize - 1000, 5000 } :
				       (struct shape){ 0, fsize, 4096 };
		uint64_t expect;

		if (o.blk && i >= nshapes)
			break;
		expect = s.foff >= fsize ? 0 : s.len < fsize - s.foff ? s.len : fsize - s.foff;
		dbuf_sync(&d, DMA_BUF_SYNC_START);
		memcpy(d.cpu, canary, dsize);
		dbuf_sync(&d, DMA_BUF_SYNC_END);
		memcpy(want, canary, dsize);
		memcpy(want + reg_off + s.boff, model + s.foff, expect);
		CHECK(dmab_read(f, b, s.boff, s.foff, s.len, &r));
		calls[0]++;
		sum[0][0] += r.direct_bytes;
		sum[1][0] += r.compat_bytes;
		if (r.bytes != expect || r.direct_bytes + r.compat_bytes != r.bytes)
			t_fail("read %u: %llu bytes (%llu direct, %llu compat), want %llu", i,
			       (unsigned long long)r.bytes, (unsigned long long)r.direct_bytes,
			       (unsigned long long)r.compat_bytes, (unsigned long long)expect);
		if (i < nshapes && expect == s.len)
			expect_split(&r, &s, reg_off, bs, freason);
		dbuf_sync(&d, DMA_BUF_SYNC_START);
		if (memcmp(d.cpu, want, dsize))
			report_diff("buffer", d.cpu, want, dsize, 0);
		for (uint64_t x = memcmp(d.cpu, want, dsize) ? 0 : dsize; x < dsize; x++)
			if (d.cpu[x] != want[x])
				t_fail("read %u (boff %llu foff %llu len %llu): buffer byte %llu is %#x, want %#x",
				       i, (unsigned long long)s.boff, (unsigned long long)s.foff,
				       (unsigned long long)s.len, (unsigned long long)x,
				       d.cpu[x], want[x]);
		dbuf_sync(&d, DMA_BUF_SYNC_END);
		printf("read  %2u: boff %8llu foff %8llu len %8llu -> %8llu bytes, %8llu direct, reason %s\n",
		       i, (unsigned long long)s.boff, (unsigned long long)s.foff,
		       (unsigned long long)s.len, (unsigned long long)r.bytes,
		       (unsigned long long)r.direct_bytes, dmab_reason_name((int)r.reason));
	}

	/* writes: the file gets exactly the buffer's bytes, nothing else moves */
	n = fsize;
	for (unsigned int i = 0; i < nshapes + 1; i++) {
		struct shape s = i < nshapes ? shapes[i] :
			(struct shape){ 4096, fsize - 100, 5000 };	/* extends */
		unsigned int seed = 2 + i;

		if (o.blk && i >= nshapes)
			break;
		dbuf_sync(&d, DMA_BUF_SYNC_START);
		memcpy(d.cpu, canary, dsize);
		fill(d.cpu + reg_off + s.boff, seed, s.foff, s.len);
		dbuf_sync(&d, DMA_BUF_SYNC_END);
		CHECK(dmab_write(f, b, s.boff, s.foff, s.len, &r));
		calls[1]++;
		sum[0][1] += r.direct_bytes;
		sum[1][1] += r.compat_bytes;
		if (r.bytes != s.len || r.direct_bytes + r.compat_bytes != r.bytes)
			t_fail("write %u: %llu bytes, want %llu", i,
			       (unsigned long long)r.bytes, (unsigned long long)s.len);
		if (i < nshapes)
			expect_split(&r, &s, reg_off, bs, freason);
		fill(model + s.foff, seed, s.foff, s.len);
		if (s.foff + s.len > n)
			n = s.foff + s.len;
		if (!o.blk) {
			struct stat sb;

			if (fstat(fd, &sb) || (uint64_t)sb.st_size != n)
				t_fail("write %u: file size %lld, want %llu", i,
				       (long long)sb.st_size, (unsigned long long)n);
		}
		file_snapshot(fd, snap, n);
		if (memcmp(snap, model, n)) {
			report_diff("file (buffered read)", snap, model, n, 0);
			/* the page cache, or the disk? */
			int dfd = open(o.file, O_RDONLY | O_DIRECT);
			uint64_t an = n / 4096 * 4096;

			if (dfd >= 0 && an) {
				void *al = NULL;

				if (!posix_memalign(&al, 4096, an) &&
				    pread(dfd, al, an, 0) == (ssize_t)an)
					report_diff("file (O_DIRECT read)", al, model, an, 0);
				free(al);
				close(dfd);
			}
		}
		for (uint64_t x = memcmp(snap, model, n) ? 0 : n; x < n; x++)
			if (snap[x] != model[x])
				t_fail("write %u (boff %llu foff %llu len %llu): file byte %llu is %#x, want %#x",
				       i, (unsigned long long)s.boff, (unsigned long long)s.foff,
				       (unsigned long long)s.len, (unsigned long long)x,
				       snap[x], model[x]);
		printf("write %2u: boff %8llu foff %8llu len %8llu -> %8llu bytes, %8llu direct, reason %s\n",
		       i, (unsigned long long)s.boff, (unsigned long long)s.foff,
		       (unsigned long long)s.len, (unsigned long long)r.bytes,
		       (unsigned long long)r.direct_bytes, dmab_reason_name((int)r.reason));
	}

	/* the statistics add up to the results */
	CHECK(dmab_ctx_stats(ctx, &st, sizeof(st)));
	for (int dir = 0; dir < 2; dir++) {
		if (st.calls[dir] != calls[dir] ||
		    st.bytes[DMAB_PATH_DIRECT][dir] != sum[0][dir] ||
		    st.bytes[DMAB_PATH_COMPAT][dir] != sum[1][dir])
			t_fail("stats dir %d: %llu calls, %llu direct, %llu compat; want %llu, %llu, %llu",
			       dir, (unsigned long long)st.calls[dir],
			       (unsigned long long)st.bytes[DMAB_PATH_DIRECT][dir],
			       (unsigned long long)st.bytes[DMAB_PATH_COMPAT][dir],
			       (unsigned long long)calls[dir], (unsigned long long)sum[0][dir],
			       (unsigned long long)sum[1][dir]);
		if (sum[0][dir] && !st.requests[DMAB_PATH_DIRECT][dir])
			t_fail("stats: direct bytes without direct requests");
	}
	if (freason == DMAB_REASON_NONE &&
	    (!st.fallbacks[DMAB_REASON_UNALIGNED] || !st.fallbacks[DMAB_REASON_MISALIGNED]))
		t_fail("stats: no unaligned/misaligned fallbacks counted");
	if (freason != DMAB_REASON_NONE && !st.fallbacks[freason])
		t_fail("stats: no %s fallbacks counted", o.reason);
	if (freason == DMAB_REASON_NONE && (!sum[0][0] || !sum[0][1]))
		t_fail("direct file but no direct bytes");
	CHECK(dmab_ctx_stats_reset(ctx));
	CHECK(dmab_ctx_stats(ctx, &st, sizeof(st)));
	if (st.calls[0] || st.bytes[DMAB_PATH_COMPAT][0])
		t_fail("stats not reset");
	printf("ok: rw %s on %s (%s): %llu direct / %llu compat bytes read, %llu / %llu written\n",
	       o.exp, o.file, o.reason, (unsigned long long)sum[0][0],
	       (unsigned long long)sum[1][0], (unsigned long long)sum[0][1],
	       (unsigned long long)sum[1][1]);

	CHECK(dmab_buf_unregister(b));
	CHECK(dmab_file_close(f));
	dmab_ctx_free(ctx);
	dbuf_free(&d);
	close(fd);
	free(model);
	free(snap);
	free(want);
	free(canary);
	return 0;
}

/* ---- hole ------------------------------------------------------------------ */

/*
 * A file of data and holes: [0, 1M) data, [1M, 3M) hole, [3M, 4M) data.
 * A read of all of it gives the data and zeros; the result says why any
 * bytes went compat (an exporter without a kernel CPU mapping, the BAR:
 * the module cannot zero the holes, ENODATA, and the library fills them).
 */
static int cmd_hole(void)
{
	const uint64_t fsize = 4 * MIB, dsize = 16 * MIB;
	uint8_t *data = malloc(MIB), *want = malloc(fsize);
	struct dmab_result r;
	struct dmab_file *f;
	struct dmab_buf *b;
	struct dmab_ctx *ctx;
	struct dbuf d;
	int fd, reason = reason_num(o.reason);

	if (!data || !want)
		t_fail("out of memory");
	fd = open(o.file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)fsize))
		t_fail("create %s: %s", o.file, strerror(errno));
	memset(want, 0, fsize);
	fill(data, 9, 0, MIB);
	memcpy(want, data, MIB);
	fill(data, 9, 3 * MIB, MIB);
	memcpy(want + 3 * MIB, data, MIB);
	if (pwrite(fd, want, MIB, 0) != (ssize_t)MIB ||
	    pwrite(fd, want + 3 * MIB, MIB, 3 * MIB) != (ssize_t)MIB || fsync(fd))
		t_fail("write %s: %s", o.file, strerror(errno));

	dbuf_new(&d, o.exp, dsize);
	ctx = ctx_new(MIB, 8);
	CHECK(dmab_file_open(ctx, o.file, O_RDONLY, 0, &f));
	CHECK(dmab_buf_register(ctx, d.fd, 0, 0, DMAB_BUF_READ, &b));
	dbuf_sync(&d, DMA_BUF_SYNC_START);
	memset(d.cpu, 0xa5, fsize);
	dbuf_sync(&d, DMA_BUF_SYNC_END);
	if (o.async) {		/* the same through the queue */
		struct dmab_completion c;
		struct dmab_queue *q;

		CHECK(dmab_queue_new(ctx, 0, 0, &q));
		/*
		 * First one block of the hole alone: a request of one whole
		 * direct piece, which the queue prepares at enqueue; the
		 * module's refusal must still send it to the compat path.
		 */
		CHECK(dmab_queue_read(q, f, b, MIB, MIB, 4096, 41));
		if (dmab_queue_reap(q, &c, 1, 60000) != 1 || c.tag != 41 || c.res != 4096 ||
		    c.direct_bytes + c.compat_bytes != 4096 ||
		    (reason != DMAB_REASON_NONE &&
		     (c.compat_bytes != 4096 || !(c.reasons & (1U << reason)))))
			t_fail("async hole block: tag %llu res %lld, %llu compat, reasons %#x",
			       (unsigned long long)c.tag, (long long)c.res,
			       (unsigned long long)c.compat_bytes, c.reasons);
		dbuf_sync(&d, DMA_BUF_SYNC_START);
		for (uint64_t x = MIB; x < MIB + 4096; x++)
			if (d.cpu[x])
				t_fail("async hole block: byte %llu is %#x, want 0",
				       (unsigned long long)x, d.cpu[x]);
		dbuf_sync(&d, DMA_BUF_SYNC_END);
		CHECK(dmab_queue_read(q, f, b, 0, 0, fsize, 42));
		if (dmab_queue_reap(q, &c, 1, 60000) != 1 || c.tag != 42 || c.res < 0)
			t_fail("async hole read: tag %llu res %lld", (unsigned long long)c.tag,
			       (long long)c.res);
		r = (struct dmab_result){ .bytes = (uint64_t)c.res,
					  .direct_bytes = c.direct_bytes,
					  .compat_bytes = c.compat_bytes,
					  .reason = c.reason, .reasons = c.reasons };
		CHECK(dmab_queue_free(q));
	} else {
		CHECK(dmab_read(f, b, 0, 0, fsize, &r));
	}
	if (r.bytes != fsize)
		t_fail("hole read: %llu bytes, want %llu", (unsigned long long)r.bytes,
		       (unsigned long long)fsize);
	dbuf_sync(&d, DMA_BUF_SYNC_START);
	for (uint64_t x = 0; x < fsize; x++)
		if (d.cpu[x] != want[x])
			t_fail("hole read: byte %llu is %#x, want %#x",
			       (unsigned long long)x, d.cpu[x], want[x]);
	dbuf_sync(&d, DMA_BUF_SYNC_END);
	if (reason == DMAB_REASON_NONE ? r.reasons != 0 : !(r.reasons & (1U << reason)))
		t_fail("hole read: reasons %#x (first %s), want %s", r.reasons,
		       dmab_reason_name((int)r.reason), o.reason);
	printf("ok: hole%s %s on %s: %llu direct, %llu compat, reason %s\n",
	       o.async ? " (async)" : "", o.exp,
	       o.file, (unsigned long long)r.direct_bytes,
	       (unsigned long long)r.compat_bytes, dmab_reason_name((int)r.reason));
	CHECK(dmab_buf_unregister(b));
	CHECK(dmab_file_close(f));
	dmab_ctx_free(ctx);
	dbuf_free(&d);
	close(fd);
	free(data);
	free(want);
	return 0;
}

/* ---- async ------------------------------------------------------------------- */

/*
 * The asynchronous queue: the rw shapes as requests in flight together,
 * tags, signals, cancel, the eventfd, the error record and the queue's
 * errnos. Every byte of the buffer and of the file is checked.
 */

struct areq {
	struct shape s;
	uint64_t tag, expect;
	bool seen;
};

/* Reap until @n records arrived (a signal counts); fail after 60 s. */
static unsigned int reap_n(struct dmab_queue *q, struct dmab_completion *c,
			   unsigned int n)
{
	unsigned int got = 0;
	time_t t0 = time(NULL);
	int ret;

	while (got < n) {
		ret = dmab_queue_reap(q, c + got, n - got, 1000);
		if (ret < 0)
			t_fail("dmab_queue_reap: %s", strerror(-ret));
		got += (unsigned int)ret;
		if (time(NULL) - t0 > 60)
			t_fail("reap: %u of %u records after 60 s", got, n);
	}
	return got;
}

static struct areq *find_tag(struct areq *a, unsigned int n, uint64_t tag)
{
	for (unsigned int i = 0; i < n; i++)
		if (a[i].tag == tag) {
			if (a[i].seen)
				t_fail("tag %llu completed twice", (unsigned long long)tag);
			a[i].seen = true;
			return &a[i];
		}
	t_fail("a completion with tag %llu that was never enqueued", (unsigned long long)tag);
}

/* Enqueue, reaping into @c (counted in *@got) while the queue is full. */
static void enqueue(struct dmab_queue *q, bool wr, struct dmab_file *f,
		    struct dmab_buf *b, const struct areq *a,
		    struct dmab_completion *c, unsigned int *got, unsigned int *eagain)
{
	int ret;

	for (;;) {
		ret = wr ? dmab_queue_write(q, f, b, a->s.boff, a->s.foff, a->s.len, a->tag) :
			   dmab_queue_read(q, f, b, a->s.boff, a->s.foff, a->s.len, a->tag);
		if (ret != -EAGAIN)
			break;
		(*eagain)++;
		*got += reap_n(q, c + *got, 1);
	}
	if (ret)
		t_fail("enqueue tag %llu: %s", (unsigned long long)a->tag, strerror(-ret));
}

static void check_buf(struct dbuf *d, const uint8_t *want, const char *what)
{
	dbuf_sync(d, DMA_BUF_SYNC_START);
	if (memcmp(d->cpu, want, d->size)) {
		report_diff(what, d->cpu, want, d->size, 0);
		t_fail("%s: the buffer differs", what);
	}
	dbuf_sync(d, DMA_BUF_SYNC_END);
}

static void set_buf(struct dbuf *d, const uint8_t *src)
{
	dbuf_sync(d, DMA_BUF_SYNC_START);
	memcpy(d->cpu, src, d->size);
	dbuf_sync(d, DMA_BUF_SYNC_END);
}

struct busy_arg {
	struct dmab_queue *q;
	atomic_int started;
	int ret;
};

static void *busy_reaper(void *p)
{
	struct busy_arg *a = p;
	struct dmab_completion c;

	atomic_store(&a->started, 1);
	a->ret = dmab_queue_reap(a->q, &c, 1, -1);
	return NULL;
}

/* One queue per thread: each reads its own part of the buffer. */
struct qthread {
	struct dmab_ctx *ctx;
	struct dmab_file *f;
	struct dmab_buf *b;
	struct areq rq[4];
	const char *err;
};

static void *qthread_run(void *p)
{
	struct qthread *t = p;
	struct dmab_completion c[4];
	struct dmab_queue *q;
	unsigned int got = 0;
	int ret;

	if (dmab_queue_new(t->ctx, 4, 0, &q)) {
		t->err = "dmab_queue_new";
		return NULL;
	}
	for (unsigned int i = 0; i < 4; i++)
		if (dmab_queue_read(q, t->f, t->b, t->rq[i].s.boff, t->rq[i].s.foff,
				    t->rq[i].s.len, t->rq[i].tag)) {
			t->err = "dmab_queue_read";
			return NULL;
		}
	while (got < 4) {
		ret = dmab_queue_reap(q, c + got, 4 - got, 60000);
		if (ret <= 0) {
			t->err = "dmab_queue_reap";
			return NULL;
		}
		got += (unsigned int)ret;
	}
	for (unsigned int i = 0; i < 4; i++)
		if (c[i].res != (int64_t)t->rq[c[i].tag & 3].s.len)
			t->err = "a request's result";
	if (dmab_queue_free(q))
		t->err = "dmab_queue_free";
	return NULL;
}

static int cmd_async(void)
{
	const uint64_t dsize = 16 * MIB, reg_off = 8192 + 512;
	const uint64_t fsize = o.size, reg_len = dsize - reg_off - 4096;
	uint8_t *model, *snap, *want, *canary;
	struct dmab_completion c[64];
	struct dmab_file_info fi;
	struct dmab_queue_error qe;
	struct dmab_stats st;
	struct dmab_file *f, *fro;
	struct dmab_buf *b, *bw;
	struct dmab_queue *q;
	struct dmab_ctx *ctx;
	struct dbuf d;
	unsigned int got, eagain = 0, nr;
	int freason = reason_num(o.reason), fd, ret;
	uint64_t n, direct = 0, compat = 0;
	uint32_t bs;

	model = malloc(fsize + 16 * MIB);
	snap = malloc(fsize + 16 * MIB);
	want = malloc(dsize);
	canary = malloc(dsize);
	if (!model || !snap || !want || !canary)
		t_fail("out of memory");
	fill(canary, 0xfffe, 0, dsize);
	fill(model, 1, 0, fsize);
	fd = open(o.file, O_RDWR | O_CREAT | (o.blk ? 0 : O_TRUNC), 0644);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	if (pwrite(fd, model, fsize, 0) != (ssize_t)fsize || fsync(fd))
		t_fail("write %s: %s", o.file, strerror(errno));

	dbuf_new(&d, o.exp, dsize);
	ctx = ctx_new(256 * 1024, 8);	/* 8 requests per queue, small chunks */
	CHECK(dmab_file_open(ctx, o.file, O_RDWR, 0, &f));
	CHECK(dmab_file_open(ctx, o.file, O_RDONLY, 0, &fro));
	CHECK(dmab_file_info(f, &fi));
	if ((int)fi.read_reason != freason)
		t_fail("file reason %s, want %s", dmab_reason_name((int)fi.read_reason), o.reason);
	bs = fi.block_size;
	CHECK(dmab_buf_register(ctx, d.fd, reg_off, reg_len,
				DMAB_BUF_READ | DMAB_BUF_WRITE, &b));
	CHECK(dmab_buf_register(ctx, d.fd, 0, 0, DMAB_BUF_WRITE, &bw));
	CHECK(dmab_queue_new(ctx, 0, 0, &q));

	/* reads: each into its own part of the buffer, all in flight together */
	struct areq rd[] = {
		{ .s = { 0, 0, 1 * MIB } },				/* aligned */
		{ .s = { 1 * MIB + 100, 100, 1 * MIB } },		/* unaligned head */
		{ .s = { 2 * MIB + 512, 512, 1 * MIB + 77 } },	/* unaligned tail */
		{ .s = { 3 * MIB + 1024 + 513, 4096 + 513, 1 * MIB + 1000 } }, /* both */
		{ .s = { 5 * MIB + 1, 0, 64 * 1024 } },		/* misaligned */
		{ .s = { 6 * MIB + 4093, 8189, 10 } },		/* tiny, across a block */
		{ .s = { 6 * MIB + 8192 + 3, 5, 300 } },		/* inside one block */
		{ .s = { 7 * MIB, 1 * MIB, 3 * MIB } },		/* many chunks */
		{ .s = { 10 * MIB + 11, 2 * MIB + 11, 3 * MIB + 3 } }, /* big, both edges */
		{ .s = { 13 * MIB + 512, 0, 0 } },			/* nothing */
		{ .s = { 14 * MIB, fsize - 1000, 5000 } },		/* across end of file */
	};
	nr = sizeof(rd) / sizeof(rd[0]) - (o.blk ? 1 : 0);
	memcpy(want, canary, dsize);
	set_buf(&d, canary);
	for (unsigned int i = 0; i < nr; i++) {
		struct areq *a = &rd[i];

		a->tag = 0x1000000000000000ULL + i * 0x10001ULL;	/* all 64 bits */
		a->expect = a->s.foff >= fsize ? 0 :
			    a->s.len < fsize - a->s.foff ? a->s.len : fsize - a->s.foff;
		memcpy(want + reg_off + a->s.boff, model + a->s.foff, a->expect);
	}
	got = 0;
	for (unsigned int i = 0; i < nr; i++)
		enqueue(q, false, f, b, &rd[i], c, &got, &eagain);
	CHECK(dmab_queue_submit(q));
	got += reap_n(q, c + got, nr - got);
	for (unsigned int i = 0; i < got; i++) {
		struct areq *a = find_tag(rd, nr, c[i].tag);

		if (c[i].op != DMAB_OP_READ || c[i].res != (int64_t)a->expect ||
		    c[i].direct_bytes + c[i].compat_bytes != a->expect)
			t_fail("read tag %llu: op %u res %lld (%llu direct, %llu compat), want %llu",
			       (unsigned long long)a->tag, c[i].op, (long long)c[i].res,
			       (unsigned long long)c[i].direct_bytes,
			       (unsigned long long)c[i].compat_bytes,
			       (unsigned long long)a->expect);
		if (a->expect == a->s.len && a->s.len) {
			struct dmab_result r = { .direct_bytes = c[i].direct_bytes,
						 .compat_bytes = c[i].compat_bytes,
						 .reason = c[i].reason };

			expect_split(&r, &a->s, reg_off, bs, freason);
		}
		direct += c[i].direct_bytes;
		compat += c[i].compat_bytes;
	}
	check_buf(&d, want, "async reads");
	if (freason == DMAB_REASON_NONE && !direct)
		t_fail("async reads: no direct bytes on a direct file");
	if (!eagain)
		t_fail("%u requests on a queue of 8 never saw -EAGAIN", nr);
	printf("ok: %u async reads, byte-exact, tags and splits right (%llu direct, %llu compat, %u EAGAIN)\n",
	       nr, (unsigned long long)direct, (unsigned long long)compat, eagain);

	/* writes: distinct file ranges, two of them extending the file */
	struct areq wr[] = {
		{ .s = { 0, 0, 1 * MIB } },
		{ .s = { 1 * MIB + 100, 1 * MIB + 100, 1 * MIB - 200 } },
		{ .s = { 2 * MIB + 512, 2 * MIB + 512, 1 * MIB + 77 } },
		{ .s = { 3 * MIB + 1024 + 513, 3 * MIB + 4096 + 513, 1 * MIB + 1000 } },
		{ .s = { 5 * MIB + 1, 5 * MIB, 64 * 1024 } },
		{ .s = { 6 * MIB + 4093, 6 * MIB + 8189, 10 } },
		{ .s = { 6 * MIB + 8192 + 3, 6 * MIB + 16384 + 5, 300 } },
		{ .s = { 7 * MIB, 7 * MIB, 1 * MIB } },
		{ .s = { 13 * MIB + 512, 8 * MIB + 1024, 5000 } },
		{ .s = { 10 * MIB + 11, 9 * MIB + 11, 3 * MIB + 3 } },
	};
	unsigned int nw = sizeof(wr) / sizeof(wr[0]) - (o.blk ? 2 : 0);

	memcpy(want, canary, dsize);
	n = fsize;
	for (unsigned int i = 0; i < nw; i++) {
		struct areq *a = &wr[i];

		a->tag = 0x2000 + i;
		a->expect = a->s.len;
		fill(want + reg_off + a->s.boff, 20 + i, a->s.foff, a->s.len);
		if (a->s.foff > n)
			memset(model + n, 0, a->s.foff - n);
		fill(model + a->s.foff, 20 + i, a->s.foff, a->s.len);
		if (a->s.foff + a->s.len > n)
			n = a->s.foff + a->s.len;
	}
	set_buf(&d, want);
	got = 0;
	direct = compat = 0;
	for (unsigned int i = 0; i < nw; i++)
		enqueue(q, true, f, b, &wr[i], c, &got, &eagain);
	got += reap_n(q, c + got, nw - got);
	for (unsigned int i = 0; i < got; i++) {
		struct areq *a = find_tag(wr, nw, c[i].tag);

		if (c[i].op != DMAB_OP_WRITE || c[i].res != (int64_t)a->s.len ||
		    c[i].direct_bytes + c[i].compat_bytes != a->s.len)
			t_fail("write tag %llu: res %lld, want %llu", (unsigned long long)a->tag,
			       (long long)c[i].res, (unsigned long long)a->s.len);
		if (a->s.foff + a->s.len <= fsize) {
			struct dmab_result r = { .direct_bytes = c[i].direct_bytes,
						 .compat_bytes = c[i].compat_bytes,
						 .reason = c[i].reason };

			expect_split(&r, &a->s, reg_off, bs, freason);
		}
		direct += c[i].direct_bytes;
		compat += c[i].compat_bytes;
	}
	if (!o.blk) {
		struct stat sb;

		if (fstat(fd, &sb) || (uint64_t)sb.st_size != n)
			t_fail("async writes: file size %lld, want %llu", (long long)sb.st_size,
			       (unsigned long long)n);
	}
	file_snapshot(fd, snap, n);
	if (memcmp(snap, model, n)) {
		report_diff("file after async writes", snap, model, n, 0);
		t_fail("async writes: the file differs");
	}
	check_buf(&d, want, "async writes (the buffer is not touched)");
	printf("ok: %u async writes, byte-exact (%llu direct, %llu compat)\n", nw,
	       (unsigned long long)direct, (unsigned long long)compat);

	/*
	 * Whole-block requests of one piece (the queue prepares those at
	 * enqueue when nothing enqueued earlier waits to be issued) mixed
	 * with requests that need planning, so that each kind waits behind
	 * the other; a signal in between; a read across end of file (a short
	 * whole-block piece); the statistics they leave; cancel before and
	 * after submit; a queue freed with such requests never submitted.
	 */
	{
		struct areq fr[24];
		struct dmab_stats st0;
		struct dmab_queue *fq;
		unsigned int nf = 0, nplain = 0, sigs = 0;
		uint64_t seen = 0, bytes = 0, dbytes = 0;
		uint64_t fb = 4096 - reg_off % 4096;	/* boff of an aligned byte */
		int sret;

		CHECK(dmab_ctx_stats(ctx, &st0, sizeof(st0)));	/* counted from here */
		memcpy(want, canary, dsize);
		set_buf(&d, canary);
		for (unsigned int i = 0; i < 20; i++) {
			struct areq *a = &fr[nf++];

			*a = (struct areq){ { fb + i * 16384, (i * 5 % 16) * 65536 + 4096 * (i & 1),
					      i % 3 == 2 ? 8192 : 4096 }, 0x3000 + i, 0, false };
			if (i == 5 || i == 11) {	/* compat head and tail */
				a->s.boff += 100;
				a->s.foff += 100;
				a->s.len = 3 * 4096;
			} else {
				nplain++;
			}
		}
		if (!o.blk) {		/* across end of file: short */
			struct areq *a = &fr[nf++];

			*a = (struct areq){ { fb + 20 * 16384, n / 4096 * 4096, 8192 },
					    0x3000 + 20, 0, false };
		}
		for (unsigned int i = 0; i < nf; i++) {
			struct areq *a = &fr[i];

			a->expect = a->s.foff + a->s.len <= n ? a->s.len : n - a->s.foff;
			memcpy(want + reg_off + a->s.boff, model + a->s.foff, a->expect);
		}
		got = 0;
		for (unsigned int i = 0; i < nf; i++) {
			enqueue(q, false, f, b, &fr[i], c, &got, &eagain);
			if (i != 7)
				continue;
			while ((sret = dmab_queue_signal(q, 1000)) == -EAGAIN)
				got += reap_n(q, c + got, 1);
			if (sret)
				t_fail("dmab_queue_signal: %s", strerror(-sret));
		}
		got += reap_n(q, c + got, nf + 1 - got);
		for (unsigned int i = 0; i < got; i++) {
			struct areq *a;

			if (c[i].op == DMAB_OP_SIGNAL) {
				if (c[i].tag != 1000 || (seen & 0xff) != 0xff)
					t_fail("whole-block run: signal %llu with requests %#llx seen",
					       (unsigned long long)c[i].tag,
					       (unsigned long long)seen);
				sigs++;
				continue;
			}
			a = find_tag(fr, nf, c[i].tag);
			seen |= 1ULL << (a->tag - 0x3000);
			if (c[i].op != DMAB_OP_READ || c[i].res != (int64_t)a->expect ||
			    c[i].direct_bytes + c[i].compat_bytes != a->expect)
				t_fail("whole-block run: tag %#llx res %lld (%llu direct, %llu compat), want %llu",
				       (unsigned long long)a->tag, (long long)c[i].res,
				       (unsigned long long)c[i].direct_bytes,
				       (unsigned long long)c[i].compat_bytes,
				       (unsigned long long)a->expect);
			if (a->expect == a->s.len) {
				struct dmab_result r = { .direct_bytes = c[i].direct_bytes,
							 .compat_bytes = c[i].compat_bytes,
							 .reason = c[i].reason };

				expect_split(&r, &a->s, reg_off, bs, freason);
				if (c[i].reasons != (r.reason ? 1U << r.reason : 0))
					t_fail("whole-block run: tag %#llx reasons %#x, reason %u",
					       (unsigned long long)a->tag, c[i].reasons, r.reason);
			}
			bytes += (uint64_t)c[i].res;
			dbytes += c[i].direct_bytes;
		}
		if (sigs != 1 || seen != (1ULL << nf) - 1)
			t_fail("whole-block run: %u signals, requests %#llx", sigs,
			       (unsigned long long)seen);
		/*
		 * A direct READ across end of file may place the rest of the
		 * last blocks (the module reads whole blocks, as O_DIRECT
		 * does); only the bytes counted are promised.
		 */
		dbuf_sync(&d, DMA_BUF_SYNC_START);
		for (unsigned int i = 0; i < nf; i++)
			if (fr[i].expect < fr[i].s.len)
				memcpy(want + reg_off + fr[i].s.boff + fr[i].expect,
				       d.cpu + reg_off + fr[i].s.boff + fr[i].expect,
				       fr[i].s.len - fr[i].expect);
		dbuf_sync(&d, DMA_BUF_SYNC_END);
		check_buf(&d, want, "whole-block reads");
		CHECK(dmab_ctx_stats(ctx, &st, sizeof(st)));
		st.calls[DMAB_DIR_READ] -= st0.calls[DMAB_DIR_READ];
		for (unsigned int p = 0; p < 2; p++) {
			st.bytes[p][DMAB_DIR_READ] -= st0.bytes[p][DMAB_DIR_READ];
			st.requests[p][DMAB_DIR_READ] -= st0.requests[p][DMAB_DIR_READ];
		}
		if (st.calls[DMAB_DIR_READ] != nf ||
		    st.bytes[DMAB_PATH_DIRECT][DMAB_DIR_READ] != dbytes ||
		    st.bytes[DMAB_PATH_DIRECT][DMAB_DIR_READ] +
		    st.bytes[DMAB_PATH_COMPAT][DMAB_DIR_READ] != bytes ||
		    (freason == DMAB_REASON_NONE &&
		     st.requests[DMAB_PATH_DIRECT][DMAB_DIR_READ] < nplain))
			t_fail("whole-block run: stats %llu calls, %llu+%llu bytes, %llu direct requests; want %u calls, %llu bytes (%llu direct)",
			       (unsigned long long)st.calls[DMAB_DIR_READ],
			       (unsigned long long)st.bytes[DMAB_PATH_DIRECT][DMAB_DIR_READ],
			       (unsigned long long)st.bytes[DMAB_PATH_COMPAT][DMAB_DIR_READ],
			       (unsigned long long)st.requests[DMAB_PATH_DIRECT][DMAB_DIR_READ],
			       nf, (unsigned long long)bytes, (unsigned long long)dbytes);
		if (freason == DMAB_REASON_NONE && dbytes < nplain * 4096ULL)
			t_fail("whole-block run: %llu direct bytes", (unsigned long long)dbytes);

		/* cancelled before submit: dropped, nothing moves */
		struct areq wc[3] = {
			{ { fb, 0, 4096 }, 0x3100, 0, false },
			{ { fb + 16384, 65536, 4096 }, 0x3101, 0, false },
			{ { fb + 32768, 131072, 4096 }, 0x3102, 0, false },
		};

		set_buf(&d, canary);
		memcpy(want, canary, dsize);
		got = 0;
		enqueue(q, false, f, b, &wc[0], c, &got, &eagain);
		EXPECT(dmab_queue_cancel(q, 0x3100), 1);
		got += reap_n(q, c + got, 1);
		if (c[0].tag != 0x3100 || c[0].res != -ECANCELED || c[0].direct_bytes ||
		    c[0].compat_bytes)
			t_fail("whole-block cancel before submit: tag %#llx res %lld",
			       (unsigned long long)c[0].tag, (long long)c[0].res);
		check_buf(&d, want, "whole-block cancel before submit");
		/*
		 * After submit: it may have run (the module's requests are not
		 * cancelable), or even completed already (submit takes the
		 * completions there are): then there is nothing to cancel.
		 */
		enqueue(q, false, f, b, &wc[1], c, &got, &eagain);
		CHECK(dmab_queue_submit(q));
		ret = dmab_queue_cancel(q, 0x3101);
		if (ret != 1 && ret != -ENOENT)
			t_fail("whole-block cancel after submit: %d", ret);
		got = reap_n(q, c, 1);
		if (c[0].tag != 0x3101 ||
		    (c[0].res != 4096 && (c[0].res != -ECANCELED || ret != 1)) ||
		    c[0].direct_bytes + c[0].compat_bytes != (c[0].res < 0 ? 0 : 4096))
			t_fail("whole-block cancel after submit: tag %#llx res %lld",
			       (unsigned long long)c[0].tag, (long long)c[0].res);
		if (c[0].res == 4096)	/* cancelled in flight: either content */
			memcpy(want + reg_off + wc[1].s.boff, model + 65536, 4096);
		/* the queue goes on */
		memcpy(want + reg_off + wc[2].s.boff, model + 131072, 4096);
		enqueue(q, false, f, b, &wc[2], c, &got, &eagain);
		got = reap_n(q, c, 1);
		if (c[0].tag != 0x3102 || c[0].res != 4096)
			t_fail("after whole-block cancels: tag %#llx res %lld",
			       (unsigned long long)c[0].tag, (long long)c[0].res);
		if (c[0].res == 4096 && freason == DMAB_REASON_NONE && c[0].direct_bytes != 4096)
			t_fail("after whole-block cancels: %llu direct bytes",
			       (unsigned long long)c[0].direct_bytes);
		dbuf_sync(&d, DMA_BUF_SYNC_START);
		if (memcmp(d.cpu + reg_off + wc[2].s.boff, want + reg_off + wc[2].s.boff, 4096) ||
		    memcmp(d.cpu + reg_off + wc[0].s.boff, want + reg_off + wc[0].s.boff, 4096) ||
		    (c[0].res == 4096 &&
		     memcmp(d.cpu + reg_off + wc[1].s.boff, want + reg_off + wc[1].s.boff, 4096)))
			t_fail("whole-block cancels: the buffer differs");
		dbuf_sync(&d, DMA_BUF_SYNC_END);
		/* freed with whole-block requests never submitted: no hang, no leak */
		CHECK(dmab_queue_new(ctx, 4, 0, &fq));
		CHECK(dmab_queue_read(fq, f, b, wc[0].s.boff, wc[0].s.foff, 4096, 1));
		CHECK(dmab_queue_read(fq, f, b, wc[1].s.boff, wc[1].s.foff, 4096, 2));
		CHECK(dmab_queue_free(fq));
		printf("ok: %u whole-block and planned reads interleaved, a signal, stats, cancel before/after submit (%llu direct)\n",
		       nf, (unsigned long long)dbytes);
	}

	/* signals: each completes after every request before it, in order */
	{
		struct areq sr[8];
		struct dmab_queue *sq;
		unsigned int ns = 8, seen = 0, sigs = 0;
		uint64_t v;

		CHECK(dmab_queue_new(ctx, 16, 0, &sq));
		memcpy(want, canary, dsize);
		set_buf(&d, canary);
		for (unsigned int i = 0; i < ns; i++) {
			sr[i] = (struct areq){ { i * 1536 * 1024 + 512 * (i & 1),
						 i * 512 * 1024 + 512 * (i & 1),
						 1 * MIB + 100 * i }, 500 + i, 0, false };
			sr[i].expect = sr[i].s.len;
			memcpy(want + reg_off + sr[i].s.boff, model + sr[i].s.foff, sr[i].s.len);
		}
		got = 0;
		EXPECT(dmab_queue_signal(sq, 10), 0);	/* nothing before it */
		for (unsigned int i = 0; i < 4; i++)
			enqueue(sq, false, f, b, &sr[i], c, &got, &eagain);
		EXPECT(dmab_queue_signal(sq, 20), 0);
		EXPECT(dmab_queue_signal(sq, 20), -EINVAL);	/* not forward */
		EXPECT(dmab_queue_signal(sq, 19), -EINVAL);
		for (unsigned int i = 4; i < ns; i++)
			enqueue(sq, false, f, b, &sr[i], c, &got, &eagain);
		EXPECT(dmab_queue_signal(sq, 30), 0);
		EXPECT(dmab_queue_signal(sq, 31), 0);	/* right after another */
		CHECK(dmab_queue_submit(sq));
		got += reap_n(sq, c + got, ns + 4 - got);
		for (unsigned int i = 0; i < got; i++) {
			if (c[i].op != DMAB_OP_SIGNAL) {
				struct areq *a = find_tag(sr, ns, c[i].tag);

				if (c[i].res != (int64_t)a->s.len)
					t_fail("signal run: tag %llu res %lld",
					       (unsigned long long)a->tag, (long long)c[i].res);
				seen |= 1U << (a->tag - 500);
				continue;
			}
			/* every request before the signal has been reported */
			uint64_t need = c[i].tag == 10 ? 0 : c[i].tag == 20 ? 0xf : 0xff;
			static const uint64_t order[] = { 10, 20, 30, 31 };

			if ((seen & need) != need)
				t_fail("signal %llu reported before its requests (seen %#x)",
				       (unsigned long long)c[i].tag, seen);
			if (sigs >= 4 || c[i].tag != order[sigs])
				t_fail("signal %llu out of order", (unsigned long long)c[i].tag);
			sigs++;
			/* and their bytes are in the buffer */
			dbuf_sync(&d, DMA_BUF_SYNC_START);
			for (unsigned int k = 0; k < ns; k++)
				if (need >> k & 1 &&
				    memcmp(d.cpu + reg_off + sr[k].s.boff,
					   want + reg_off + sr[k].s.boff, sr[k].s.len))
					t_fail("signal %llu: request %u's bytes not in the buffer",
					       (unsigned long long)c[i].tag, k);
			dbuf_sync(&d, DMA_BUF_SYNC_END);
		}
		if (sigs != 4 || seen != 0xff)
			t_fail("signals: %u signals, requests %#x", sigs, seen);
		CHECK(dmab_queue_signaled(sq, &v));
		if (v != 31)
			t_fail("last signaled %llu, want 31", (unsigned long long)v);
		check_buf(&d, want, "signal run");
		CHECK(dmab_queue_free(sq));
		printf("ok: signals complete in order, after their requests and their bytes\n");
	}

	/* cancel: the unissued parts of a request are dropped, -ECANCELED */
	{
		struct dmab_queue *cq;
		struct areq ca[3] = {
			{ { 0, 0, 4 * MIB }, 77, 0, false },
			{ { 4 * MIB, 4 * MIB, 4 * MIB }, 78, 0, false },
			{ { 8 * MIB, 0, 1 * MIB }, 79, 0, false },
		};

		CHECK(dmab_queue_new(ctx, 2, 0, &cq));
		set_buf(&d, canary);
		got = 0;
		enqueue(cq, false, f, b, &ca[0], c, &got, &eagain);	/* 2 pieces issued */
		enqueue(cq, false, f, b, &ca[1], c, &got, &eagain);	/* none issued */
		EXPECT(dmab_queue_cancel(cq, 78), 1);
		EXPECT(dmab_queue_cancel(cq, 77), 1);
		EXPECT(dmab_queue_cancel(cq, 77), -ENOENT);	/* already cancelled */
		EXPECT(dmab_queue_cancel(cq, 12345), -ENOENT);
		got += reap_n(cq, c + got, 2 - got);
		for (unsigned int i = 0; i < got; i++) {
			struct areq *a = find_tag(ca, 2, c[i].tag);

			if (c[i].res != -ECANCELED)
				t_fail("cancelled tag %llu: res %lld, want -ECANCELED",
				       (unsigned long long)a->tag, (long long)c[i].res);
			a->expect = c[i].direct_bytes + c[i].compat_bytes;
			if (a->expect > 512 * 1024 || (a->tag == 78 && a->expect))
				t_fail("cancelled tag %llu reports %llu bytes moved",
				       (unsigned long long)a->tag, (unsigned long long)a->expect);
		}
		/* the bytes reported arrived; nothing past the issued pieces moved */
		memcpy(want, canary, dsize);
		memcpy(want + reg_off, model, ca[0].expect);
		dbuf_sync(&d, DMA_BUF_SYNC_START);
		memcpy(want + reg_off + ca[0].expect, d.cpu + reg_off + ca[0].expect,
		       512 * 1024 - ca[0].expect);	/* issued: either */
		dbuf_sync(&d, DMA_BUF_SYNC_END);
		check_buf(&d, want, "after cancel");
		/* the queue goes on working */
		memcpy(want + reg_off + 8 * MIB, model, MIB);
		enqueue(cq, false, f, b, &ca[2], c, &got, &eagain);
		got = reap_n(cq, c, 1);
		if (c[0].tag != 79 || c[0].res != (int64_t)MIB)
			t_fail("after cancel: tag %llu res %lld", (unsigned long long)c[0].tag,
			       (long long)c[0].res);
		check_buf(&d, want, "a read after cancel");
		/* freed with requests in the kernel: waits for them, no leak */
		enqueue(cq, false, f, b, &ca[0], c, &got, &eagain);
		enqueue(cq, true, f, b, &ca[2], c, &got, &eagain);
		CHECK(dmab_queue_submit(cq));
		CHECK(dmab_queue_free(cq));
		printf("ok: cancel (%llu bytes had moved)\n", (unsigned long long)ca[0].expect);
	}

	/*
	 * The eventfd: readable when completions are there, not before or
	 * after; and with it, that enqueueing submits only when more waits
	 * than the submission queue holds.
	 */
	{
		struct dmab_queue *eq;
		struct pollfd pfd;
		struct areq ea = { { 0, 4096, 2 * MIB }, 0xe, 0, false };
		time_t t0 = time(NULL);
		int efd, rounds = 0;

		CHECK(dmab_queue_new(ctx, 4, 0, &eq));
		efd = dmab_queue_eventfd(eq);
		if (efd < 0)
			t_fail("dmab_queue_eventfd: %s", strerror(-efd));
		pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
		if (poll(&pfd, 1, 0) != 0)
			t_fail("eventfd readable before anything was enqueued");
		struct areq es = { { 4 * MIB, 0, 65536 }, 0xd, 0, false };

		got = 0;
		/* one piece fits the submission queue: not submitted until asked */
		enqueue(eq, false, f, b, &es, c, &got, &eagain);
		if (poll(&pfd, 1, 300) != 0)
			t_fail("a request was submitted before dmab_queue_submit");
		/* eight more do not: submitted at once, without dmab_queue_submit */
		enqueue(eq, false, f, b, &ea, c, &got, &eagain);
		if (poll(&pfd, 1, 10000) != 1)
			t_fail("eventfd not readable 10 s after a full submission queue");
		while (got < 2) {
			if (poll(&pfd, 1, 10000) != 1)
				t_fail("eventfd not readable 10 s after submit");
			ret = dmab_queue_reap(eq, c + got, 4 - got, 0);
			if (ret < 0)
				t_fail("reap: %s", strerror(-ret));
			got += (unsigned int)ret;
			rounds++;
			if (time(NULL) - t0 > 60)
				t_fail("eventfd: no completion in 60 s");
		}
		for (unsigned int i = 0; i < 2; i++)
			if (c[i].res != (int64_t)(c[i].tag == 0xe ? 2 * MIB : 65536) ||
			    (i && c[i].tag == c[0].tag) ||
			    (c[i].tag != 0xd && c[i].tag != 0xe))
				t_fail("eventfd reads: tag %llu res %lld", (unsigned long long)c[i].tag,
				       (long long)c[i].res);
		if (poll(&pfd, 1, 0) != 0)
			t_fail("eventfd readable with nothing left to reap");
		EXPECT(dmab_queue_signal(eq, 1), 0);
		if (poll(&pfd, 1, 0) != 1)
			t_fail("eventfd not readable after a signal completed");
		EXPECT(dmab_queue_reap(eq, c, 4, 0), 1);
		CHECK(dmab_queue_free(eq));
		printf("ok: eventfd (%d wakeups)\n", rounds);
	}

	/* the error record: the first failure, the count, reset by the query */
	{
		struct dmab_queue *xq;
		struct rlimit old, lim = { 512 * MIB, 512 * MIB };
		uint64_t bad = 1024 * MIB;
		int want_err = -EFBIG;
		struct areq xa[3] = {
			{ { 0, 0, 64 * 1024 }, 600, 0, false },
			{ { 65536, 100, 100 }, 601, 0, false },
			{ { 131072, 0, 8192 }, 602, 0, false },
		};

		if (o.blk) {		/* past the end of the device */
			off_t end = lseek(fd, 0, SEEK_END);

			if (end <= 0)
				t_fail("device size: %s", strerror(errno));
			bad = ((uint64_t)end + 65536) / 65536 * 65536;
			want_err = -ENOSPC;
		} else {
			signal(SIGXFSZ, SIG_IGN);
			getrlimit(RLIMIT_FSIZE, &old);
			if (setrlimit(RLIMIT_FSIZE, &lim))
				t_fail("setrlimit: %s", strerror(errno));
		}
		xa[0].s.foff = bad;
		xa[1].s.foff = bad + 100;
		CHECK(dmab_queue_new(ctx, 4, 0, &xq));
		EXPECT(dmab_queue_error(xq, &qe), 0);
		if (qe.error)
			t_fail("a new queue's error record is not empty");
		got = 0;
		enqueue(xq, true, f, b, &xa[0], c, &got, &eagain);
		enqueue(xq, true, f, b, &xa[1], c, &got, &eagain);
		enqueue(xq, false, f, b, &xa[2], c, &got, &eagain);
		got += reap_n(xq, c + got, 3 - got);
		for (unsigned int i = 0; i < got; i++) {
			struct areq *a = find_tag(xa, 3, c[i].tag);
			int64_t w = a->tag == 602 ? 8192 : want_err;

			if (c[i].res != w)
				t_fail("error run: tag %llu res %lld, want %lld",
				       (unsigned long long)a->tag, (long long)c[i].res, (long long)w);
		}
		ret = dmab_queue_error(xq, &qe);
		if (ret != 2 || qe.error != want_err || qe.file != f || qe.op != DMAB_OP_WRITE ||
		    (qe.tag != 600 && qe.tag != 601))
			t_fail("error record: %d failures, error %d, tag %llu, op %u",
			       ret, qe.error, (unsigned long long)qe.tag, qe.op);
		{
			struct areq *a = &xa[qe.tag - 600];

			if (qe.buf_off != a->s.boff || qe.file_off != a->s.foff ||
			    qe.len != a->s.len || qe.error_offset < a->s.foff ||
			    qe.error_offset >= a->s.foff + a->s.len)
				t_fail("error record of tag %llu: buf_off %llu file_off %llu len %llu at %llu",
				       (unsigned long long)qe.tag, (unsigned long long)qe.buf_off,
				       (unsigned long long)qe.file_off, (unsigned long long)qe.len,
				       (unsigned long long)qe.error_offset);
		}
		printf("ok: error record (%s, tag %llu first of 2)\n", strerror(-want_err),
		       (unsigned long long)qe.tag);
		EXPECT(dmab_queue_error(xq, &qe), 0);	/* reset by the query */
		if (qe.error)
			t_fail("the error record was not reset");
		if (!o.blk)
			setrlimit(RLIMIT_FSIZE, &old);
		CHECK(dmab_queue_free(xq));
	}

	/* bad input: each its errno, nothing enqueued */
	{
		struct dmab_queue *bq;
		struct dmab_ctx *other = ctx_new(MIB, 4);
		struct dmab_file *of;
		struct areq ba[3] = {
			{ { 0, 0, 1 * MIB }, 1, 0, false },
			{ { 1 * MIB, 1 * MIB, 1 * MIB }, 2, 0, false },
			{ { 2 * MIB, 2 * MIB, 1 * MIB }, 3, 0, false },
		};
		struct busy_arg arg = { 0 };
		pthread_t th;
		int busy = 0;

		CHECK(dmab_file_open(other, o.file, O_RDWR, 0, &of));
		CHECK(dmab_queue_new(ctx, 2, 0, &bq));
		EXPECT(dmab_queue_read(bq, f, bw, 0, 0, 4096, 1), -EBADF);	/* direction */
		EXPECT(dmab_queue_write(bq, fro, b, 0, 0, 4096, 1), -EBADF);	/* read-only file */
		EXPECT(dmab_queue_read(bq, f, b, reg_len - 4096, 0, 8192, 1), -ERANGE);
		EXPECT(dmab_queue_read(bq, f, b, reg_len + 1, 0, 0, 1), -ERANGE);
		EXPECT(dmab_queue_read(bq, f, b, 0, UINT64_MAX - 10, 4096, 1), -EINVAL);
		EXPECT(dmab_queue_read(bq, of, b, 0, 0, 4096, 1), -EINVAL);	/* other context */
		EXPECT(dmab_queue_read(bq, NULL, b, 0, 0, 4096, 1), -EINVAL);
		EXPECT(dmab_queue_read(NULL, f, b, 0, 0, 4096, 1), -EINVAL);
		EXPECT(dmab_queue_reap(bq, c, 0, 0), -EINVAL);
		EXPECT(dmab_queue_reap(bq, c, 4, 0), 0);	/* nothing was enqueued */
		EXPECT(dmab_queue_new(ctx, 2, 1, &q), -EINVAL);
		EXPECT(dmab_queue_new(ctx, DMAB_QUEUE_DEPTH_MAX + 1, 0, &q), -EINVAL);
		/* full: two requests not reaped on a queue of two */
		got = 0;
		enqueue(bq, false, f, b, &ba[0], c, &got, &eagain);
		enqueue(bq, false, f, b, &ba[1], c, &got, &eagain);
		EXPECT(dmab_queue_read(bq, f, b, ba[2].s.boff, ba[2].s.foff, ba[2].s.len, 3), -EAGAIN);
		EXPECT(dmab_queue_signal(bq, 5), -EAGAIN);
		got += reap_n(bq, c + got, 2 - got);
		/* two threads at once: one waits in reap, the other is turned away */
		for (int attempt = 0; attempt < 10 && !busy; attempt++) {
			arg = (struct busy_arg){ .q = bq };
			enqueue(bq, false, f, b, &ba[2], c, &got, &eagain);
			if (pthread_create(&th, NULL, busy_reaper, &arg))
				t_fail("pthread_create");
			while (!atomic_load(&arg.started))
				;
			for (int k = 0; k < 200 && !busy; k++) {
				ret = dmab_queue_submit(bq);
				if (ret == -EBUSY)
					busy++;
				else if (ret)
					t_fail("submit from a second thread: %s", strerror(-ret));
				else
					usleep(100);
			}
			pthread_join(th, NULL);
			/* the main thread got in first: turned away too */
			if (arg.ret == -EBUSY)
				busy++;
			else if (arg.ret < 0)
				t_fail("the reaping thread: %s", strerror(-arg.ret));
			if (arg.ret <= 0)
				reap_n(bq, c, 1);
		}
		if (!busy)
			t_fail("a second thread was never turned away with -EBUSY");
		CHECK(dmab_queue_free(bq));
		/* compat off: what would go compat is refused at enqueue */
		if (freason == DMAB_REASON_NONE) {
			struct dmab_ctx_opts opts = { .size = sizeof(opts),
						      .set = DMAB_OPT_COMPAT | DMAB_OPT_NO_ENV,
						      .compat = DMAB_COMPAT_OFF };
			struct dmab_ctx *off;
			struct dmab_file *df;
			struct dmab_buf *ob;

			CHECK(dmab_ctx_new(&opts, &off));
			CHECK(dmab_file_open(off, o.file, O_RDWR, 0, &df));
			CHECK(dmab_buf_register(off, d.fd, 0, 0, DMAB_BUF_READ, &ob));
			CHECK(dmab_queue_new(off, 4, 0, &bq));
			EXPECT(dmab_queue_read(bq, df, ob, 100, 100, 4096, 1), -EINVAL);
			EXPECT(dmab_queue_read(bq, df, ob, 0, 0, 65536, 2), 0);
			got = reap_n(bq, c, 1);
			if (c[0].res != 65536 || c[0].direct_bytes != 65536)
				t_fail("compat off, aligned: res %lld, %llu direct", (long long)c[0].res,
				       (unsigned long long)c[0].direct_bytes);
			CHECK(dmab_queue_free(bq));
			CHECK(dmab_buf_unregister(ob));
			CHECK(dmab_file_close(df));
			dmab_ctx_free(off);
		}
		CHECK(dmab_file_close(of));
		dmab_ctx_free(other);
		printf("ok: the queue's errnos (EBADF, ERANGE, EINVAL, EAGAIN, EBUSY after %d tries)\n",
		       busy);
	}

	/* queues of one context on two threads at once */
	{
		struct qthread t[2];
		pthread_t th[2];

		memcpy(want, canary, dsize);
		set_buf(&d, canary);
		for (unsigned int k = 0; k < 2; k++) {
			t[k] = (struct qthread){ .ctx = ctx, .f = f, .b = b };
			for (unsigned int i = 0; i < 4; i++) {
				uint64_t x = k * 4 + i;

				t[k].rq[i] = (struct areq){ .s = { x * 1792 * 1024 + 7,
								   x * 768 * 1024 + 7,
								   1 * MIB + 333 * x },
							    .tag = (k << 8) | i };
				memcpy(want + reg_off + t[k].rq[i].s.boff,
				       model + t[k].rq[i].s.foff, t[k].rq[i].s.len);
			}
		}
		/* the cancel section's last write changed the file's first MiB */
		file_snapshot(fd, model, MIB);
		for (unsigned int k = 0; k < 2; k++)
			for (unsigned int i = 0; i < 4; i++) {
				struct shape *sh = &t[k].rq[i].s;

				if (sh->foff < MIB)
					memcpy(want + reg_off + sh->boff, model + sh->foff,
					       sh->foff + sh->len > MIB ? MIB - sh->foff : sh->len);
			}
		for (unsigned int k = 0; k < 2; k++)
			if (pthread_create(&th[k], NULL, qthread_run, &t[k]))
				t_fail("pthread_create");
		for (unsigned int k = 0; k < 2; k++) {
			pthread_join(th[k], NULL);
			if (t[k].err)
				t_fail("thread %u: %s", k, t[k].err);
		}
		check_buf(&d, want, "two threads, a queue each");
		printf("ok: two threads with a queue each, byte-exact\n");
	}

	/* the queue's requests are in the context's statistics */
	CHECK(dmab_ctx_stats(ctx, &st, sizeof(st)));
	if (st.calls[0] < nr || st.calls[1] < nw ||
	    st.errors[o.blk ? ENOSPC : EFBIG] != 2)
		t_fail("stats: %llu reads, %llu writes, %llu errors",
		       (unsigned long long)st.calls[0], (unsigned long long)st.calls[1],
		       (unsigned long long)st.errors[o.blk ? ENOSPC : EFBIG]);
	if (freason == DMAB_REASON_NONE && !st.bytes[DMAB_PATH_DIRECT][1])
		t_fail("stats: no direct bytes written");
	CHECK(dmab_queue_free(q));
	CHECK(dmab_buf_unregister(b));
	CHECK(dmab_buf_unregister(bw));
	CHECK(dmab_file_close(f));
	CHECK(dmab_file_close(fro));
	dmab_ctx_free(ctx);
	dbuf_free(&d);
	close(fd);
	free(model);
	free(snap);
	free(want);
	free(canary);
	printf("ok: async %s on %s (%s)\n", o.exp, o.file, o.reason);
	return 0;
}

/* ---- errnos ------------------------------------------------------------------ */

static void errnos_nodmabuf(void)
{
	struct dmab_ctx_opts opts = { .size = sizeof(opts) };
	struct dmab_ctx *ctx, *c2;
	struct dmab_file *f;
	struct dmab_buf *b;
	struct dmab_settings s;
	int p[2], fd, closed;

	/* contexts */
	EXPECT(dmab_ctx_new(NULL, NULL), -EINVAL);
	opts.set = 1U << 31;
	EXPECT(dmab_ctx_new(&opts, &ctx), -EINVAL);
	opts.set = DMAB_OPT_CHUNK_SIZE;
	opts.chunk_size = 1000;
	EXPECT(dmab_ctx_new(&opts, &ctx), -EINVAL);
	opts.set = DMAB_OPT_QUEUE_DEPTH;
	opts.queue_depth = 0;
	EXPECT(dmab_ctx_new(&opts, &ctx), -EINVAL);
	opts.set = 0;
	opts.reserved[1] = 1;
	EXPECT(dmab_ctx_new(&opts, &ctx), -EINVAL);
	opts.reserved[1] = 0;
	opts.size = 8;
	EXPECT(dmab_ctx_new(&opts, &ctx), -EINVAL);
	opts.size = sizeof(opts);
	setenv("DMABRIDGE_COMPAT", "of", 1);
	EXPECT(dmab_ctx_new(NULL, &ctx), -EINVAL);
	setenv("DMABRIDGE_COMPAT", "on", 1);
	CHECK(dmab_ctx_new(NULL, &ctx));
	CHECK(dmab_ctx_settings(ctx, &s));
	if (s.compat != DMAB_COMPAT_ON || s.compat_src != DMAB_SRC_ENV)
		t_fail("DMABRIDGE_COMPAT=on: compat %u from %u", s.compat, s.compat_src);
	dmab_ctx_free(ctx);
	unsetenv("DMABRIDGE_COMPAT");
	setenv("DMABRIDGE_CHUNK_SIZE", "3000", 1);
	EXPECT(dmab_ctx_new(NULL, &ctx), -EINVAL);
	unsetenv("DMABRIDGE_CHUNK_SIZE");
	setenv("DMABRIDGE_QUEUE_DEPTH", "5000", 1);
	EXPECT(dmab_ctx_new(NULL, &ctx), -EINVAL);
	unsetenv("DMABRIDGE_QUEUE_DEPTH");
	/* no module at the path: compat only, or nothing with compat off */
	opts.set = DMAB_OPT_CTL_PATH | DMAB_OPT_COMPAT;
	opts.ctl_path = "/nonexistent/dmabridge";
	opts.compat = DMAB_COMPAT_OFF;
	EXPECT(dmab_ctx_new(&opts, &ctx), -ENODEV);
	opts.compat = 7;
	EXPECT(dmab_ctx_new(&opts, &ctx), -EINVAL);
	opts.compat = DMAB_COMPAT_AUTO;
	CHECK(dmab_ctx_new(&opts, &ctx));
	CHECK(dmab_ctx_settings(ctx, &s));
	if (s.module_reason != DMAB_REASON_NO_MODULE || s.abi_major)
		t_fail("no module: reason %s", dmab_reason_name((int)s.module_reason));
	dmab_ctx_free(ctx);
	opts.ctl_path = "/dev/null";	/* answers no VERSION: another ABI */
	CHECK(dmab_ctx_new(&opts, &ctx));
	CHECK(dmab_ctx_settings(ctx, &s));
	if (s.module_reason != DMAB_REASON_ABI_MISMATCH)
		t_fail("/dev/null as module: reason %s", dmab_reason_name((int)s.module_reason));
	dmab_ctx_free(ctx);
	opts.compat = DMAB_COMPAT_OFF;
	EXPECT(dmab_ctx_new(&opts, &ctx), -EPROTO);
	EXPECT(dmab_ctx_settings(NULL, &s), -EINVAL);
	dmab_ctx_free(NULL);

	ctx = ctx_new(MIB, 4);
	/* buffers */
	fd = open(o.file, O_RDWR | O_CREAT, 0644);
	closed = open("/dev/null", O_RDONLY);
	if (fd < 0 || closed < 0 || pipe(p))
		t_fail("setup: %s", strerror(errno));
	close(closed);
	EXPECT(dmab_buf_register(ctx, -1, 0, 0, DMAB_BUF_READ, &b), -EBADF);
	EXPECT(dmab_buf_register(ctx, closed, 0, 0, DMAB_BUF_READ, &b), -EBADF);
	EXPECT(dmab_buf_register(ctx, fd, 0, 0, DMAB_BUF_READ, &b), -ENOTTY);
	EXPECT(dmab_buf_register(ctx, p[0], 0, 0, DMAB_BUF_READ, &b), -ENOTTY);
	EXPECT(dmab_buf_register(ctx, fd, 0, 0, 0, &b), -EINVAL);
	EXPECT(dmab_buf_register(NULL, fd, 0, 0, DMAB_BUF_READ, &b), -EINVAL);
	EXPECT(dmab_buf_unregister(NULL), -EINVAL);
	EXPECT(dmab_buf_info(NULL, NULL), -EINVAL);
	/* files */
	EXPECT(dmab_file_open(ctx, "/nonexistent/file", O_RDONLY, 0, &f), -ENOENT);
	EXPECT(dmab_file_open(ctx, o.file, O_RDWR | O_APPEND, 0, &f), -EINVAL);
	EXPECT(dmab_file_open(ctx, o.file, O_RDWR | O_DIRECT, 0, &f), -EINVAL);
	EXPECT(dmab_file_open(ctx, "/", O_RDONLY, 0, &f), -EISDIR);
	EXPECT(dmab_file_open(NULL, o.file, O_RDONLY, 0, &f), -EINVAL);
	EXPECT(dmab_file_adopt(ctx, -1, &f), -EBADF);
	EXPECT(dmab_file_adopt(ctx, closed, &f), -EBADF);
	EXPECT(dmab_file_adopt(ctx, p[0], &f), -ESPIPE);
	{
		int opath = open(o.file, O_PATH);

		EXPECT(dmab_file_adopt(ctx, opath, &f), -EBADF);
		close(opath);
	}
	EXPECT(dmab_file_close(NULL), -EINVAL);
	EXPECT(dmab_file_info(NULL, NULL), -EINVAL);
	CHECK(dmab_file_adopt(ctx, fd, &f));
	close(fd);		/* ours is separate: the file stays usable */
	{
		struct dmab_file_info fi;

		CHECK(dmab_file_info(f, &fi));
		if (fi.read_reason >= DMAB_REASON__COUNT || !fi.block_size)
			t_fail("file info: reason %u, block %u", fi.read_reason, fi.block_size);
	}
	CHECK(dmab_file_close(f));
	close(p[0]);
	close(p[1]);
	dmab_ctx_free(ctx);
	/* the reasons' text */
	for (int r = 0; r < DMAB_REASON__COUNT; r++)
		if (!*dmab_strerror(r) || strchr(dmab_strerror(r), '\n'))
			t_fail("reason %d has no one-line text", r);
	(void)c2;
	printf("ok: errnos without a dma-buf\n");
}

static void errnos_dmabuf(void)
{
	const uint64_t dsize = 2 * MIB;
	struct dmab_ctx *ctx, *other;
	struct dmab_file *f, *fro, *other_f;
	struct dmab_buf *b, *bw, *bo;
	struct dmab_buf_info bi;
	struct dmab_result r;
	struct dbuf d, ro;
	int fd;

	dbuf_new(&d, o.exp, dsize);
	ctx = ctx_new(MIB, 4);
	other = ctx_new(MIB, 4);
	fd = open(o.file, O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		t_fail("open %s: %s", o.file, strerror(errno));
	{
		uint8_t *data = malloc(dsize);

		fill(data, 1, 0, dsize);
		if (pwrite(fd, data, dsize, 0) != (ssize_t)dsize || fsync(fd))
			t_fail("write %s: %s", o.file, strerror(errno));
		free(data);
	}
	EXPECT(dmab_buf_register(ctx, d.fd, dsize, 0, DMAB_BUF_READ, &b), -ERANGE);
	EXPECT(dmab_buf_register(ctx, d.fd, 4096, dsize, DMAB_BUF_READ, &b), -ERANGE);
	EXPECT(dmab_buf_register(ctx, d.fd, 0, 0, 1U << 5, &b), -EINVAL);
	CHECK(dmab_buf_register(ctx, d.fd, 4096, MIB, DMAB_BUF_READ, &b));
	CHECK(dmab_buf_register(ctx, d.fd, 0, 0, DMAB_BUF_WRITE, &bw));
	CHECK(dmab_buf_register(other, d.fd, 0, 0, DMAB_BUF_READ, &bo));
	CHECK(dmab_buf_info(b, &bi));
	if (bi.dmabuf_size != dsize || bi.offset != 4096 || bi.length != MIB ||
	    bi.flags != DMAB_BUF_READ || bi.token)
		t_fail("buf info: size %llu offset %llu length %llu flags %u token %u",
		       (unsigned long long)bi.dmabuf_size, (unsigned long long)bi.offset,
		       (unsigned long long)bi.length, bi.flags, bi.token);
	CHECK(dmab_file_open(ctx, o.file, O_RDWR, 0, &f));
	CHECK(dmab_file_open(ctx, o.file, O_RDONLY, 0, &fro));
	CHECK(dmab_file_open(other, o.file, O_RDWR, 0, &other_f));

	dbuf_sync(&d, DMA_BUF_SYNC_START);
	memset(d.cpu, 0x5a, dsize);
	dbuf_sync(&d, DMA_BUF_SYNC_END);
	EXPECT(dmab_read(f, bw, 0, 0, 4096, &r), -EBADF);	/* buffer direction */
	EXPECT(dmab_write(f, b, 0, 0, 4096, &r), -EBADF);
	EXPECT(dmab_write(fro, bw, 0, 0, 4096, &r), -EBADF);	/* file access */
	EXPECT(dmab_read(f, b, 0, 0, MIB + 1, &r), -ERANGE);	/* outside the range */
	EXPECT(dmab_read(f, b, MIB + 1, 0, 0, &r), -ERANGE);
	EXPECT(dmab_read(f, b, MIB - 4096, 0, 8192, &r), -ERANGE);
	EXPECT(dmab_read(f, b, 0, UINT64_MAX - 10, 4096, &r), -EINVAL);
	EXPECT(dmab_read(f, bo, 0, 0, 4096, &r), -EINVAL);	/* other context */
	EXPECT(dmab_read(other_f, b, 0, 0, 4096, &r), -EINVAL);
	EXPECT(dmab_read(NULL, b, 0, 0, 4096, &r), -EINVAL);
	EXPECT(dmab_read(f, NULL, 0, 0, 4096, &r), -EINVAL);
	if (r.error != -EINVAL || r.bytes)
		t_fail("a failed call's result: error %d bytes %llu", r.error,
		       (unsigned long long)r.bytes);
	EXPECT(dmab_read(f, b, 0, 0, 0, &r), 0);		/* nothing to do */
	dbuf_sync(&d, DMA_BUF_SYNC_START);
	for (uint64_t x = 0; x < dsize; x++)
		if (d.cpu[x] != 0x5a)
			t_fail("a refused call changed buffer byte %llu", (unsigned long long)x);
	dbuf_sync(&d, DMA_BUF_SYNC_END);

	/* the fd given to register may be closed: the library keeps its own */
	close(d.fd);
	d.fd = -1;
	CHECK(dmab_read(f, b, 0, 0, 8192, &r));
	if (r.bytes != 8192)
		t_fail("read after closing the dma-buf fd: %llu bytes", (unsigned long long)r.bytes);
	if (r.direct_bytes) {
		CHECK(dmab_buf_info(b, &bi));
		if (!bi.token)
			t_fail("direct bytes moved but the buffer has no token");
	}
	d.fd = open("/dev/null", O_RDONLY);	/* for dbuf_free */

	/* compat off: what cannot go direct fails with its errno, nothing moves */
	if (o.tmpfile) {
		struct dmab_ctx_opts opts = { .size = sizeof(opts),
					      .set = DMAB_OPT_COMPAT | DMAB_OPT_NO_ENV,
					      .compat = DMAB_COMPAT_OFF };
		struct dmab_ctx *off;
		struct dmab_file *t, *df;
		struct dmab_buf *ob;
		struct dbuf d2;
		int tfd = open(o.tmpfile, O_RDWR | O_CREAT | O_TRUNC, 0644);

		if (tfd < 0 || ftruncate(tfd, MIB))
			t_fail("create %s: %s", o.tmpfile, strerror(errno));
		close(tfd);
		dbuf_new(&d2, o.exp, dsize);
		CHECK(dmab_ctx_new(&opts, &off));
		CHECK(dmab_file_open(off, o.tmpfile, O_RDWR, 0, &t));
		CHECK(dmab_file_open(off, o.file, O_RDWR, 0, &df));
		CHECK(dmab_buf_register(off, d2.fd, 0, 0, DMAB_BUF_READ, &ob));
		dbuf_sync(&d2, DMA_BUF_SYNC_START);
		memset(d2.cpu, 0x5a, dsize);
		dbuf_sync(&d2, DMA_BUF_SYNC_END);
		EXPECT(dmab_read(t, ob, 0, 0, 4096, &r), -EXDEV);
		if (r.reason != DMAB_REASON_NOT_DMABRIDGE_DEV || r.bytes)
			t_fail("compat off, tmpfs: reason %s", dmab_reason_name((int)r.reason));
		EXPECT(dmab_read(df, ob, 100, 100, 4096, &r), -EINVAL);
		if (r.reason != DMAB_REASON_UNALIGNED || r.bytes)
			t_fail("compat off, unaligned: reason %s", dmab_reason_name((int)r.reason));
		CHECK(dmab_read(df, ob, 0, 0, 65536, &r));
		if (r.direct_bytes != 65536)
			t_fail("compat off, aligned: %llu direct bytes", (unsigned long long)r.direct_bytes);
		dbuf_sync(&d2, DMA_BUF_SYNC_START);
		for (uint64_t x = 65536; x < dsize; x++)
			if (d2.cpu[x] != 0x5a)
				t_fail("compat off: refused calls changed buffer byte %llu",
				       (unsigned long long)x);
		dbuf_sync(&d2, DMA_BUF_SYNC_END);
		{
			struct dmab_stats st;

			CHECK(dmab_ctx_stats(off, &st, sizeof(st)));
			if (st.errors[EXDEV] != 1 || st.errors[EINVAL] != 1)
				t_fail("stats: errors EXDEV %llu EINVAL %llu, want 1 and 1",
				       (unsigned long long)st.errors[EXDEV],
				       (unsigned long long)st.errors[EINVAL]);
		}
		CHECK(dmab_buf_unregister(ob));
		CHECK(dmab_file_close(t));
		CHECK(dmab_file_close(df));
		dmab_ctx_free(off);
		dbuf_free(&d2);
		printf("ok: compat off\n");
	}

	CHECK(dmab_buf_unregister(b));
	CHECK(dmab_buf_unregister(bw));
	CHECK(dmab_buf_unregister(bo));
	CHECK(dmab_file_close(f));
	CHECK(dmab_file_close(fro));
	CHECK(dmab_file_close(other_f));
	dmab_ctx_free(ctx);
	dmab_ctx_free(other);
	dbuf_free(&d);
	close(fd);

	/* a dma-buf exported read-only cannot be a read's destination */
	if (!strcmp(o.exp, "pages")) {
		dbuf_new(&ro, "pages:rdonly", dsize);
		ctx = ctx_new(MIB, 4);
		EXPECT(dmab_buf_register(ctx, ro.fd, 0, 0, DMAB_BUF_READ, &b), -EACCES);
		dmab_ctx_free(ctx);
		dbuf_free(&ro);
	}
	printf("ok: errnos with a %s dma-buf\n", o.exp);
}

static int cmd_errnos(void)
{
	errnos_nodmabuf();
	if (!o.no_dmabuf)
		errnos_dmabuf();
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "exporter", required_argument, NULL, 'e' },
		{ "file", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "tmpfile", required_argument, NULL, 't' },
		{ "blk", no_argument, NULL, 'b' },
		{ "no-dmabuf", no_argument, NULL, 'n' },
		{ "async", no_argument, NULL, 'a' },
		{ 0 }
	};
	const char *cmd;
	int c;

	if (argc < 2)
		t_fail("usage: lib_io rw|hole|errnos [options] (see the source)");
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "e:f:r:s:t:bna", lopts, NULL)) != -1) {
		switch (c) {
		case 'e': o.exp = optarg; break;
		case 'f': o.file = optarg; break;
		case 'r': o.reason = optarg; break;
		case 's': o.size = strtoull(optarg, NULL, 0); break;
		case 't': o.tmpfile = optarg; break;
		case 'b': o.blk = true; break;
		case 'n': o.no_dmabuf = true; break;
		case 'a': o.async = true; break;
		default: t_fail("bad option");
		}
	}
	if (!o.file)
		t_fail("--file is required");
	if (!strcmp(cmd, "rw") || !strcmp(cmd, "hole")) {
		if (!o.reason)
			t_fail("--reason is required");
		return !strcmp(cmd, "rw") ? cmd_rw() : cmd_hole();
	}
	if (!strcmp(cmd, "errnos"))
		return cmd_errnos();
	if (!strcmp(cmd, "async")) {
		if (!o.reason)
			t_fail("--reason is required");
		return cmd_async();
	}
	t_fail("unknown command %s", cmd);
}
