/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel API differences between the supported kernels
 * (6.1, 6.12 and 7.3 as shipped by Debian) are adapted to. kmod/compat.mk
 * detects what the kernel offers (DBR_PROBED_* from its headers,
 * DBR_KERNEL_* for behaviour no header shows); nothing else in kmod/ looks
 * at either, or at the kernel's version: it uses the dbr_compat_* wrappers
 * defined here.
 */
#ifndef DBR_COMPAT_H
#define DBR_COMPAT_H

#include <linux/fs.h>
#include <linux/module.h>

/* class_create() lost its owner argument in v6.4. */
#ifdef DBR_PROBED_CLASS_CREATE_NAME
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

#ifdef DBR_PROBED_QUEUE_LIMITS_ALLOC

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
#ifdef DBR_PROBED_BLK_MODE_T
#define dbr_compat_blk_mode_t	blk_mode_t
#else
#define dbr_compat_blk_mode_t	fmode_t
#endif

/*
 * dma-buf (tokens and the test exporter). Both kernels already require a
 * dynamic importer to hold the reservation lock around
 * dma_buf_map_attachment()/dma_buf_unmap_attachment() and to call
 * dma_buf_detach() without it, so those need no wrapper. What differs:
 * dma_buf_vmap() takes the dma-buf's own mutex in 6.1 and wants the
 * reservation lock held from v6.2, where dma_buf_vmap_unlocked() appeared.
 */
#ifdef DBR_PROBED_DMA_BUF_VMAP_UNLOCKED
#define dbr_compat_dma_buf_vmap_unlocked	dma_buf_vmap_unlocked
#define dbr_compat_dma_buf_vunmap_unlocked	dma_buf_vunmap_unlocked
#else
#define dbr_compat_dma_buf_vmap_unlocked	dma_buf_vmap
#define dbr_compat_dma_buf_vunmap_unlocked	dma_buf_vunmap
#endif

/* vma->vm_flags became read-only behind vm_flags_set() in v6.3. */
#ifdef DBR_PROBED_VM_FLAGS_SET
#define dbr_compat_vm_flags_set(vma, flags)	vm_flags_set(vma, flags)
#else
#define dbr_compat_vm_flags_set(vma, flags)	((vma)->vm_flags |= (flags))
#endif

/*
 * Freeze protection of a direct-I/O write: vfs_iocb_iter_write() takes it
 * itself (kiocb_start_write) since v6.6 and releases it only if the write
 * did not go asynchronous; otherwise the kiocb's completion must call
 * dbr_compat_iocb_end_write(). Before v6.6 the caller takes it; the same
 * is done here, as io_uring does, so both hold it until the write
 * completes.
 */
#ifdef DBR_KERNEL_VFS_WRITE_FREEZE
#define dbr_compat_iocb_iter_write(file, iocb, iter) \
	vfs_iocb_iter_write(file, iocb, iter)
#define dbr_compat_iocb_end_write(iocb)	kiocb_end_write(iocb)
#else
static inline void dbr_compat_iocb_end_write(struct kiocb *iocb)
{
	struct inode *inode = file_inode(iocb->ki_filp);

	if (!S_ISREG(inode->i_mode))
		return;
	/* lockdep: inherited from the submitting task */
	__sb_writers_acquired(inode->i_sb, SB_FREEZE_WRITE);
	sb_end_write(inode->i_sb);
}

static inline ssize_t dbr_compat_iocb_iter_write(struct file *file,
						 struct kiocb *iocb,
						 struct iov_iter *iter)
{
	struct inode *inode = file_inode(file);
	ssize_t ret;

	if (S_ISREG(inode->i_mode)) {
		sb_start_write(inode->i_sb);
		/* held past the return to userspace when it goes async */
		__sb_writers_release(inode->i_sb, SB_FREEZE_WRITE);
	}
	ret = vfs_iocb_iter_write(file, iocb, iter);
	if (ret != -EIOCBQUEUED)
		dbr_compat_iocb_end_write(iocb);
	return ret;
}
#endif

/*
 * IOCB_ALLOC_CACHE: the block layer takes the direct-I/O bios of an async
 * kiocb from its per-CPU bio cache instead of the mempool. From v6.2 a bio
 * completed in hard-IRQ context goes back to the cache too (io_uring sets
 * the flag on every read and write since); v6.1 warns unless the last put
 * is in task context, which only polled I/O guarantees.
 */
#ifdef DBR_KERNEL_BIO_CACHE_IRQ
#define DBR_COMPAT_IOCB_ALLOC_CACHE	IOCB_ALLOC_CACHE
#else
#define DBR_COMPAT_IOCB_ALLOC_CACHE	0
#endif

/*
 * The uring_cmd API moved to <linux/io_uring/cmd.h> in v6.7, and the
 * command bytes are reached through the SQE instead of ->cmd.
 */
#ifdef DBR_PROBED_IO_URING_CMD_H
#include <linux/io_uring/cmd.h>
#ifdef DBR_PROBED_SQE128_CMD
#define dbr_compat_uring_cmd_payload(ucmd, type) \
	io_uring_sqe128_cmd((ucmd)->sqe, type)
#else
#define dbr_compat_uring_cmd_payload(ucmd, type) \
	((const type *)io_uring_sqe_cmd((ucmd)->sqe))
#endif
#else
#include <linux/io_uring.h>
#define dbr_compat_uring_cmd_payload(ucmd, type)	((const type *)(ucmd)->cmd)
#endif

/*
 * Task work of a uring_cmd (io_uring_cmd_complete_in_task()). Callbacks are
 * written as void fn(struct io_uring_cmd *, unsigned int issue_flags);
 * DBR_COMPAT_URING_TW(fn), placed after fn, defines the callback the
 * kernel takes, dbr_compat_uring_tw(fn). Once the kernel passes a struct
 * io_tw_req, it finds the command and passes the issue flags task work
 * runs with.
 */
#ifdef DBR_PROBED_URING_TW_REQ
#define DBR_COMPAT_URING_TW(fn)						\
static void fn##_tw(struct io_tw_req tw_req, io_tw_token_t tw)		\
{									\
	fn(io_uring_cmd_from_tw(tw_req), IO_URING_CMD_TASK_WORK_ISSUE_FLAGS); \
}
#else
#define DBR_COMPAT_URING_TW(fn)						\
static void fn##_tw(struct io_uring_cmd *ucmd, unsigned int issue_flags) \
{									\
	fn(ucmd, issue_flags);						\
}
#endif
#define dbr_compat_uring_tw(fn)		fn##_tw

/*
 * Complete a uring_cmd with a result and a second word (big_cqe[0] on a
 * CQE32 ring): one call with the issue flags from v6.3 (Debian's 6.1 has
 * it), io_uring_cmd_done32() from v6.18.
 */
static inline void dbr_compat_uring_cmd_done(struct io_uring_cmd *ucmd,
					     ssize_t ret, u64 res2,
					     unsigned int issue_flags)
{
#if defined(DBR_PROBED_URING_CMD_DONE32)
	io_uring_cmd_done32(ucmd, ret, res2, issue_flags);
#elif defined(DBR_PROBED_URING_CMD_DONE_NOFLAGS)
	io_uring_cmd_done(ucmd, ret, res2);
#else
	io_uring_cmd_done(ucmd, ret, res2, issue_flags);
#endif
}

/*
 * Passthrough requests: blk_rq_map_kern() and blk_rq_map_sg() lost their
 * queue argument (v6.16, v6.15); end_io callbacks gained the completion
 * batch, which dmabridge's do not use: they are written as
 * enum rq_end_io_ret fn(struct request *, blk_status_t), and
 * DBR_COMPAT_END_IO(fn), placed after fn, defines the callback the kernel
 * takes, dbr_compat_end_io(fn).
 */
static inline int dbr_compat_blk_rq_map_kern(struct request *req, void *buf,
					     unsigned int len, gfp_t gfp)
{
#ifdef DBR_PROBED_RQ_MAP_KERN_NOQ
	return blk_rq_map_kern(req, buf, len, gfp);
#else
	return blk_rq_map_kern(req->q, req, buf, len, gfp);
#endif
}

static inline int dbr_compat_blk_rq_map_sg(struct request *req,
					   struct scatterlist *sg)
{
#ifdef DBR_PROBED_RQ_MAP_SG_NOQ
	return blk_rq_map_sg(req, sg);
#else
	return blk_rq_map_sg(req->q, req, sg);
#endif
}

#ifdef DBR_PROBED_END_IO_BATCH
#define DBR_COMPAT_END_IO(fn)						\
static enum rq_end_io_ret fn##_end_io(struct request *req,		\
				      blk_status_t status,		\
				      const struct io_comp_batch *iob)	\
{									\
	return fn(req, status);						\
}
#else
#define DBR_COMPAT_END_IO(fn)						\
static enum rq_end_io_ret fn##_end_io(struct request *req,		\
				      blk_status_t status)		\
{									\
	return fn(req, status);						\
}
#endif
#define dbr_compat_end_io(fn)		fn##_end_io

/* Tag set flags: bio merging was opt-in (BLK_MQ_F_SHOULD_MERGE) before v6.14. */
#ifdef DBR_PROBED_BLK_MQ_F_SHOULD_MERGE
#define DBR_COMPAT_BLK_MQ_F_SHOULD_MERGE	BLK_MQ_F_SHOULD_MERGE
#else
#define DBR_COMPAT_BLK_MQ_F_SHOULD_MERGE	0
#endif

/*
 * Spread the I/O queues over the PCI device's interrupt vectors, the first
 * @offset vectors left out: blk_mq_pci_map_queues() until
 * <linux/blk-mq-pci.h> went (v6.15), then blk_mq_map_hw_queues().
 */
#ifdef DBR_PROBED_BLK_MQ_PCI
#include <linux/blk-mq-pci.h>
#define dbr_compat_map_pci_queues(map, pdev, offset) \
	blk_mq_pci_map_queues(map, pdev, offset)
#else
#define dbr_compat_map_pci_queues(map, pdev, offset) \
	blk_mq_map_hw_queues(map, &(pdev)->dev, offset)
#endif

/*
 * A dynamic importer's invalidation callback in struct dma_buf_attach_ops:
 * move_notify, renamed invalidate_mappings in 2026 (used as the member's
 * name: .dbr_compat_invalidate_mappings = fn), and the exporter's call that
 * invokes it, dma_buf_move_notify(), renamed with it.
 */
#ifdef DBR_PROBED_INVALIDATE_MAPPINGS
#define dbr_compat_invalidate_mappings	invalidate_mappings
#define dbr_compat_dma_buf_invalidate_mappings	dma_buf_invalidate_mappings
#else
#define dbr_compat_invalidate_mappings	move_notify
#define dbr_compat_dma_buf_invalidate_mappings	dma_buf_move_notify
#endif

/* Symbol namespaces: a string literal since v6.13, a bare word before. */
#ifdef DBR_PROBED_IMPORT_NS_STRING
#define DBR_COMPAT_NS_DMA_BUF	"DMA_BUF"
#else
#define DBR_COMPAT_NS_DMA_BUF	DMA_BUF
#endif

/* Bytes of the current bvec a bvec_iter is past (bi_bvec_done, now bi_offset). */
#include <linux/bvec.h>
static inline unsigned int dbr_compat_bvec_iter_done(const struct bvec_iter *iter)
{
#ifdef DBR_PROBED_BI_BVEC_DONE
	return iter->bi_bvec_done;
#else
	return iter->bi_offset;
#endif
}

/*
 * Ordinary multi-segment requests, mapped without a scatterlist where the
 * block layer can (blk_rq_dma_map_iter_start/next(), the p2pdma map type
 * handed back to blk_rq_dma_unmap(): 7.x): the mapped segments go straight
 * into the caller's array, in one pass, and behind an IOMMU the whole
 * request becomes one IOVA range. Elsewhere dbr_compat_rq_dma_map() declines
 * and the caller uses blk_rq_map_sg() + dma_map_sg().
 *
 * struct dbr_compat_rq_dma keeps what unmapping needs: @nr segments of
 * @len bytes in all were mapped (0: none), @state and @map are the block
 * layer's IOVA state and p2pdma mapping type. The segments themselves stay
 * in the caller's array for blk_rq_dma_unmap() returning false.
 */
#include <linux/dma-mapping.h>
#include "dbr_sgl.h"
#ifdef DBR_PROBED_BLK_RQ_DMA_ITER
#include <linux/blk-mq-dma.h>

struct dbr_compat_rq_dma {
	size_t len;
	unsigned int nr;
	struct dma_iova_state state;
	enum pci_p2pdma_map_type map;
};

static inline void dbr_compat_rq_dma_unmap_segs(struct request *req,
						struct device *dev,
						const struct dbr_compat_rq_dma *d,
						const struct dbr_seg *segs,
						unsigned int nr)
{
	unsigned long attrs = 0;
	unsigned int i;

	if (d->map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		attrs |= DMA_ATTR_MMIO;
	for (i = 0; i < nr; i++)
		dma_unmap_phys(dev, segs[i].addr, segs[i].len, rq_dma_dir(req),
			       attrs);
}

/**
 * dbr_compat_rq_dma_unmap() - undo dbr_compat_rq_dma_map()
 * @req: the request
 * @dev: the device it was mapped for
 * @d: what was mapped; reset to nothing mapped
 * @segs: the segments dbr_compat_rq_dma_map() filled in
 *
 * Return: false if dbr_compat_rq_dma_map() mapped nothing (the request was
 * not mapped here, or declined).
 */
static inline bool dbr_compat_rq_dma_unmap(struct request *req,
					   struct device *dev,
					   struct dbr_compat_rq_dma *d,
					   const struct dbr_seg *segs)
{
	if (!d->nr)
		return false;
	if (!blk_rq_dma_unmap(req, dev, &d->state, d->len, d->map))
		dbr_compat_rq_dma_unmap_segs(req, dev, d, segs, d->nr);
	d->nr = 0;
	d->len = 0;
	return true;
}

/**
 * dbr_compat_rq_dma_map() - map @req's data into an array of segments
 * @req: request with data
 * @dev: the device that does the DMA
 * @d: what was mapped, for dbr_compat_rq_dma_unmap(); nothing mapped on entry
 * @segs: room for @max + 1 segments
 * @max: the most segments the caller takes
 * @sts: BLK_STS_OK, or why the request was not mapped (then nothing is)
 *
 * Return: false if the kernel has no such mapping (nothing done, @sts
 * untouched), true if @sts tells the result.
 */
static inline bool dbr_compat_rq_dma_map(struct request *req,
					 struct device *dev,
					 struct dbr_compat_rq_dma *d,
					 struct dbr_seg *segs, unsigned int max,
					 blk_status_t *sts)
{
	struct blk_dma_iter iter;

	memset(&d->state, 0, sizeof(d->state));
	if (!blk_rq_dma_map_iter_start(req, dev, &d->state, &iter)) {
		/* start leaves nothing mapped when it fails */
		*sts = iter.status;
		return true;
	}
	d->map = iter.p2pdma.map;
	do {
		/* recorded before the check: the extra one is mapped too */
		segs[d->nr].addr = iter.addr;
		segs[d->nr].len = iter.len;
		d->nr++;
		d->len += iter.len;
		if (d->nr > max) {
			iter.status = BLK_STS_IOERR;
			break;
		}
	} while (blk_rq_dma_map_iter_next(req, dev, &iter));
	*sts = iter.status;
	if (*sts)
		dbr_compat_rq_dma_unmap(req, dev, d, segs);
	return true;
}

#else

struct dbr_compat_rq_dma {
	size_t len;
	unsigned int nr;
};

static inline bool dbr_compat_rq_dma_map(struct request *req,
					 struct device *dev,
					 struct dbr_compat_rq_dma *d,
					 struct dbr_seg *segs, unsigned int max,
					 blk_status_t *sts)
{
	return false;
}

static inline bool dbr_compat_rq_dma_unmap(struct request *req,
					   struct device *dev,
					   struct dbr_compat_rq_dma *d,
					   const struct dbr_seg *segs)
{
	return false;
}

#endif

/* The Do Not Retry bit of an NVMe status, named NVME_SC_DNR before v6.11. */
#include <linux/nvme.h>
#ifndef DBR_PROBED_NVME_STATUS_DNR
#define NVME_STATUS_DNR		NVME_SC_DNR
#endif

/*
 * blk_mq_ops.queue_rqs' list. v6.13 (and Debian's 6.12, from the stable
 * series) pass a struct rq_list {head, tail}; v6.1 a bare head of requests
 * chained by rq_next. Drivers work on a struct dbr_rqs either way.
 */
struct dbr_rqs {
	struct request *head;
	struct request *tail;
};

#ifdef DBR_PROBED_RQ_LIST
#define dbr_compat_rqs_arg	struct rq_list
static inline void dbr_compat_rqs_take(struct rq_list *arg, struct dbr_rqs *l)
{
	l->head = arg->head;
	l->tail = arg->tail;
	arg->head = NULL;
	arg->tail = NULL;
}

static inline void dbr_compat_rqs_give(struct rq_list *arg, struct dbr_rqs *l)
{
	arg->head = l->head;
	arg->tail = l->tail;
}
#else
#define dbr_compat_rqs_arg	struct request *
static inline void dbr_compat_rqs_take(struct request **arg, struct dbr_rqs *l)
{
	l->head = *arg;
	l->tail = NULL;
	*arg = NULL;
}

static inline void dbr_compat_rqs_give(struct request **arg, struct dbr_rqs *l)
{
	*arg = l->head;
}
#endif

/*
 * v6.1's plugged batches reach queue_rqs without tags->rqs[] pointing at
 * their requests (nvme-pci set it itself there); later kernels set it in
 * blk_mq_start_request(). The completion path looks requests up by tag.
 */
#ifdef DBR_PROBED_RQ_LIST
static inline void dbr_compat_rq_batch_tag(struct request *req)
{
}
#else
static inline void dbr_compat_rq_batch_tag(struct request *req)
{
	req->mq_hctx->tags->rqs[req->tag] = req;
}
#endif

/*
 * Bytes of the swiotlb pool @dev's streaming mappings bounce through, 0 if
 * none. The DMA API has no call for it; is_swiotlb_force_bounce() reads
 * the same structure.
 */
#include <linux/swiotlb.h>
static inline u64 dbr_compat_bounce_pool_bytes(struct device *dev)
{
#ifdef CONFIG_SWIOTLB
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem ? (u64)mem->nslabs << IO_TLB_SHIFT : 0;
#else
	return 0;
#endif
}

/*
 * Whether a file's data lives on the filesystem's realtime device (xfs),
 * not on sb->s_bdev. The inode attributes lost their struct's name in
 * v6.17 (struct fileattr -> struct file_kattr); the flag is the same.
 */
#include <linux/fileattr.h>
#ifdef DBR_PROBED_FILE_KATTR
#define dbr_compat_fileattr	file_kattr
#else
#define dbr_compat_fileattr	fileattr
#endif

static inline bool dbr_compat_file_realtime(struct file *file)
{
	struct dbr_compat_fileattr fa = { };

	if (vfs_fileattr_get(file->f_path.dentry, &fa))
		return false;
	return fa.fsx_xflags & FS_XFLAG_REALTIME;
}

#endif /* DBR_COMPAT_H */
