// SPDX-License-Identifier: MIT
/*
 * lib-read: read a file into a dma-buf with libdmabridge, then check the
 * bytes against an ordinary read, and say which path they took and why.
 *
 *   lib-read FILE [OFFSET [LENGTH]]
 *
 * The dma-buf is a udmabuf (Linux 5.1+, CONFIG_UDMABUF): a memfd's pages
 * exported as a dma-buf, standing in for the GPU memory an application
 * would export from Vulkan (VK_EXT_external_memory_dma_buf) or a DRM
 * driver. Only libdmabridge's public API is used; the library needs no
 * other setup: without the dmabridge module, or for a file that is not on
 * a disk bound to it, the same calls take the compat path and say so.
 *
 * Build against an installed libdmabridge:
 *   cc -std=c11 -O2 -o lib-read lib_read.c $(pkg-config --cflags --libs dmabridge)
 * or with CMake: find_package(dmabridge) and dmabridge::dmabridge (see
 * CMakeLists.txt next to this file).
 *
 * The bytes land at buffer offset OFFSET % 4096: a buffer offset that
 * agrees with the file offset modulo the disk's block size lets the
 * block-aligned middle of the read go direct, with only the unaligned head
 * and tail through the compat path (docs/library.md, "Paths").
 *
 * Exit status: 0 when the dma-buf holds exactly the file's bytes, 1 on any
 * error or mismatch.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dmabridge/dmabridge.h>

#define PAGE		4096ULL
#define DEFAULT_MAX	(16ULL << 20)	/* udmabuf's default limit is 64 MiB */

struct udmabuf {
	int memfd;	/* the pages */
	int fd;		/* the dma-buf */
	size_t size;
	unsigned char *cpu;	/* the memfd's mapping: the same pages */
};

/*
 * A udmabuf of @size bytes (a multiple of the page size). The CPU view is
 * the memfd's own mapping: udmabuf exports the memfd's pages, so on a
 * cache-coherent machine (x86) they hold what the device wrote once
 * dmab_read() returns. A GPU buffer would be read back with the GPU API
 * instead.
 */
static int udmabuf_new(struct udmabuf *u, size_t size)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
	int dev;

	u->fd = -1;
	u->memfd = memfd_create("lib-read", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (u->memfd < 0)
		return -errno;
	if (ftruncate(u->memfd, (off_t)size) ||
	    fcntl(u->memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return -errno;
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	c.memfd = (uint32_t)u->memfd;
	u->fd = ioctl(dev, UDMABUF_CREATE, &c);
	close(dev);
	if (u->fd < 0)
		return -errno;
	u->cpu = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, u->memfd, 0);
	if (u->cpu == MAP_FAILED)
		return -errno;
	u->size = size;
	return 0;
}

static void udmabuf_free(struct udmabuf *u)
{
	if (u->cpu && u->cpu != MAP_FAILED)
		munmap(u->cpu, u->size);
	if (u->fd >= 0)
		close(u->fd);
	if (u->memfd >= 0)
		close(u->memfd);
}

/* "direct", or "compat (reason-name): text" */
static void print_path(const char *what, uint32_t reason)
{
	if (reason == DMAB_REASON_NONE)
		printf("%s: direct\n", what);
	else
		printf("%s: compat (%s): %s\n", what, dmab_reason_name((int)reason),
		       dmab_strerror((int)reason));
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "lib-read: bad %s '%s'\n", what, s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct udmabuf u = { .memfd = -1, .fd = -1 };
	struct dmab_ctx *ctx = NULL;
	struct dmab_buf *buf = NULL;
	struct dmab_file *file = NULL;
	struct dmab_settings set;
	struct dmab_file_info fi;
	struct dmab_result res;
	uint64_t off = 0, len, buf_off, got = 0;
	unsigned char *ref = NULL;
	struct stat st;
	int ret, fd, status = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: lib-read FILE [OFFSET [LENGTH]]\n");
		return 1;
	}
	if (argc > 2)
		off = parse_u64(argv[2], "offset");
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);	/* the reference reader */
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "lib-read: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (argc > 3) {
		len = parse_u64(argv[3], "length");
	} else {
		/* to the end of the file (a block device's size is not st_size) */
		off_t end = lseek(fd, 0, SEEK_END);

		len = end > 0 && (uint64_t)end > off ? (uint64_t)end - off : 0;
		if (len > DEFAULT_MAX)
			len = DEFAULT_MAX;
	}
	if (!len) {
		fprintf(stderr, "lib-read: nothing to read at offset %" PRIu64 "\n", off);
		return 1;
	}
	buf_off = off % PAGE;

	ret = udmabuf_new(&u, (size_t)((buf_off + len + PAGE - 1) / PAGE * PAGE));
	if (ret) {
		fprintf(stderr, "lib-read: udmabuf: %s\n", strerror(-ret));
		goto out;
	}

	/* defaults, overridden by DMABRIDGE_COMPAT, _CHUNK_SIZE, _QUEUE_DEPTH */
	ret = dmab_ctx_new(NULL, &ctx);
	if (!ret)
		ret = dmab_ctx_settings(ctx, &set);
	if (ret) {
		fprintf(stderr, "lib-read: dmab_ctx_new: %s\n", strerror(-ret));
		goto out;
	}
	printf("context: compat %s (from %s), module ", dmab_compat_name((int)set.compat),
	       dmab_source_name((int)set.compat_src));
	if (set.module_reason == DMAB_REASON_NONE)
		printf("ABI %u.%u\n", set.abi_major, set.abi_minor);
	else
		printf("not usable: %s\n", dmab_strerror((int)set.module_reason));

	/* the library keeps its own reference: the dma-buf fd may be closed */
	ret = dmab_buf_register(ctx, u.fd, 0, 0, DMAB_BUF_READ, &buf);
	if (ret) {
		fprintf(stderr, "lib-read: dmab_buf_register: %s\n", strerror(-ret));
		goto out;
	}
	ret = dmab_file_open(ctx, argv[1], O_RDONLY, 0, &file);
	if (ret) {
		fprintf(stderr, "lib-read: dmab_file_open %s: %s\n", argv[1], strerror(-ret));
		goto out;
	}
	/* decided once, at open: can this file's reads go direct, and if not, why */
	ret = dmab_file_info(file, &fi);
	if (ret) {
		fprintf(stderr, "lib-read: dmab_file_info: %s\n", strerror(-ret));
		goto out;
	}
	printf("file: %s on %s, block size %u\n", argv[1],
	       fi.dev_name[0] ? fi.dev_name : "(no block device)", fi.block_size);
	print_path("file path", fi.read_reason);

	ret = dmab_read(file, buf, buf_off, off, len, &res);
	if (ret) {
		fprintf(stderr, "lib-read: dmab_read: %s (at file offset %" PRIu64 ")\n",
			strerror(-ret), res.error_offset);
		goto out;
	}
	printf("read: %" PRIu64 " bytes at offset %" PRIu64 " into buffer offset %" PRIu64
	       ": %" PRIu64 " direct in %u requests, %" PRIu64 " compat in %u requests\n",
	       res.bytes, off, buf_off, res.direct_bytes, res.direct_requests,
	       res.compat_bytes, res.compat_requests);
	print_path("read path", res.reason);
	for (int r = 1; r < DMAB_REASON__COUNT && r < 32; r++)
		if ((res.reasons & (1U << r)) && (uint32_t)r != res.reason)
			printf("also compat (%s): %s\n", dmab_reason_name(r), dmab_strerror(r));

	/* the reference: the same bytes through read(2) */
	ref = malloc(len);
	if (!ref) {
		fprintf(stderr, "lib-read: out of memory\n");
		goto out;
	}
	while (got < len) {
		ssize_t n = pread(fd, ref + got, len - got, (off_t)(off + got));

		if (n < 0) {
			fprintf(stderr, "lib-read: pread: %s\n", strerror(errno));
			goto out;
		}
		if (!n)
			break;
		got += (uint64_t)n;
	}
	if (got != res.bytes) {
		printf("verify: FAILED: read(2) gave %" PRIu64 " bytes, dmab_read %" PRIu64 "\n",
		       got, res.bytes);
		goto out;
	}
	for (uint64_t i = 0; i < got; i++) {
		if (u.cpu[buf_off + i] != ref[i]) {
			printf("verify: FAILED: first difference at file offset %" PRIu64
			       ": 0x%02x in the dma-buf, 0x%02x in the file\n",
			       off + i, u.cpu[buf_off + i], ref[i]);
			goto out;
		}
	}
	printf("verify: ok, %" PRIu64 " bytes match read(2)\n", got);
	status = 0;
out:
	free(ref);
	if (file)
		dmab_file_close(file);
	if (buf)
		dmab_buf_unregister(buf);
	dmab_ctx_free(ctx);	/* last, after its buffers and files */
	udmabuf_free(&u);
	close(fd);
	return status;
}
