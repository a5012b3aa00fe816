// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* dma-bufs for cp and bench (dbuf.h). */
#include <drm.h>
#include <drm_mode.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dbr_test_exporter.h"	/* tests/kmod: the rig's BAR exporter */
#include "dbuf.h"
#include "sys.h"
#include "vk.h"

const char *const dbuf_names[] = { "udmabuf", "vgem", "vulkan", "bar", NULL };

#define PAGE 4096ULL

uint64_t dbuf_udmabuf_limit(void)
{
	uint64_t mb;

	if (sys_read_u64("/sys/module/udmabuf/parameters/size_limit_mb", &mb))
		return 0;
	return mb << 20;
}

int dbuf_vgem_card(char *path, size_t len)
{
	char p[32], name[16];
	int i, fd;

	for (i = 0; i < 16; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(p, sizeof(p), "/dev/dri/card%d", i);
		fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem")) {
			close(fd);
			snprintf(path, len, "%s", p);
			return 0;
		}
		close(fd);
	}
	return -ENODEV;
}

static int fail(char *err, size_t len, int ret, const char *fmt, const char *arg)
{
	snprintf(err, len, fmt, arg, strerror(-ret));
	return ret;
}

static int new_udmabuf(struct dbuf *d, char *err, size_t len)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = d->size };
	uint64_t limit = dbuf_udmabuf_limit();
	int dev, ret;

	if (limit && d->size > limit) {
		snprintf(err, len, "udmabuf: %llu MiB is above its size_limit_mb (%llu MiB):"
			 " reload it with a larger size_limit_mb",
			 (unsigned long long)(d->size >> 20), (unsigned long long)(limit >> 20));
		return -EFBIG;
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return fail(err, len, -errno, "%s: %s (modprobe udmabuf)", "/dev/udmabuf");
	d->aux = memfd_create("dmabridge", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (d->aux < 0 || ftruncate(d->aux, (off_t)d->size) ||
	    fcntl(d->aux, F_ADD_SEALS, F_SEAL_SHRINK)) {
		ret = -errno;
		close(dev);
		return fail(err, len, ret, "%s: %s", "memfd");
	}
	c.memfd = (uint32_t)d->aux;
	d->fd = ioctl(dev, UDMABUF_CREATE, &c);
	ret = -errno;
	close(dev);
	if (d->fd < 0)
		return fail(err, len, ret, "%s: %s", "UDMABUF_CREATE");
	snprintf(d->desc, sizeof(d->desc), "udmabuf (memfd pages)");
	return 0;
}

static int new_vgem(struct dbuf *d, char *err, size_t len)
{
	struct drm_mode_create_dumb cd = { .width = 1024, .bpp = 32 };
	struct drm_prime_handle h = { .flags = DRM_CLOEXEC | DRM_RDWR };
	char path[32];
	int ret;

	/* rows of 4 KiB: the size a multiple of 4 KiB */
	cd.height = (uint32_t)(d->size / PAGE);
	if (dbuf_vgem_card(path, sizeof(path)))
		return fail(err, len, -ENODEV, "%s: %s (modprobe vgem)", "no vgem card in /dev/dri");
	d->aux = open(path, O_RDWR | O_CLOEXEC);
	if (d->aux < 0)
		return fail(err, len, -errno, "%s: %s", path);
	if (ioctl(d->aux, DRM_IOCTL_MODE_CREATE_DUMB, &cd))
		return fail(err, len, -errno, "%s: %s", "vgem CREATE_DUMB");
	h.handle = cd.handle;
	if (ioctl(d->aux, DRM_IOCTL_PRIME_HANDLE_TO_FD, &h)) {
		ret = -errno;
		return fail(err, len, ret, "%s: %s", "vgem PRIME_HANDLE_TO_FD");
	}
	d->fd = h.fd;
	d->size = cd.size;
	snprintf(d->desc, sizeof(d->desc), "vgem dumb buffer (%s)", path);
	return 0;
}

static int new_bar(struct dbuf *d, uint64_t bar_offset, char *err, size_t len)
{
	struct dbr_texp_create c = { .shape = DBR_TEXP_SHAPE_BAR, .chunk_pages = 256 };
	const uint64_t chunk = 256 * PAGE;

	d->size = (d->size + chunk - 1) / chunk * chunk;
	c.nr_chunks = (uint32_t)(d->size / chunk);
	c.bar_offset = bar_offset;
	d->aux = open("/dev/" DBR_TEXP_NAME, O_RDWR | O_CLOEXEC);
	if (d->aux < 0)
		return fail(err, len, -errno,
			    "%s: %s (the test rig's exporter: tests/kmod, tests/vm/run --p2p-bar)",
			    "/dev/" DBR_TEXP_NAME);
	if (ioctl(d->aux, DBR_TEXP_IOC_CREATE, &c))
		return fail(err, len, -errno, "%s: %s (no ivshmem BAR, or too small)",
			    "BAR dma-buf");
	d->fd = c.fd;
	snprintf(d->desc, sizeof(d->desc), "the rig's ivshmem BAR (page-less, at %llu MiB)",
		 (unsigned long long)(bar_offset >> 20));
	return 0;
}

int dbuf_new(enum dbuf_kind kind, uint64_t size, uint64_t bar_offset,
	     struct dbuf *d, char *err, size_t errlen)
{
	int ret;

	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->fd = d->aux = -1;
	d->map = MAP_FAILED;
	d->size = (size ? size + PAGE - 1 : PAGE) / PAGE * PAGE;
	err[0] = 0;
	switch (kind) {
	case DBUF_UDMABUF: ret = new_udmabuf(d, err, errlen); break;
	case DBUF_VGEM: ret = new_vgem(d, err, errlen); break;
	case DBUF_BAR: ret = new_bar(d, bar_offset, err, errlen); break;
	case DBUF_VULKAN:
		ret = vk_mem_new(d->size, &d->vk, &d->fd, d->desc, sizeof(d->desc),
				 err, errlen);
		break;
	default: ret = -EINVAL;
	}
	if (ret)
		dbuf_free(d);
	return ret;
}

int dbuf_map(struct dbuf *d)
{
	if (d->map != MAP_FAILED)
		return 0;
	d->map = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (d->map == MAP_FAILED)
		return -errno;
	return 0;
}

int dbuf_sync(struct dbuf *d, bool start, bool read, bool write)
{
	struct dma_buf_sync s = {
		.flags = (start ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) |
			 (read ? DMA_BUF_SYNC_READ : 0) | (write ? DMA_BUF_SYNC_WRITE : 0),
	};

	while (ioctl(d->fd, DMA_BUF_IOCTL_SYNC, &s))
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	return 0;
}

void dbuf_free(struct dbuf *d)
{
	if (d->map && d->map != MAP_FAILED)
		munmap(d->map, d->size);
	d->map = MAP_FAILED;
	if (d->fd >= 0)
		close(d->fd);
	if (d->aux >= 0)
		close(d->aux);
	d->fd = d->aux = -1;
	if (d->vk)
		vk_mem_free(d->vk);
	d->vk = NULL;
}
