// SPDX-License-Identifier: GPL-2.0
/*
 * One blk-mq gendisk per active namespace: /dev/dmabridge<C>n<N>. Queue
 * limits come from the controller; commands for file system requests are
 * built here.
 */
#include <linux/blkdev.h>
#include <linux/slab.h>

#include "compat.h"
#include "dbr_io.h"
#include "dbr_nvme.h"

static inline u64 dbr_sect_to_lba(struct dbr_ns *ns, sector_t sector)
{
	return sector >> (ns->lba_shift - SECTOR_SHIFT);
}

static void dbr_setup_rw(struct dbr_ns *ns, struct request *req,
			 struct nvme_command *cmd)
{
	u16 control = 0;

	if (req->cmd_flags & REQ_FUA)
		control |= NVME_RW_FUA;
	cmd->rw.opcode = rq_data_dir(req) ? nvme_cmd_write : nvme_cmd_read;
	cmd->rw.nsid = cpu_to_le32(ns->nsid);
	cmd->rw.slba = cpu_to_le64(dbr_sect_to_lba(ns, blk_rq_pos(req)));
	cmd->rw.length =
		cpu_to_le16((blk_rq_bytes(req) >> ns->lba_shift) - 1);
	cmd->rw.control = cpu_to_le16(control);
}

static void dbr_setup_write_zeroes(struct dbr_ns *ns, struct request *req,
				   struct nvme_command *cmd)
{
	cmd->write_zeroes.opcode = nvme_cmd_write_zeroes;
	cmd->write_zeroes.nsid = cpu_to_le32(ns->nsid);
	cmd->write_zeroes.slba =
		cpu_to_le64(dbr_sect_to_lba(ns, blk_rq_pos(req)));
	cmd->write_zeroes.length =
		cpu_to_le16((blk_rq_bytes(req) >> ns->lba_shift) - 1);
}

/* Dataset Management: one range per discard bio, list from a DMA pool. */
static blk_status_t dbr_setup_discard(struct dbr_ns *ns, struct request *req,
				      struct nvme_command *cmd)
{
	struct dbr_ctrl *ctrl = ns->ctrl;
	struct dbr_iod *iod = dbr_iod(req);
	unsigned int segs = blk_rq_nr_discard_segments(req), n = 0;
	struct nvme_dsm_range *range;
	struct dma_pool *pool;
	struct bio *bio;

	if (segs > NVME_DSM_MAX_RANGES)
		return BLK_STS_IOERR;
	pool = segs * sizeof(*range) <= DBR_SMALL_POOL_SIZE ?
		ctrl->small_pool : ctrl->page_pool;
	range = dma_pool_alloc(pool, GFP_ATOMIC, &iod->dsm_dma);
	if (!range)
		return BLK_STS_RESOURCE;
	iod->dsm = range;

	__rq_for_each_bio(bio, req) {
		if (n == segs)
			return BLK_STS_IOERR;	/* freed by dbr_release_cmd */
		range[n].cattr = cpu_to_le32(0);
		range[n].nlb = cpu_to_le32(bio->bi_iter.bi_size >> ns->lba_shift);
		range[n].slba =
			cpu_to_le64(dbr_sect_to_lba(ns, bio->bi_iter.bi_sector));
		n++;
	}
	if (!n)
		return BLK_STS_IOERR;
	cmd->dsm.opcode = nvme_cmd_dsm;
	cmd->dsm.nsid = cpu_to_le32(ns->nsid);
	cmd->dsm.nr = cpu_to_le32(n - 1);
	cmd->dsm.attributes = cpu_to_le32(NVME_DSMGMT_AD);
	cmd->dsm.dptr.prp1 = cpu_to_le64(iod->dsm_dma);
	return BLK_STS_OK;
}

/**
 * dbr_setup_cmd() - build the NVMe command for a file system request
 * @ns: namespace
 * @req: request
 * @cmd: command to fill (the data pointer is set later)
 *
 * Resources taken here are released by dbr_release_cmd().
 */
blk_status_t dbr_setup_cmd(struct dbr_ns *ns, struct request *req,
			   struct nvme_command *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	switch (req_op(req)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		dbr_setup_rw(ns, req, cmd);
		return BLK_STS_OK;
	case REQ_OP_FLUSH:
		cmd->common.opcode = nvme_cmd_flush;
		cmd->common.nsid = cpu_to_le32(ns->nsid);
		return BLK_STS_OK;
	case REQ_OP_WRITE_ZEROES:
		dbr_setup_write_zeroes(ns, req, cmd);
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
		return dbr_setup_discard(ns, req, cmd);
	default:
		return BLK_STS_NOTSUPP;
	}
}

void dbr_release_cmd(struct dbr_ctrl *ctrl, struct request *req)
{
	struct dbr_iod *iod = dbr_iod(req);
	unsigned int segs;

	if (!iod->dsm)
		return;
	segs = blk_rq_nr_discard_segments(req);
	dma_pool_free(segs * sizeof(struct nvme_dsm_range) <= DBR_SMALL_POOL_SIZE ?
		      ctrl->small_pool : ctrl->page_pool, iod->dsm, iod->dsm_dma);
	iod->dsm = NULL;
}

/* ---- gendisk ------------------------------------------------------------ */

static int dbr_bdev_ioctl(struct block_device *bdev,
			  dbr_compat_blk_mode_t mode, unsigned int cmd,
			  unsigned long arg)
{
	return dbr_ns_ioctl(bdev->bd_disk->private_data, cmd,
			    (void __user *)arg);
}

static void dbr_free_disk(struct gendisk *disk)
{
	struct dbr_ns *ns = disk->private_data;

	put_device(&ns->ctrl->ctrl_dev);
	kfree(ns);
}

static const struct block_device_operations dbr_bdev_ops;

/**
 * dbr_disk_token_dev() - the controller behind a dmabridge disk
 * @disk: any gendisk
 *
 * Return: the controller's token device, or NULL if @disk is not ours. The
 * caller's reference to the disk (an open file on it or on a filesystem
 * mounted on it) keeps the controller structure alive.
 */
struct dbr_token_dev *dbr_disk_token_dev(struct gendisk *disk)
{
	struct dbr_ns *ns;

	if (disk->fops != &dbr_bdev_ops)
		return NULL;
	ns = disk->private_data;
	return &ns->ctrl->tdev;
}

static const struct block_device_operations dbr_bdev_ops = {
	.owner		= THIS_MODULE,
	.ioctl		= dbr_bdev_ioctl,
	.compat_ioctl	= blkdev_compat_ptr_ioctl,
	.free_disk	= dbr_free_disk,
};

static void dbr_ns_limits(struct dbr_ns *ns, struct dbr_compat_limits *lim)
{
	struct dbr_ctrl *ctrl = ns->ctrl;
	u32 lbs = 1U << ns->lba_shift;
	u64 max;

	lim->logical_block_size = lbs;
	lim->physical_block_size = lbs;
	lim->io_min = lbs;
	lim->max_hw_sectors = ctrl->max_hw_sectors;
	lim->max_segments = ctrl->max_segments;
	lim->max_segment_size = dma_get_max_seg_size(ctrl->dev);
	/* PRPs need page-shaped segments; SGLs take anything */
	lim->virt_boundary_mask = ctrl->sgl ? 0 : DBR_CTRL_PAGE_SIZE - 1;
	lim->dma_alignment = 3;
	lim->write_cache = ctrl->vwc;
	lim->fua = ctrl->vwc;

	if (ctrl->id.oncs & NVME_CTRL_ONCS_DSM) {
		max = UINT_MAX;
		if (ctrl->id.dmrsl)
			max = min_t(u64, max, (u64)ctrl->id.dmrsl <<
				    (ns->lba_shift - SECTOR_SHIFT));
		lim->max_discard_sectors = max;
		lim->max_discard_segments = NVME_DSM_MAX_RANGES;
		lim->discard_granularity = lbs;
	}
	if (ctrl->id.oncs & NVME_CTRL_ONCS_WRITE_ZEROES) {
		/* 16-bit 0's based block count per command */
		max = (u64)SZ_64K << (ns->lba_shift - SECTOR_SHIFT);
		if (ctrl->id.wzsl)
			max = min_t(u64, max, (u64)1 << (ctrl->id.wzsl +
				    DBR_CTRL_PAGE_SHIFT - SECTOR_SHIFT));
		else
			max = min_t(u64, max, ctrl->max_hw_sectors);
		lim->max_write_zeroes_sectors = max;
	}
}

/*
 * Namespace Identification Descriptors (NVMe 1.3+): the UUID, and an EUI-64
 * or NGUID that supersede Identify Namespace's. Optional: a controller that
 * fails the command or reports a malformed entry keeps what it gave so far.
 */
static void dbr_ns_read_descs(struct dbr_ns *ns)
{
	struct dbr_ctrl *ctrl = ns->ctrl;
	struct nvme_command c = { };
	struct nvme_ns_id_desc *cur;
	unsigned int pos, len;
	void *data;

	data = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	if (!data)
		return;
	c.identify.opcode = nvme_admin_identify;
	c.identify.nsid = cpu_to_le32(ns->nsid);
	c.identify.cns = NVME_ID_CNS_NS_DESC_LIST;
	if (dbr_submit_sync(ctrl->admin_q, &c, data, NVME_IDENTIFY_DATA_SIZE,
			    NULL))
		goto free;
	for (pos = 0; pos + sizeof(*cur) <= NVME_IDENTIFY_DATA_SIZE;
	     pos += len) {
		cur = data + pos;
		if (!cur->nidl)
			break;
		len = sizeof(*cur) + cur->nidl;
		if (pos + len > NVME_IDENTIFY_DATA_SIZE)
			break;
		switch (cur->nidt) {
		case NVME_NIDT_EUI64:
			if (cur->nidl != sizeof(ns->eui64))
				goto malformed;
			memcpy(ns->eui64, cur + 1, sizeof(ns->eui64));
			break;
		case NVME_NIDT_NGUID:
			if (cur->nidl != sizeof(ns->nguid))
				goto malformed;
			memcpy(ns->nguid, cur + 1, sizeof(ns->nguid));
			break;
		case NVME_NIDT_UUID:
			if (cur->nidl != sizeof(ns->uuid))
				goto malformed;
			memcpy(&ns->uuid, cur + 1, sizeof(ns->uuid));
			break;
		default:
			break;
		}
	}
	goto free;
malformed:
	dev_warn(ctrl->dev, "namespace %u: identifier type %u of length %u ignored\n",
		 ns->nsid, cur->nidt, cur->nidl);
free:
	kfree(data);
}

static void dbr_ns_read_ids(struct dbr_ns *ns, struct nvme_id_ns *id)
{
	u32 vs = ns->ctrl->vs;

	if (vs >= NVME_VS(1, 1, 0))
		memcpy(ns->eui64, id->eui64, sizeof(ns->eui64));
	if (vs >= NVME_VS(1, 2, 0))
		memcpy(ns->nguid, id->nguid, sizeof(ns->nguid));
	if (vs >= NVME_VS(1, 3, 0))
		dbr_ns_read_descs(ns);
}

static int dbr_ns_add(struct dbr_ctrl *ctrl, u32 nsid, struct nvme_id_ns *id)
{
	struct dbr_compat_limits lim = { };
	struct gendisk *disk;
	struct dbr_ns *ns;
	u8 lbaf;
	int ret;

	lbaf = nvme_lbaf_index(id->flbas);
	if (id->lbaf[lbaf].ms) {
		dev_warn(ctrl->dev, "namespace %u: metadata format not supported, skipped\n",
			 nsid);
		return 0;
	}
	if (id->lbaf[lbaf].ds < SECTOR_SHIFT || id->lbaf[lbaf].ds > PAGE_SHIFT) {
		dev_warn(ctrl->dev, "namespace %u: block size 2^%u not supported, skipped\n",
			 nsid, id->lbaf[lbaf].ds);
		return 0;
	}
	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	ns->ctrl = ctrl;
	ns->nsid = nsid;
	ns->lba_shift = id->lbaf[lbaf].ds;
	ns->nsze = le64_to_cpu(id->nsze);
	dbr_ns_read_ids(ns, id);
	dbr_ns_limits(ns, &lim);

	disk = dbr_compat_alloc_disk(&ctrl->io_set, &lim, ns);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto free_ns;
	}
	ns->disk = disk;
	disk->fops = &dbr_bdev_ops;
	disk->private_data = ns;
	snprintf(disk->disk_name, DISK_NAME_LEN, "dmabridge%dn%u",
		 ctrl->instance, nsid);
	set_capacity(disk, ns->nsze << (ns->lba_shift - SECTOR_SHIFT));

	/*
	 * Once device_add_disk() succeeded, the disk's release
	 * (dbr_free_disk()) frees ns and drops this reference; before, it
	 * does not (the block layer calls ->free_disk only for a disk that
	 * was added), so a failed device_add_disk() undoes both here.
	 */
	get_device(&ctrl->ctrl_dev);
	/*
	 * Listed before device_add_disk(): its partition scan does I/O, and a
	 * reset then must quiesce and cancel this disk's requests too.
	 */
	down_write(&ctrl->ns_rwsem);
	list_add_tail(&ns->list, &ctrl->namespaces);
	if (test_bit(DBR_F_IO_QUIESCED, &ctrl->flags))
		blk_mq_quiesce_queue(disk->queue);
	up_write(&ctrl->ns_rwsem);
	/*
	 * Under the controller's device, as the stock driver's disks are:
	 * /sys/block/<disk>/device is the controller, and the path from
	 * /sys/devices passes through its PCI function, where udev's ATTRS{},
	 * lsblk and blktests look for model, serial and the PCI address. The
	 * controller device is removed only after its disks (dbr_remove()).
	 */
	ret = device_add_disk(&ctrl->ctrl_dev, disk, dbr_ns_groups);
	if (ret)
		goto unlist;
	dev_info(ctrl->dev, "%s: %llu blocks of %u bytes\n", disk->disk_name,
		 ns->nsze, 1U << ns->lba_shift);
	return 0;

unlist:
	down_write(&ctrl->ns_rwsem);
	list_del(&ns->list);
	if (test_bit(DBR_F_IO_QUIESCED, &ctrl->flags))
		blk_mq_unquiesce_queue(disk->queue);
	up_write(&ctrl->ns_rwsem);
	put_disk(disk);
	put_device(&ctrl->ctrl_dev);
free_ns:
	kfree(ns);
	return ret;
}

static int dbr_ns_scan_one(struct dbr_ctrl *ctrl, u32 nsid,
			   struct nvme_id_ns *id)
{
	int ret;

	ret = dbr_identify_ns(ctrl, nsid, id);
	if (ret)
		return ret;
	if (!id->nsze)
		return 0;
	return dbr_ns_add(ctrl, nsid, id);
}

/**
 * dbr_ns_scan() - create a disk for every active namespace
 * @ctrl: live controller
 *
 * Uses the active namespace list (NVMe 1.1+), or walks 1..NN before that.
 */
int dbr_ns_scan(struct dbr_ctrl *ctrl)
{
	struct nvme_id_ns *id;
	__le32 *list;
	u32 i, nsid;
	int ret;

	list = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	id = kmalloc(sizeof(*id), GFP_KERNEL);
	ret = -ENOMEM;
	if (!list || !id)
		goto free;

	ret = ctrl->vs >= NVME_VS(1, 1, 0) ? dbr_identify_ns_list(ctrl, list) :
					       -EOPNOTSUPP;
	if (ret) {
		for (nsid = 1; nsid <= min(ctrl->id.nn, 1024U) && !ret; nsid++)
			ret = dbr_ns_scan_one(ctrl, nsid, id);
		goto free;
	}
	for (i = 0; i < NVME_IDENTIFY_DATA_SIZE / sizeof(*list); i++) {
		nsid = le32_to_cpu(list[i]);
		if (!nsid)
			break;
		ret = dbr_ns_scan_one(ctrl, nsid, id);
		if (ret)
			break;
	}
free:
	kfree(id);
	kfree(list);
	return ret;
}

/* Fail all new and queued I/O at once: the controller is gone. */
void dbr_ns_mark_dead(struct dbr_ctrl *ctrl)
{
	struct dbr_ns *ns;

	down_read(&ctrl->ns_rwsem);
	list_for_each_entry(ns, &ctrl->namespaces, list)
		blk_mark_disk_dead(ns->disk);
	up_read(&ctrl->ns_rwsem);
}

void dbr_ns_remove_all(struct dbr_ctrl *ctrl)
{
	struct dbr_ns *ns, *next;
	LIST_HEAD(list);

	down_write(&ctrl->ns_rwsem);
	list_splice_init(&ctrl->namespaces, &list);
	/* unlisted queues must not stay quiesced: del_gendisk drains them */
	if (test_bit(DBR_F_IO_QUIESCED, &ctrl->flags))
		list_for_each_entry(ns, &list, list)
			blk_mq_unquiesce_queue(ns->disk->queue);
	up_write(&ctrl->ns_rwsem);

	list_for_each_entry_safe(ns, next, &list, list) {
		list_del(&ns->list);
		del_gendisk(ns->disk);
		put_disk(ns->disk);
	}
}
