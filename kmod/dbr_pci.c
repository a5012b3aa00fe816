// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI driver: probe, remove, shutdown and interrupt vectors.
 *
 * dmabridge binds only on request. The id_table is empty, so the only way
 * in is driver_override (the PCI core then matches any device), and probe
 * refuses anything that is not an NVMe controller.
 */
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "dbr.h"
#include "dbr_nvme.h"

static DEFINE_IDA(dbr_instance_ida);

/* ---- controller object -------------------------------------------------- */

static void dbr_ctrl_release(struct device *dev)
{
	struct dbr_ctrl *ctrl = container_of(dev, struct dbr_ctrl, ctrl_dev);

	if (ctrl->admin_q)
		blk_put_queue(ctrl->admin_q);
	kfree(ctrl->queues);
	dbr_token_dev_exit(&ctrl->tdev);
	dbr_stats_exit(&ctrl->stats);
	ida_free(&dbr_instance_ida, ctrl->instance);
	pci_dev_put(ctrl->pdev);
	kfree(ctrl);
}

static struct dbr_ctrl *dbr_ctrl_alloc(struct pci_dev *pdev)
{
	unsigned int nr_queues;
	struct dbr_ctrl *ctrl;

	ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	if (!ctrl)
		return NULL;
	ctrl->instance = ida_alloc_max(&dbr_instance_ida, DBR_CTRL_MINORS - 1,
				       GFP_KERNEL);
	if (ctrl->instance < 0)
		goto free_ctrl;
	nr_queues = num_possible_cpus();
	if (dbr_max_io_queues)
		nr_queues = min(nr_queues, dbr_max_io_queues);
	ctrl->max_qid = nr_queues;
	ctrl->queues = kcalloc(nr_queues + 1, sizeof(*ctrl->queues), GFP_KERNEL);
	if (!ctrl->queues)
		goto free_instance;
	if (dbr_stats_init(&ctrl->stats))
		goto free_queues;
	if (dbr_token_dev_init(&ctrl->tdev, &pdev->dev, &ctrl->stats))
		goto exit_stats;

	ctrl->pdev = pci_dev_get(pdev);
	ctrl->dev = &pdev->dev;
	ctrl->state = DBR_NEW;
	spin_lock_init(&ctrl->lock);
	mutex_init(&ctrl->shutdown_lock);
	init_rwsem(&ctrl->ns_rwsem);
	INIT_LIST_HEAD(&ctrl->namespaces);
	INIT_WORK(&ctrl->reset_work, dbr_reset_work);

	/* From here on the device's release frees everything above. */
	device_initialize(&ctrl->ctrl_dev);
	ctrl->ctrl_dev.release = dbr_ctrl_release;
	ctrl->ctrl_dev.parent = &pdev->dev;
	ctrl->ctrl_dev.groups = dbr_ctrl_groups;
	dev_set_drvdata(&ctrl->ctrl_dev, ctrl);
	return ctrl;

exit_stats:
	dbr_stats_exit(&ctrl->stats);
free_queues:
	kfree(ctrl->queues);
free_instance:
	ida_free(&dbr_instance_ida, ctrl->instance);
free_ctrl:
	kfree(ctrl);
	return NULL;
}

/* ---- PCI resources ------------------------------------------------------ */

static int dbr_pci_map(struct dbr_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;
	int ret;

	ret = pci_enable_device_mem(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(ctrl->dev, DMA_BIT_MASK(64));
	if (ret)
		goto disable_device;
	dma_set_max_seg_size(ctrl->dev, 0xffffffff);
	/*
	 * Bounce buffers (swiotlb) must keep the offset into the controller
	 * page, or page-shaped segments stop being PRP-shaped once mapped.
	 */
	dma_set_min_align_mask(ctrl->dev, DBR_CTRL_PAGE_SIZE - 1);
	ret = pci_request_mem_regions(pdev, DBR_DRV_NAME);
	if (ret)
		goto disable_device;
	ctrl->bar = pci_iomap(pdev, 0, 0);
	if (!ctrl->bar) {
		ret = -ENOMEM;
		goto release_regions;
	}
	ctrl->dbs = ctrl->bar + NVME_REG_DBS;
	return 0;

release_regions:
	pci_release_mem_regions(pdev);
disable_device:
	pci_disable_device(pdev);
	return ret;
}

static void dbr_pci_unmap(struct dbr_ctrl *ctrl)
{
	pci_iounmap(ctrl->pdev, ctrl->bar);
	pci_release_mem_regions(ctrl->pdev);
	pci_disable_device(ctrl->pdev);
}

/* CAP and VS: page size, doorbell stride, queue depth, ready timeout. */
static int dbr_read_cap(struct dbr_ctrl *ctrl)
{
	unsigned long bar_len = pci_resource_len(ctrl->pdev, 0);

	ctrl->cap = lo_hi_readq(ctrl->bar + NVME_REG_CAP);
	ctrl->vs = dbr_readl(ctrl, NVME_REG_VS);
	if (ctrl->cap == ~0ULL)
		return -ENODEV;
	if (NVME_CAP_MPSMIN(ctrl->cap) > DBR_CTRL_PAGE_SHIFT - 12) {
		dev_err(ctrl->dev, "minimum page size %u too large\n",
			1U << (NVME_CAP_MPSMIN(ctrl->cap) + 12));
		return -ENODEV;
	}
	if (!(NVME_CAP_CSS(ctrl->cap) & NVME_CAP_CSS_NVM)) {
		dev_err(ctrl->dev, "NVM command set not supported\n");
		return -ENODEV;
	}
	ctrl->db_stride = 1U << NVME_CAP_STRIDE(ctrl->cap);
	ctrl->q_depth = min_t(u32, NVME_CAP_MQES(ctrl->cap) + 1,
			      dbr_io_queue_depth);
	ctrl->ready_timeout = (NVME_CAP_TIMEOUT(ctrl->cap) + 1) * HZ / 2;
	if (NVME_REG_DBS + (ctrl->max_qid + 1) * 8 * ctrl->db_stride > bar_len)
		ctrl->max_qid = (bar_len - NVME_REG_DBS) / (8 * ctrl->db_stride) - 1;
	return 0;
}

/*
 * Vector 0 serves the admin queue, vectors 1..n one I/O queue each, spread
 * over the CPUs. With a single vector everything shares it.
 */
static int dbr_setup_irqs(struct dbr_ctrl *ctrl, unsigned int nr_io)
{
	struct irq_affinity affd = { .pre_vectors = 1 };
	struct pci_dev *pdev = ctrl->pdev;
	unsigned int i;
	int ret;

	dbr_queue_suspend(&ctrl->queues[0]);
	pci_free_irq_vectors(pdev);
	ret = pci_alloc_irq_vectors_affinity(pdev, 2, nr_io + 1,
					     PCI_IRQ_MSIX | PCI_IRQ_MSI |
					     PCI_IRQ_AFFINITY, &affd);
	if (ret < 0)
		ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (ret < 0)
		return ret;
	ctrl->nr_vecs = ret;
	ctrl->nr_io_queues = ret > 1 ? min_t(unsigned int, ret - 1, nr_io) : 1;
	for (i = 1; i <= ctrl->nr_io_queues; i++)
		ctrl->queues[i].cq_vector = ctrl->nr_vecs > 1 ? i : 0;

	ret = dbr_queue_request_irq(&ctrl->queues[0]);
	if (ret)
		return ret;
	set_bit(DBR_Q_ENABLED, &ctrl->queues[0].flags);
	return 0;
}

/* ---- bring-up ----------------------------------------------------------- */

/* Limits and features from Identify Controller. */
static void dbr_ctrl_limits(struct dbr_ctrl *ctrl)
{
	u64 max = (u64)DBR_MAX_SEGS * DBR_CTRL_PAGE_SIZE;

	if (ctrl->id.mdts)
		max = min_t(u64, max, (u64)DBR_CTRL_PAGE_SIZE << ctrl->id.mdts);
	/* swiotlb and friends bound a single mapping */
	max = min_t(u64, max, dma_max_mapping_size(ctrl->dev));
	ctrl->max_hw_sectors = max >> SECTOR_SHIFT;
	ctrl->max_segments = DBR_MAX_SEGS;
	ctrl->sgl = dbr_use_sgl_param && (ctrl->id.sgls & 0x3);
	ctrl->vwc = ctrl->id.vwc & NVME_CTRL_VWC_PRESENT;
	atomic_set(&ctrl->abort_limit, ctrl->id.acl + 1);
}

static int dbr_setup_io_queues(struct dbr_ctrl *ctrl)
{
	unsigned int nr = ctrl->max_qid, i;
	int ret;

	ret = dbr_set_queue_count(ctrl, &nr);
	if (ret)
		return ret > 0 ? -EIO : ret;
	ret = dbr_setup_irqs(ctrl, nr);
	if (ret)
		return ret;
	for (i = 1; i <= ctrl->nr_io_queues; i++) {
		ret = dbr_queue_alloc(ctrl, i, ctrl->q_depth);
		if (ret)
			return ret;
	}
	ret = dbr_ctrl_create_io_queues(ctrl);
	if (ret < 0)
		return ret;
	ctrl->nr_io_queues = ret;
	return 0;
}

static void dbr_free_queues(struct dbr_ctrl *ctrl)
{
	int i;

	for (i = ctrl->max_qid; i >= 0; i--)
		dbr_queue_free(ctrl, i);
}

/*
 * Everything up to a live controller with I/O queues. Undone by
 * dbr_ctrl_disable(shutdown) + dbr_ctrl_teardown().
 */
static int dbr_ctrl_bringup(struct dbr_ctrl *ctrl)
{
	int ret;

	ret = dbr_read_cap(ctrl);
	if (ret)
		return ret;
	ret = dbr_queue_alloc(ctrl, 0, DBR_AQ_DEPTH);
	if (ret)
		return ret;
	ret = pci_alloc_irq_vectors(ctrl->pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (ret < 0)
		return ret;
	ctrl->nr_vecs = 1;
	ret = dbr_alloc_admin_tagset(ctrl);
	if (ret)
		return ret;
	ret = dbr_ctrl_enable_admin(ctrl);
	if (ret)
		return ret;
	ret = dbr_identify_ctrl(ctrl);
	if (ret)
		return ret > 0 ? -EIO : ret;
	dbr_ctrl_limits(ctrl);
	dbr_dbbuf_alloc(ctrl);
	ret = dbr_setup_io_queues(ctrl);
	if (ret)
		return ret;
	dbr_dbbuf_set(ctrl);
	return dbr_alloc_io_tagset(ctrl);
}

static void dbr_ctrl_teardown(struct dbr_ctrl *ctrl)
{
	dbr_free_io_tagset(ctrl);
	if (ctrl->admin_q)
		dbr_free_admin_tagset(ctrl);
	pci_free_irq_vectors(ctrl->pdev);
	dbr_dbbuf_free(ctrl);
	dbr_free_queues(ctrl);
}

static bool dbr_pci_is_nvme(struct pci_dev *pdev)
{
	return pdev->class == PCI_CLASS_STORAGE_EXPRESS;
}

static int dbr_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct dbr_ctrl *ctrl;
	int ret;

	if (!dbr_pci_is_nvme(pdev)) {
		dev_info(&pdev->dev, "dmabridge: refusing %s: class 0x%06x is not NVMe\n",
			 pci_name(pdev), pdev->class);
		return -ENODEV;
	}
	ctrl = dbr_ctrl_alloc(pdev);
	if (!ctrl)
		return -ENOMEM;
	pci_set_drvdata(pdev, ctrl);

	ret = dbr_pci_map(ctrl);
	if (ret)
		goto put_ctrl;
	ret = dbr_pools_create(ctrl);
	if (ret)
		goto unmap;
	ret = dbr_ctrl_bringup(ctrl);
	if (ret)
		goto disable_ctrl;
	if (!dbr_ctrl_set_state(ctrl, DBR_LIVE)) {
		ret = -ENODEV;
		goto disable_ctrl;
	}
	ret = dbr_pt_add(ctrl);
	if (ret)
		goto disable_ctrl;
	dbr_debugfs_add(ctrl);
	dev_info(ctrl->dev, "dmabridge: taking controller %s (%s)\n",
		 pci_name(pdev), ctrl->id.model);
	dev_info(ctrl->dev, "dmabridge%d: %u I/O queues, depth %u, %u vectors, max %u KiB, %s, %s doorbells\n",
		 ctrl->instance, ctrl->nr_io_queues, ctrl->q_depth,
		 ctrl->nr_vecs, ctrl->max_hw_sectors / 2,
		 ctrl->sgl ? "SGLs" : "PRPs only",
		 ctrl->shadow_db ? "shadow" : "MMIO");
	ret = dbr_ns_scan(ctrl);
	if (ret)
		goto remove_ns;
	return 0;

remove_ns:
	dbr_ctrl_set_state(ctrl, DBR_DELETING);
	dbr_ns_remove_all(ctrl);
	dbr_token_dev_shutdown(&ctrl->tdev);
	dbr_debugfs_del(ctrl);
	dbr_pt_del(ctrl);
disable_ctrl:
	dev_err(&pdev->dev, "dmabridge: not taking controller %s: error %d\n",
		pci_name(pdev), ret);
	dbr_ctrl_set_state(ctrl, DBR_DEAD);
	dbr_ctrl_disable(ctrl, true);
	dbr_ctrl_teardown(ctrl);
	dbr_pools_destroy(ctrl);
unmap:
	dbr_pci_unmap(ctrl);
put_ctrl:
	pci_set_drvdata(pdev, NULL);
	put_device(&ctrl->ctrl_dev);
	return ret;
}

static void dbr_remove(struct pci_dev *pdev)
{
	struct dbr_ctrl *ctrl = pci_get_drvdata(pdev);

	dbr_ctrl_set_state(ctrl, DBR_DELETING);
	/* new token requests fail with ENODEV; the ones in flight go on */
	dbr_token_dev_kill(&ctrl->tdev);
	flush_work(&ctrl->reset_work);
	if (!pci_device_is_present(pdev)) {
		/* surprise removal: fail everything before deleting disks */
		dbr_ctrl_set_state(ctrl, DBR_DEAD);
		dbr_ctrl_disable(ctrl, true);
		dbr_ns_mark_dead(ctrl);
	}
	dbr_debugfs_del(ctrl);
	/* the disks are children of the controller device: they go first */
	dbr_ns_remove_all(ctrl);
	dbr_pt_del(ctrl);
	/*
	 * Disks gone, their I/O completed or failed: wait for the token
	 * requests still holding the controller, then release every token
	 * attachment.
	 */
	dbr_token_dev_shutdown(&ctrl->tdev);
	dbr_ctrl_set_state(ctrl, DBR_DEAD);
	dbr_ctrl_disable(ctrl, true);
	dbr_ctrl_teardown(ctrl);
	dbr_pools_destroy(ctrl);
	dbr_pci_unmap(ctrl);
	dev_info(&pdev->dev, "dmabridge: released controller %s\n",
		 pci_name(pdev));
	pci_set_drvdata(pdev, NULL);
	put_device(&ctrl->ctrl_dev);
}

/* Reboot / kexec: orderly shutdown so the controller flushes its cache. */
static void dbr_shutdown(struct pci_dev *pdev)
{
	struct dbr_ctrl *ctrl = pci_get_drvdata(pdev);

	dbr_ctrl_set_state(ctrl, DBR_DELETING);
	flush_work(&ctrl->reset_work);
	dbr_ctrl_disable(ctrl, true);
}

/*
 * No entries: binding happens only through driver_override, for which the
 * PCI core matches any device (pci_device_id_any).
 */
static const struct pci_device_id dbr_pci_ids[] = {
	{ 0, }
};

static struct pci_driver dbr_pci_driver = {
	.name		= DBR_DRV_NAME,
	.id_table	= dbr_pci_ids,
	.probe		= dbr_probe,
	.remove		= dbr_remove,
	.shutdown	= dbr_shutdown,
};

int dbr_pci_init(void)
{
	int ret;

	dbr_sysfs_init();
	ret = dbr_pt_init();
	if (ret)
		return ret;
	dbr_debugfs_init();
	ret = pci_register_driver(&dbr_pci_driver);
	if (ret) {
		dbr_debugfs_exit();
		dbr_pt_exit();
	}
	return ret;
}

void dbr_pci_exit(void)
{
	pci_unregister_driver(&dbr_pci_driver);
	dbr_debugfs_exit();
	dbr_pt_exit();
}
