/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test-only ABI of dbr_test_exporter.ko (/dev/dbr_test_exporter): creates
 * dma-bufs of the shapes the token tests need. Never shipped.
 *
 * Counters in /sys/kernel/debug/dbr_test_exporter/ (one decimal number per
 * file, module-wide): buffers (live), attaches, detaches, maps, unmaps,
 * pins, unpins, moves. A test proves its attachments were released by
 * comparing attaches/detaches and maps/unmaps before and after.
 */
#ifndef DBR_TEST_EXPORTER_H
#define DBR_TEST_EXPORTER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DBR_TEXP_NAME		"dbr_test_exporter"
#define DBR_TEXP_IOC_MAGIC	0xDC

/* struct dbr_texp_create.shape */
#define DBR_TEXP_SHAPE_PAGES	1	/* system memory, chunked */
#define DBR_TEXP_SHAPE_BAR	2	/* ivshmem BAR2 window, page-less */

/* struct dbr_texp_create.flags */
/* pin/unpin ops: a dynamic exporter (mapped under the resv lock) */
#define DBR_TEXP_DYNAMIC	(1U << 0)
/* token chunk i is backed by memory chunk nr_chunks - 1 - i */
#define DBR_TEXP_REVERSE	(1U << 1)
/* export the fd O_RDONLY instead of O_RDWR */
#define DBR_TEXP_RDONLY		(1U << 2)
/* attach works, map_dma_buf fails (-ENXIO): no DMA path to the importer */
#define DBR_TEXP_NOMAP		(1U << 3)
#define DBR_TEXP_FLAGS_ALL	(DBR_TEXP_DYNAMIC | DBR_TEXP_REVERSE | \
				 DBR_TEXP_RDONLY | DBR_TEXP_NOMAP)

/**
 * struct dbr_texp_create - DBR_TEXP_IOC_CREATE
 * @shape: DBR_TEXP_SHAPE_*
 * @flags: DBR_TEXP_*
 * @chunk_pages: pages per chunk, a power of two. PAGES: each chunk is one
 *	separate physically contiguous allocation (one sg entry). BAR: each
 *	chunk is one dma_map_resource() (one sg entry).
 * @nr_chunks: chunks; the dma-buf is @nr_chunks * @chunk_pages pages
 * @bar_offset: BAR: byte offset of the window in BAR2, page aligned
 * @fd: out: the dma-buf, O_CLOEXEC
 * @reserved: must be 0
 *
 * PAGES buffers are zeroed, mmap-able and vmap-able. BAR buffers are
 * mmap-able (uncached); attaching one requires an importer that allows
 * peer-to-peer (EOPNOTSUPP otherwise).
 */
struct dbr_texp_create {
	__u32 shape;
	__u32 flags;
	__u32 chunk_pages;
	__u32 nr_chunks;
	__u64 bar_offset;
	__s32 fd;
	__u32 reserved;
};

/**
 * struct dbr_texp_move - DBR_TEXP_IOC_MOVE
 * @fd: a dma-buf of this exporter
 * @flags: must be 0
 *
 * Calls dma_buf_move_notify() under the reservation lock, as an exporter
 * does before moving the memory (the memory does not actually move).
 */
struct dbr_texp_move {
	__s32 fd;
	__u32 flags;
};

#define DBR_TEXP_IOC_CREATE	_IOWR(DBR_TEXP_IOC_MAGIC, 1, struct dbr_texp_create)
#define DBR_TEXP_IOC_MOVE	_IOWR(DBR_TEXP_IOC_MAGIC, 2, struct dbr_texp_move)

#ifndef __KERNEL__
_Static_assert(sizeof(struct dbr_texp_create) == 32, "dbr_texp_create size");
_Static_assert(sizeof(struct dbr_texp_move) == 8, "dbr_texp_move size");
#endif

#endif /* DBR_TEST_EXPORTER_H */
