// SPDX-License-Identifier: GPL-2.0
/*
 * texp_shapes: dma-bufs from dbr_test_exporter have the requested shape and
 * content. "pages": chunk layouts, mmap fill/verify, zero init, read-only
 * export, argument errors, no buffer leaked. "bar BACKING_FILE": a BAR window
 * written through the dma-buf's mmap lands in the ivshmem backing file at the
 * expected (chunk-permuted) offsets.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dbr_tool.h"
#include "dbr_test_exporter.h"

#define DEBUGFS "/sys/kernel/debug/dbr_test_exporter/"
#define PAGE 4096ULL

static int texp_fd;

static uint64_t pattern(uint64_t seed, uint64_t off)
{
	return (seed << 40) ^ off ^ 0x5a5a000000000000ULL;
}

static int texp_create(struct dbr_texp_create *c)
{
	c->fd = -1;
	return ioctl(texp_fd, DBR_TEXP_IOC_CREATE, c);
}

static void fill(uint64_t *p, uint64_t len, uint64_t seed)
{
	for (uint64_t o = 0; o < len; o += 8)
		p[o / 8] = pattern(seed, o);
}

static void verify(const volatile uint64_t *p, uint64_t len, uint64_t seed,
		   const char *what)
{
	for (uint64_t o = 0; o < len; o += 8)
		if (p[o / 8] != pattern(seed, o))
			t_fail("%s: word at %#llx is %#llx, want %#llx", what,
			       (unsigned long long)o,
			       (unsigned long long)p[o / 8],
			       (unsigned long long)pattern(seed, o));
}

static void test_pages_layout(uint32_t chunk_pages, uint32_t nr, uint32_t flags)
{
	struct dbr_texp_create c = {
		.shape = DBR_TEXP_SHAPE_PAGES, .flags = flags,
		.chunk_pages = chunk_pages, .nr_chunks = nr,
	};
	uint64_t len = chunk_pages * nr * PAGE, seed = chunk_pages * 1000 + nr;
	uint64_t *p;
	off_t size;

	t_expect_errno(texp_create(&c), 0);
	size = lseek(c.fd, 0, SEEK_END);
	if ((uint64_t)size != len)
		t_fail("dma-buf size %lld, want %llu", (long long)size,
		       (unsigned long long)len);

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	if (p == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	for (uint64_t o = 0; o < len; o += 8)
		if (p[o / 8])
			t_fail("new buffer not zeroed at %#llx",
			       (unsigned long long)o);
	fill(p, len, seed);
	munmap(p, len);

	/* A second mapping, and one at an offset, see the same bytes. */
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, c.fd, 0);
	if (p == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	verify(p, len, seed, "remapped");
	munmap(p, len);
	if (len > PAGE) {
		p = mmap(NULL, len - PAGE, PROT_READ, MAP_SHARED, c.fd, PAGE);
		if (p == MAP_FAILED)
			t_fail("mmap at offset: %s", strerror(errno));
		for (uint64_t o = 0; o < len - PAGE; o += 8)
			if (p[o / 8] != pattern(seed, o + PAGE))
				t_fail("offset mapping wrong at %#llx",
				       (unsigned long long)o);
		munmap(p, len - PAGE);
	}
	close(c.fd);
	printf("ok: pages %u x %u flags %#x\n", nr, chunk_pages, flags);
}

static void test_pages(void)
{
	struct dbr_texp_create c = {
		.shape = DBR_TEXP_SHAPE_PAGES, .chunk_pages = 1, .nr_chunks = 4,
	};
	long long base = t_read_counter(DEBUGFS "buffers");
	void *p;

	if (base < 0)
		t_fail("no " DEBUGFS "buffers");

	test_pages_layout(1, 64, 0);
	test_pages_layout(4, 16, DBR_TEXP_REVERSE);
	test_pages_layout(16, 8, DBR_TEXP_DYNAMIC);
	test_pages_layout(64, 4, DBR_TEXP_DYNAMIC | DBR_TEXP_REVERSE);

	/* Read-only export: no writable mapping. */
	c.flags = DBR_TEXP_RDONLY;
	t_expect_errno(texp_create(&c), 0);
	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	if (p != MAP_FAILED || errno != EACCES)
		t_fail("writable mmap of a read-only dma-buf: %s",
		       p == MAP_FAILED ? strerror(errno) : "succeeded");
	close(c.fd);

	/* Argument checks. */
	c = (struct dbr_texp_create){ .shape = DBR_TEXP_SHAPE_PAGES,
				      .chunk_pages = 3, .nr_chunks = 1 };
	t_expect_errno(texp_create(&c), EINVAL);
	c.chunk_pages = 1;
	c.reserved = 1;
	t_expect_errno(texp_create(&c), EINVAL);
	c.reserved = 0;
	c.flags = 1U << 31;
	t_expect_errno(texp_create(&c), EINVAL);
	c.flags = 0;
	c.shape = 99;
	t_expect_errno(texp_create(&c), EINVAL);
	c.shape = DBR_TEXP_SHAPE_PAGES;
	c.nr_chunks = 0;
	t_expect_errno(texp_create(&c), EINVAL);

	if (t_read_counter(DEBUGFS "buffers") != base)
		t_fail("buffers: %lld live, want %lld",
		       t_read_counter(DEBUGFS "buffers"), base);
	printf("ok: pages shape\n");
}

static void test_bar(const char *backing)
{
	const uint32_t chunk_pages = 16, nr = 8;
	const uint64_t bar_off = 1 << 20, chunk = chunk_pages * PAGE;
	const uint64_t len = nr * chunk, seed = 77;
	struct dbr_texp_create c = {
		.shape = DBR_TEXP_SHAPE_BAR, .flags = DBR_TEXP_REVERSE,
		.chunk_pages = chunk_pages, .nr_chunks = nr,
		.bar_offset = bar_off,
	};
	uint64_t *p, *buf;
	int bfd;

	if (texp_create(&c) < 0) {
		if (errno == ENODEV)
			t_skip("no ivshmem device (run with --p2p-bar)");
		t_fail("BAR create: %s", strerror(errno));
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	if (p == MAP_FAILED)
		t_fail("BAR mmap: %s", strerror(errno));
	fill(p, len, seed);
	verify(p, len, seed, "BAR readback");
	munmap(p, len);
	close(c.fd);

	/* Token chunk i lives in BAR chunk nr - 1 - i. */
	bfd = open(backing, O_RDONLY);
	if (bfd < 0)
		t_fail("open %s: %s", backing, strerror(errno));
	buf = malloc(chunk);
	for (uint32_t i = 0; i < nr; i++) {
		off_t at = bar_off + (nr - 1 - i) * chunk;

		if (pread(bfd, buf, chunk, at) != (ssize_t)chunk)
			t_fail("pread backing: %s", strerror(errno));
		for (uint64_t o = 0; o < chunk; o += 8)
			if (buf[o / 8] != pattern(seed, i * chunk + o))
				t_fail("backing file at %#llx: %#llx",
				       (unsigned long long)(at + o),
				       (unsigned long long)buf[o / 8]);
	}
	free(buf);
	close(bfd);

	/* Outside the BAR. */
	c.bar_offset = 1ULL << 40;
	t_expect_errno(texp_create(&c), ERANGE);
	printf("ok: BAR shape, data in the backing file\n");
}

int main(int argc, char **argv)
{
	if (argc < 2)
		t_fail("usage: texp_shapes pages | bar BACKING_FILE");
	texp_fd = open("/dev/" DBR_TEXP_NAME, O_RDWR);
	if (texp_fd < 0)
		t_skip("/dev/" DBR_TEXP_NAME ": %s (module not loaded)",
		       strerror(errno));
	if (!strcmp(argv[1], "pages"))
		test_pages();
	else if (!strcmp(argv[1], "bar") && argc == 3)
		test_bar(argv[2]);
	else
		t_fail("unknown test '%s'", argv[1]);
	return T_EXIT_PASS;
}
