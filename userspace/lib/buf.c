// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Buffers: a registered range of a dma-buf. The library keeps its own
 * duplicate of the fd; the module token (direct path) and the CPU mapping
 * (compat path) are made on first use, each once, under the buffer's lock.
 * One token per buffer is enough: the module attaches it to each NVMe
 * controller on that controller's first request.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/dmabridge.h>

#include "internal.h"

static int check_dmabuf(int fd, uint64_t *size, int *accmode)
{
	struct statfs sfs;
	int fl;
	off_t end;

	if (fd < 0)
		return -EBADF;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -EBADF;
	if (fstatfs(fd, &sfs))
		return -errno;
	if (sfs.f_type != DMA_BUF_MAGIC)
		return -ENOTTY;		/* not a dma-buf */
	end = lseek(fd, 0, SEEK_END);
	if (end <= 0)
		return end ? -errno : -ENOTTY;
	*size = (uint64_t)end;
	*accmode = fl & O_ACCMODE;
	return 0;
}

int dmab_buf_register(struct dmab_ctx *ctx, int dmabuf_fd, uint64_t offset,
		      uint64_t length, unsigned int flags,
		      struct dmab_buf **bufp)
{
	struct dmab_buf *b;
	uint64_t size = 0;
	int ret, acc = 0;

	if (!ctx || !bufp || !flags || flags & ~(DMAB_BUF_READ | DMAB_BUF_WRITE))
		return -EINVAL;
	ret = check_dmabuf(dmabuf_fd, &size, &acc);
	if (ret)
		return ret;
	/* the device (or the CPU) writes the buffer for reads, and so on */
	if ((flags & DMAB_BUF_READ && acc == O_RDONLY) ||
	    (flags & DMAB_BUF_WRITE && acc == O_WRONLY))
		return -EACCES;
	if (offset >= size)
		return -ERANGE;
	if (!length)
		length = size - offset;
	if (length > size - offset)
		return -ERANGE;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fd = fcntl(dmabuf_fd, F_DUPFD_CLOEXEC, 3);
	if (b->fd < 0) {
		ret = -errno;
		goto free_buf;
	}
	ret = -pthread_mutex_init(&b->lock, NULL);
	if (ret)
		goto close_fd;
	b->ctx = ctx;
	b->size = size;
	b->offset = offset;
	b->length = length;
	b->flags = flags;
	b->direct_reason = ctx->ctl < 0 ? ctx->set.module_reason :
			   DMAB_REASON_NONE;
	*bufp = b;
	return 0;

close_fd:
	close(b->fd);
free_buf:
	free(b);
	return ret;
}

int dmab_buf_unregister(struct dmab_buf *b)
{
	int ret = 0;

	if (!b)
		return -EINVAL;
	if (b->token) {
		struct dmabridge_token_destroy d = { .id = b->token };

		/* returns once the module has detached the dma-buf */
		if (ioctl(b->ctx->ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d))
			ret = -errno;
	}
	if (b->map)
		munmap(b->map, b->map_len);
	pthread_mutex_destroy(&b->lock);
	close(b->fd);
	free(b);
	return ret;
}

int dmab_buf_info(struct dmab_buf *b, struct dmab_buf_info *info)
{
	if (!b || !info)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	*info = (struct dmab_buf_info){
		.dmabuf_size = b->size, .offset = b->offset,
		.length = b->length, .flags = b->flags, .token = b->token,
		.direct_reason = b->direct_reason,
		.cpu_map_reason = b->map_reason,
	};
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* The module token, created on the first direct request. */
int __dmab_buf_token(struct dmab_buf *b, uint32_t *id)
{
	struct dmabridge_token_create c = { .dmabuf_fd = b->fd };
	int ret = 0;

	/* made once, never changed until unregister: no lock once there */
	*id = atomic_load_explicit(&b->token, memory_order_acquire);
	if (*id)
		return 0;
	pthread_mutex_lock(&b->lock);
	if (b->token)
		goto out;
	if (b->token_err) {
		ret = -b->token_err;
		goto out;
	}
	if (b->flags & DMAB_BUF_READ)
		c.flags |= DMABRIDGE_TOKEN_READ;
	if (b->flags & DMAB_BUF_WRITE)
		c.flags |= DMABRIDGE_TOKEN_WRITE;
	if (ioctl(b->ctx->ctl, DMABRIDGE_IOC_TOKEN_CREATE, &c)) {
		b->token_err = errno;
		b->direct_reason = errno == EOPNOTSUPP ? DMAB_REASON_EXPORTER :
				   DMAB_REASON_TOKEN;
		ret = -b->token_err;
		goto out;
	}
	atomic_store_explicit(&b->token, c.id, memory_order_release);
out:
	*id = b->token;
	pthread_mutex_unlock(&b->lock);
	return ret;
}

/*
 * The CPU mapping, made on the first compat request. Returns the address
 * of dma-buf offset 0 as seen through the mapping. The whole dma-buf is
 * mapped from offset 0, not just the registered range: some exporters
 * ignore the mapping's page offset (vgem on Linux 6.1: the shmem helpers'
 * fault handler counts pages from the start of the vma), and a sub-range
 * mapped at its own offset would then show the buffer's first pages.
 */
int __dmab_buf_map(struct dmab_buf *b, uint8_t **base)
{
	int prot = PROT_READ, ret = 0;
	void *p;

	pthread_mutex_lock(&b->lock);
	if (b->map_tried)
		goto out;
	b->map_tried = true;
	if (b->flags & DMAB_BUF_READ)
		prot |= PROT_WRITE;
	b->map_off = 0;
	b->map_len = DMAB_ALIGN_UP(b->size, DMAB_PAGE);
	p = mmap(NULL, b->map_len, prot, MAP_SHARED, b->fd, (off_t)b->map_off);
	if (p == MAP_FAILED)
		b->map_reason = DMAB_REASON_NO_CPU_MAP;
	else
		b->map = p;
out:
	if (!b->map)
		ret = -EOPNOTSUPP;
	else
		*base = b->map - b->map_off;
	pthread_mutex_unlock(&b->lock);
	return ret;
}

static int cpu_sync(struct dmab_buf *b, uint64_t what, bool cpu_writes)
{
	struct dma_buf_sync s = {
		.flags = what | (cpu_writes ? DMA_BUF_SYNC_WRITE : DMA_BUF_SYNC_READ),
	};
	int r;

	do {
		r = ioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s);
	} while (r && (errno == EINTR || errno == EAGAIN));
	return r ? -errno : 0;
}

/*
 * Bracket CPU access. A compat READ only writes the buffer
 * (DMA_BUF_SYNC_WRITE): asking for read access too would let an exporter
 * with its own bounce copies (udmabuf under swiotlb) copy a stale copy
 * over what the device placed.
 */
int __dmab_buf_cpu_begin(struct dmab_buf *b, bool cpu_writes)
{
	return cpu_sync(b, DMA_BUF_SYNC_START, cpu_writes);
}

int __dmab_buf_cpu_end(struct dmab_buf *b, bool cpu_writes)
{
	return cpu_sync(b, DMA_BUF_SYNC_END, cpu_writes);
}
