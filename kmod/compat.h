/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel API differences between the supported kernels
 * (6.1 and 6.12 as shipped by Debian) are decided. Nothing else in kmod/
 * looks at LINUX_VERSION_CODE: it uses the DBR_HAVE_* switches and the
 * dbr_compat_* wrappers defined here.
 */
#ifndef DBR_COMPAT_H
#define DBR_COMPAT_H

#include <linux/version.h>
#include <linux/module.h>

/* class_create() lost its owner argument in v6.4. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define dbr_compat_class_create(name)	class_create(name)
#else
#define dbr_compat_class_create(name)	class_create(THIS_MODULE, name)
#endif

/*
 * Block queue limits. v6.9 passes a struct queue_limits to the allocation
 * (blk_mq_alloc_disk(set, lim, data), blk_mq_alloc_queue()); v6.1 allocates
 * first and then applies one blk_queue_* setter per limit. Callers describe
 * their limits once in struct dbr_compat_limits.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>

struct dbr_compat_limits {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int io_min;
	unsigned int max_hw_sectors;
	unsigned int max_segments;
	unsigned int max_segment_size;	/* ignored with a virt boundary */
	unsigned long virt_boundary_mask;
	unsigned int max_discard_sectors;
	unsigned int max_discard_segments;
	unsigned int discard_granularity;
	unsigned int max_write_zeroes_sectors;
	unsigned int dma_alignment;
	bool write_cache;
	bool fua;
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define DBR_HAVE_QUEUE_LIMITS_ALLOC 1

static inline void dbr_compat_fill_limits(struct queue_limits *lim,
					  const struct dbr_compat_limits *l)
{
	memset(lim, 0, sizeof(*lim));
	lim->logical_block_size = l->logical_block_size;
	lim->physical_block_size = l->physical_block_size;
	lim->io_min = l->io_min;
	lim->max_hw_sectors = l->max_hw_sectors;
	lim->max_segments = l->max_segments;
	lim->virt_boundary_mask = l->virt_boundary_mask;
	if (!l->virt_boundary_mask)
		lim->max_segment_size = l->max_segment_size;
	lim->max_hw_discard_sectors = l->max_discard_sectors;
	lim->max_discard_segments = l->max_discard_segments;
	lim->discard_granularity = l->discard_granularity;
	lim->max_write_zeroes_sectors = l->max_write_zeroes_sectors;
	lim->dma_alignment = l->dma_alignment;
#ifdef BLK_FEAT_WRITE_CACHE
	if (l->write_cache)
		lim->features |= BLK_FEAT_WRITE_CACHE;
	if (l->fua)
		lim->features |= BLK_FEAT_FUA;
#endif
}

static inline struct gendisk *
dbr_compat_alloc_disk(struct blk_mq_tag_set *set,
		      const struct dbr_compat_limits *l, void *data)
{
	struct queue_limits lim;
	struct gendisk *disk;

	dbr_compat_fill_limits(&lim, l);
	disk = blk_mq_alloc_disk(set, &lim, data);
#ifndef BLK_FEAT_WRITE_CACHE
	if (!IS_ERR(disk))
		blk_queue_write_cache(disk->queue, l->write_cache, l->fua);
#endif
	return disk;
}

static inline struct request_queue *
dbr_compat_alloc_queue(struct blk_mq_tag_set *set,
		       const struct dbr_compat_limits *l, void *data)
{
	struct queue_limits lim;

	dbr_compat_fill_limits(&lim, l);
	return blk_mq_alloc_queue(set, &lim, data);
}

#else /* < v6.9 */

static inline void dbr_compat_apply_limits(struct request_queue *q,
					   const struct dbr_compat_limits *l)
{
	if (l->logical_block_size)
		blk_queue_logical_block_size(q, l->logical_block_size);
	if (l->physical_block_size)
		blk_queue_physical_block_size(q, l->physical_block_size);
	if (l->io_min)
		blk_queue_io_min(q, l->io_min);
	if (l->max_hw_sectors)
		blk_queue_max_hw_sectors(q, l->max_hw_sectors);
	if (l->max_segments)
		blk_queue_max_segments(q, l->max_segments);
	if (l->virt_boundary_mask)
		blk_queue_virt_boundary(q, l->virt_boundary_mask);
	else if (l->max_segment_size)
		blk_queue_max_segment_size(q, l->max_segment_size);
	blk_queue_max_discard_sectors(q, l->max_discard_sectors);
	if (l->max_discard_segments)
		blk_queue_max_discard_segments(q, l->max_discard_segments);
	q->limits.discard_granularity = l->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, l->max_write_zeroes_sectors);
	if (l->dma_alignment)
		blk_queue_dma_alignment(q, l->dma_alignment);
	blk_queue_write_cache(q, l->write_cache, l->fua);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
}

static inline struct gendisk *
dbr_compat_alloc_disk(struct blk_mq_tag_set *set,
		      const struct dbr_compat_limits *l, void *data)
{
	struct gendisk *disk = blk_mq_alloc_disk(set, data);

	if (!IS_ERR(disk))
		dbr_compat_apply_limits(disk->queue, l);
	return disk;
}

static inline struct request_queue *
dbr_compat_alloc_queue(struct blk_mq_tag_set *set,
		       const struct dbr_compat_limits *l, void *data)
{
	struct request_queue *q = blk_mq_init_queue(set);

	if (!IS_ERR(q)) {
		q->queuedata = data;
		dbr_compat_apply_limits(q, l);
	}
	return q;
}
#endif

/*
 * block_device_operations.ioctl takes fmode_t before v6.5 and blk_mode_t
 * after; dmabridge only needs to know whether the opener may write.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
typedef blk_mode_t dbr_compat_blk_mode_t;
#else
typedef fmode_t dbr_compat_blk_mode_t;
#endif

#endif /* DBR_COMPAT_H */
