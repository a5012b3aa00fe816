// SPDX-License-Identifier: GPL-2.0
/*
 * Controller registers, enable/disable/shutdown, the state machine,
 * cancellation and the reset work.
 */
#include <linux/delay.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/jiffies.h>

#include "dbr_nvme.h"

#define DBR_SHUTDOWN_TIMEOUT	(10 * HZ)

u32 dbr_readl(struct dbr_ctrl *ctrl, u32 off)
{
	return readl(ctrl->bar + off);
}

enum dbr_state dbr_ctrl_state(struct dbr_ctrl *ctrl)
{
	return READ_ONCE(ctrl->state);
}

static bool dbr_state_allowed(enum dbr_state old, enum dbr_state new)
{
	switch (new) {
	case DBR_LIVE:
		return old == DBR_NEW || old == DBR_RESETTING;
	case DBR_RESETTING:
		return old == DBR_LIVE;
	case DBR_DELETING:
		return old != DBR_DEAD && old != DBR_DELETING;
	case DBR_DEAD:
		return old != DBR_DEAD;
	default:
		return false;
	}
}

/**
 * dbr_ctrl_set_state() - move the controller to @new_state if allowed
 * @ctrl: controller
 * @new_state: target state
 *
 * Return: true if the state changed.
 */
bool dbr_ctrl_set_state(struct dbr_ctrl *ctrl, enum dbr_state new_state)
{
	unsigned long flags;
	bool changed;

	spin_lock_irqsave(&ctrl->lock, flags);
	changed = dbr_state_allowed(ctrl->state, new_state);
	if (changed)
		WRITE_ONCE(ctrl->state, new_state);
	spin_unlock_irqrestore(&ctrl->lock, flags);
	return changed;
}

/* ---- registers ---------------------------------------------------------- */

static int dbr_wait_csts(struct dbr_ctrl *ctrl, u32 mask, u32 val,
			 unsigned long timeout, const char *what)
{
	unsigned long deadline = jiffies + timeout;
	u32 csts;

	for (;;) {
		csts = dbr_readl(ctrl, NVME_REG_CSTS);
		if (csts == ~0U)
			return -ENODEV;
		if ((csts & mask) == val)
			return 0;
		if (time_after(jiffies, deadline)) {
			dev_err(ctrl->dev, "timeout waiting for %s (csts 0x%x)\n",
				what, csts);
			return -ETIMEDOUT;
		}
		usleep_range(1000, 2000);
	}
}

static int dbr_ctrl_disable_regs(struct dbr_ctrl *ctrl)
{
	ctrl->ctrl_config &= ~(NVME_CC_SHN_MASK | NVME_CC_ENABLE);
	writel(ctrl->ctrl_config, ctrl->bar + NVME_REG_CC);
	return dbr_wait_csts(ctrl, NVME_CSTS_RDY, 0, ctrl->ready_timeout,
			     "controller disable");
}

static int dbr_ctrl_shutdown_regs(struct dbr_ctrl *ctrl)
{
	ctrl->ctrl_config &= ~NVME_CC_SHN_MASK;
	ctrl->ctrl_config |= NVME_CC_SHN_NORMAL;
	writel(ctrl->ctrl_config, ctrl->bar + NVME_REG_CC);
	return dbr_wait_csts(ctrl, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_CMPLT,
			     DBR_SHUTDOWN_TIMEOUT, "shutdown");
}

static int dbr_ctrl_enable_regs(struct dbr_ctrl *ctrl)
{
	struct dbr_queue *aq = &ctrl->queues[0];
	u32 aqa = (aq->q_depth - 1) | ((aq->q_depth - 1) << 16);
	int ret;

	/* A controller left enabled (by firmware, a crash, kexec) first. */
	if (dbr_readl(ctrl, NVME_REG_CC) & NVME_CC_ENABLE) {
		ctrl->ctrl_config = dbr_readl(ctrl, NVME_REG_CC);
		ret = dbr_ctrl_disable_regs(ctrl);
		if (ret)
			return ret;
	}
	writel(aqa, ctrl->bar + NVME_REG_AQA);
	lo_hi_writeq(aq->sq_dma, ctrl->bar + NVME_REG_ASQ);
	lo_hi_writeq(aq->cq_dma, ctrl->bar + NVME_REG_ACQ);

	ctrl->ctrl_config = NVME_CC_CSS_NVM |
		((DBR_CTRL_PAGE_SHIFT - 12) << NVME_CC_MPS_SHIFT) |
		NVME_CC_AMS_RR | NVME_CC_SHN_NONE |
		NVME_CC_IOSQES | NVME_CC_IOCQES | NVME_CC_ENABLE;
	writel(ctrl->ctrl_config, ctrl->bar + NVME_REG_CC);
	return dbr_wait_csts(ctrl, NVME_CSTS_RDY, NVME_CSTS_RDY,
			     ctrl->ready_timeout, "controller ready");
}

/* ---- quiesce and cancel ------------------------------------------------- */

/*
 * The flag and the walk are atomic against dbr_ns_add() (which takes the
 * rwsem for writing), so every listed queue is quiesced exactly once.
 */
void dbr_quiesce_io(struct dbr_ctrl *ctrl)
{
	struct dbr_ns *ns;

	down_read(&ctrl->ns_rwsem);
	if (!test_and_set_bit(DBR_F_IO_QUIESCED, &ctrl->flags))
		list_for_each_entry(ns, &ctrl->namespaces, list)
			blk_mq_quiesce_queue(ns->disk->queue);
	up_read(&ctrl->ns_rwsem);
}

void dbr_unquiesce_io(struct dbr_ctrl *ctrl)
{
	struct dbr_ns *ns;

	down_read(&ctrl->ns_rwsem);
	if (test_and_clear_bit(DBR_F_IO_QUIESCED, &ctrl->flags))
		list_for_each_entry(ns, &ctrl->namespaces, list)
			blk_mq_unquiesce_queue(ns->disk->queue);
	up_read(&ctrl->ns_rwsem);
}

static void dbr_quiesce_admin(struct dbr_ctrl *ctrl)
{
	if (!test_and_set_bit(DBR_F_ADMIN_QUIESCED, &ctrl->flags))
		blk_mq_quiesce_queue(ctrl->admin_q);
}

static void dbr_unquiesce_admin(struct dbr_ctrl *ctrl)
{
	if (test_and_clear_bit(DBR_F_ADMIN_QUIESCED, &ctrl->flags))
		blk_mq_unquiesce_queue(ctrl->admin_q);
}

static bool dbr_cancel_rq(struct request *req, void *data)
{
	struct dbr_iod *iod = dbr_iod(req);

	/* completed or idle requests are left alone */
	if (blk_mq_rq_state(req) != MQ_RQ_IN_FLIGHT)
		return true;
	iod->status = NVME_SC_HOST_ABORTED_CMD;
	iod->cancelled = true;
	blk_mq_complete_request(req);
	return true;
}

/* Complete every in-flight request; the hardware must be stopped. */
void dbr_cancel_all(struct dbr_ctrl *ctrl)
{
	if (ctrl->io_set_ready) {
		blk_mq_tagset_busy_iter(&ctrl->io_set, dbr_cancel_rq, ctrl);
		blk_mq_tagset_wait_completed_request(&ctrl->io_set);
	}
	if (ctrl->admin_q) {
		blk_mq_tagset_busy_iter(&ctrl->admin_set, dbr_cancel_rq, ctrl);
		blk_mq_tagset_wait_completed_request(&ctrl->admin_set);
	}
}

/* ---- enable / disable --------------------------------------------------- */

static bool dbr_ctrl_is_dead(struct dbr_ctrl *ctrl)
{
	u32 csts;

	if (!pci_device_is_present(ctrl->pdev))
		return true;
	csts = dbr_readl(ctrl, NVME_REG_CSTS);
	return csts == ~0U || (csts & NVME_CSTS_CFS) || !(csts & NVME_CSTS_RDY);
}

/**
 * dbr_ctrl_disable() - stop the controller and complete all requests
 * @ctrl: controller
 * @shutdown: orderly shutdown (CC.SHN) and leave the queues failing fast,
 *	instead of a disable that a reset follows
 *
 * Requests cancelled here are retried after a reset if they are file
 * system I/O; everything else fails.
 */
void dbr_ctrl_disable(struct dbr_ctrl *ctrl, bool shutdown)
{
	unsigned int i;

	mutex_lock(&ctrl->shutdown_lock);
	dbr_quiesce_io(ctrl);
	if (!dbr_ctrl_is_dead(ctrl)) {
		if (shutdown)
			dbr_ctrl_shutdown_regs(ctrl);
		else
			dbr_ctrl_disable_regs(ctrl);
	}
	for (i = ctrl->nr_io_queues; i > 0; i--)
		dbr_queue_suspend(&ctrl->queues[i]);
	if (ctrl->queues && test_bit(DBR_Q_ENABLED, &ctrl->queues[0].flags)) {
		dbr_quiesce_admin(ctrl);
		dbr_queue_suspend(&ctrl->queues[0]);
	}
	for (i = 0; i <= ctrl->nr_io_queues && ctrl->queues; i++)
		dbr_queue_reap(&ctrl->queues[i]);
	dbr_cancel_all(ctrl);
	if (shutdown) {
		dbr_unquiesce_io(ctrl);
		if (ctrl->admin_q && !blk_queue_dying(ctrl->admin_q))
			dbr_unquiesce_admin(ctrl);
	}
	mutex_unlock(&ctrl->shutdown_lock);
}

/**
 * dbr_ctrl_enable_admin() - program and enable the controller, admin queue on
 * @ctrl: disabled controller with admin queue memory and vector 0
 */
int dbr_ctrl_enable_admin(struct dbr_ctrl *ctrl)
{
	struct dbr_queue *aq = &ctrl->queues[0];
	int ret;

	mutex_lock(&ctrl->shutdown_lock);
	dbr_queue_init(aq);
	ret = dbr_ctrl_enable_regs(ctrl);
	if (ret)
		goto unlock;
	ret = dbr_queue_request_irq(aq);
	if (ret)
		goto disable_regs;
	set_bit(DBR_Q_ENABLED, &aq->flags);
	dbr_unquiesce_admin(ctrl);
	mutex_unlock(&ctrl->shutdown_lock);
	return 0;

disable_regs:
	dbr_ctrl_disable_regs(ctrl);
unlock:
	mutex_unlock(&ctrl->shutdown_lock);
	return ret;
}

/**
 * dbr_ctrl_create_io_queues() - create I/O queue pairs 1..@ctrl->nr_io_queues
 * @ctrl: controller with a live admin queue and queue memory
 *
 * Return: number of queues created (may be fewer than asked), or -errno if
 * not even one could be.
 */
int dbr_ctrl_create_io_queues(struct dbr_ctrl *ctrl)
{
	unsigned int i;
	int ret = 0;

	for (i = 1; i <= ctrl->nr_io_queues; i++) {
		ret = dbr_create_queue(ctrl, &ctrl->queues[i]);
		if (ret)
			break;
	}
	if (i == 1)
		return ret > 0 ? -EIO : ret;
	return i - 1;
}

/* ---- reset -------------------------------------------------------------- */

bool dbr_ctrl_schedule_reset(struct dbr_ctrl *ctrl)
{
	if (!dbr_ctrl_set_state(ctrl, DBR_RESETTING))
		return false;
	queue_work(system_unbound_wq, &ctrl->reset_work);
	return true;
}

/* Bring a disabled controller back with the same queues. */
static int dbr_ctrl_restart(struct dbr_ctrl *ctrl)
{
	unsigned int nr = ctrl->nr_io_queues;
	int ret;

	/*
	 * Bus mastering may have been turned off under us (a guest's setpci,
	 * a PCI error); without it the controller reaches no queue. The
	 * stock driver sets it again on every reset too.
	 */
	pci_set_master(ctrl->pdev);
	ret = dbr_ctrl_enable_admin(ctrl);
	if (ret)
		return ret;
	ret = dbr_set_queue_count(ctrl, &nr);
	if (ret)
		return ret > 0 ? -EIO : ret;
	if (nr != ctrl->nr_io_queues)
		return -EIO;
	/* the disabled controller forgot the shadow doorbells */
	dbr_dbbuf_alloc(ctrl);
	ret = dbr_ctrl_create_io_queues(ctrl);
	if (ret < 0)
		return ret;
	if (ret != ctrl->nr_io_queues)
		return -EIO;
	dbr_dbbuf_set(ctrl);
	return 0;
}

void dbr_reset_work(struct work_struct *work)
{
	struct dbr_ctrl *ctrl = container_of(work, struct dbr_ctrl, reset_work);
	int ret;

	if (dbr_ctrl_state(ctrl) != DBR_RESETTING)
		return;
	dev_warn(ctrl->dev, "resetting controller\n");
	dbr_ctrl_disable(ctrl, false);
	ret = dbr_ctrl_restart(ctrl);
	if (ret)
		goto fail;
	if (!dbr_ctrl_set_state(ctrl, DBR_LIVE)) {
		ret = -ENODEV;
		goto fail;
	}
	dbr_unquiesce_io(ctrl);
	dev_info(ctrl->dev, "controller reset done\n");
	return;

fail:
	dev_err(ctrl->dev, "reset failed (%d): controller disabled\n", ret);
	dbr_ctrl_set_state(ctrl, DBR_DEAD);
	dbr_ctrl_disable(ctrl, true);
	dbr_ns_mark_dead(ctrl);
}

/**
 * dbr_ctrl_reset_sync() - reset the controller and wait for the outcome
 * @ctrl: controller
 *
 * Return: 0 when the controller is live again, else -errno.
 */
int dbr_ctrl_reset_sync(struct dbr_ctrl *ctrl)
{
	if (!dbr_ctrl_schedule_reset(ctrl))
		return -EBUSY;
	flush_work(&ctrl->reset_work);
	return dbr_ctrl_state(ctrl) == DBR_LIVE ? 0 : -ENODEV;
}
