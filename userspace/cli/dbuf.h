/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * dma-bufs the command makes to read into: udmabuf (memfd pages), vgem
 * (a dumb buffer), vulkan (memory a Vulkan device exports, vk.c) and bar
 * (the test rig's page-less ivshmem BAR, through tests/kmod's test
 * exporter: present only in the rig). Each can be mapped by the CPU for
 * --verify, except where the exporter refuses.
 */
#ifndef DMABRIDGE_CLI_DBUF_H
#define DMABRIDGE_CLI_DBUF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum dbuf_kind { DBUF_UDMABUF, DBUF_VGEM, DBUF_VULKAN, DBUF_BAR, DBUF__COUNT };

extern const char *const dbuf_names[];	/* NULL-terminated */

struct vk_mem;

struct dbuf {
	enum dbuf_kind kind;
	int fd;			/* the dma-buf */
	int aux;		/* memfd, DRM card, exporter device */
	uint64_t size;
	void *map;		/* CPU mapping, once dbuf_map() succeeded */
	struct vk_mem *vk;
	char desc[96];		/* what it is, for people */
};

/* A fresh dma-buf of at least size bytes (rounded up as the exporter
 * needs). 0, or -errno with the reason in err. bar_offset: bar only. */
int dbuf_new(enum dbuf_kind kind, uint64_t size, uint64_t bar_offset,
	     struct dbuf *d, char *err, size_t errlen);
void dbuf_free(struct dbuf *d);
/* CPU mapping of the whole buffer (read/write): 0 or -errno */
int dbuf_map(struct dbuf *d);
/* DMA_BUF_IOCTL_SYNC around CPU access: start/end, read and/or write */
int dbuf_sync(struct dbuf *d, bool start, bool read, bool write);

/* udmabuf's per-buffer limit in bytes (its size_limit_mb), 0 unknown */
uint64_t dbuf_udmabuf_limit(void);
/* the path of the vgem card, or -ENODEV */
int dbuf_vgem_card(char *path, size_t len);

#endif
