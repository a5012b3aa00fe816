// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pairs: memory, doorbells, interrupts, submission, completion and
 * the blk-mq operations of the admin and I/O tag sets.
 */
#include <linux/interrupt.h>
#include <linux/io.h>

#include "compat.h"
#include "dbr_nvme.h"

static void *dbr_dma_zalloc(struct dbr_ctrl *ctrl, size_t size, dma_addr_t *dma)
{
	return dma_alloc_coherent(ctrl->dev, size, dma, GFP_KERNEL);
}

int dbr_queue_alloc(struct dbr_ctrl *ctrl, u16 qid, u32 depth)
{
	struct dbr_queue *q = &ctrl->queues[qid];

	if (q->cqes) {
		/* kept over a reset; the depth never changes */
		return 0;
	}
	q->cqes = dbr_dma_zalloc(ctrl, depth * sizeof(struct nvme_completion),
				 &q->cq_dma);
	if (!q->cqes)
		return -ENOMEM;
	q->sq_cmds = dbr_dma_zalloc(ctrl, depth * sizeof(struct nvme_command),
				    &q->sq_dma);
	if (!q->sq_cmds)
		goto free_cqes;
	q->ctrl = ctrl;
	q->qid = qid;
	q->q_depth = depth;
	q->cq_phase = 1;	/* the zeroed ring holds no completions */
	q->q_db = &ctrl->dbs[qid * 2 * ctrl->db_stride];
	spin_lock_init(&q->sq_lock);
	spin_lock_init(&q->cq_lock);
	return 0;

free_cqes:
	dma_free_coherent(ctrl->dev, depth * sizeof(struct nvme_completion),
			  q->cqes, q->cq_dma);
	q->cqes = NULL;
	return -ENOMEM;
}

void dbr_queue_free(struct dbr_ctrl *ctrl, u16 qid)
{
	struct dbr_queue *q = &ctrl->queues[qid];

	if (!q->cqes)
		return;
	dma_free_coherent(ctrl->dev, q->q_depth * sizeof(struct nvme_completion),
			  q->cqes, q->cq_dma);
	dma_free_coherent(ctrl->dev, q->q_depth * sizeof(struct nvme_command),
			  q->sq_cmds, q->sq_dma);
	q->cqes = NULL;
	q->sq_cmds = NULL;
}

/* ---- shadow doorbells (Doorbell Buffer Config) ------------------------- */

/*
 * With shadow doorbells the driver writes the SQ tail and CQ head into host
 * memory the controller reads, and rings the MMIO doorbell only when the
 * controller asks for it through the event index: under emulation (QEMU)
 * each MMIO write is a costly exit. Only the I/O queues use them, as in
 * nvme-pci; the admin queue always rings MMIO doorbells.
 */

/**
 * dbr_dbbuf_alloc() - allocate (or, after a reset, clear) the shadow buffers
 * @ctrl: controller whose Identify data is known
 *
 * Failing is not an error: the queues then keep using MMIO doorbells.
 */
void dbr_dbbuf_alloc(struct dbr_ctrl *ctrl)
{
	size_t size = (ctrl->max_qid + 1) * 8 * ctrl->db_stride;

	ctrl->shadow_db = false;
	if (!dbr_shadow_doorbell || !(ctrl->id.oacs & NVME_CTRL_OACS_DBBUF_SUPP))
		return;
	if (ctrl->dbbuf_dbs) {
		/* no stale values from before the reset */
		memset(ctrl->dbbuf_dbs, 0, ctrl->dbbuf_size);
		memset(ctrl->dbbuf_eis, 0, ctrl->dbbuf_size);
		return;
	}
	ctrl->dbbuf_dbs = dma_alloc_coherent(ctrl->dev, size,
					     &ctrl->dbbuf_dbs_dma, GFP_KERNEL);
	if (!ctrl->dbbuf_dbs)
		goto fail;
	ctrl->dbbuf_eis = dma_alloc_coherent(ctrl->dev, size,
					     &ctrl->dbbuf_eis_dma, GFP_KERNEL);
	if (!ctrl->dbbuf_eis)
		goto free_dbs;
	ctrl->dbbuf_size = size;
	return;

free_dbs:
	dma_free_coherent(ctrl->dev, size, ctrl->dbbuf_dbs, ctrl->dbbuf_dbs_dma);
	ctrl->dbbuf_dbs = NULL;
fail:
	dev_warn(ctrl->dev, "no memory for shadow doorbells, using MMIO doorbells\n");
}

static void dbr_dbbuf_queue_clear(struct dbr_queue *q)
{
	q->dbbuf_sq_db = NULL;
	q->dbbuf_cq_db = NULL;
	q->dbbuf_sq_ei = NULL;
	q->dbbuf_cq_ei = NULL;
}

/**
 * dbr_dbbuf_free() - stop using shadow doorbells and free the buffers
 * @ctrl: controller; its I/O queues are not in use (not yet created, or
 *	the controller is disabled)
 */
void dbr_dbbuf_free(struct dbr_ctrl *ctrl)
{
	unsigned int i;

	ctrl->shadow_db = false;
	for (i = 1; i <= ctrl->max_qid && ctrl->queues; i++)
		dbr_dbbuf_queue_clear(&ctrl->queues[i]);
	if (!ctrl->dbbuf_dbs)
		return;
	dma_free_coherent(ctrl->dev, ctrl->dbbuf_size, ctrl->dbbuf_dbs,
			  ctrl->dbbuf_dbs_dma);
	dma_free_coherent(ctrl->dev, ctrl->dbbuf_size, ctrl->dbbuf_eis,
			  ctrl->dbbuf_eis_dma);
	ctrl->dbbuf_dbs = NULL;
	ctrl->dbbuf_eis = NULL;
}

/* Point an I/O queue at its shadow slots: same layout as the doorbells. */
static void dbr_dbbuf_queue_init(struct dbr_queue *q)
{
	struct dbr_ctrl *ctrl = q->ctrl;
	u32 sq_idx = q->qid * 2 * ctrl->db_stride;
	u32 cq_idx = sq_idx + ctrl->db_stride;

	if (!q->qid || !ctrl->dbbuf_dbs) {
		dbr_dbbuf_queue_clear(q);
		return;
	}
	q->dbbuf_sq_db = &ctrl->dbbuf_dbs[sq_idx];
	q->dbbuf_cq_db = &ctrl->dbbuf_dbs[cq_idx];
	q->dbbuf_sq_ei = &ctrl->dbbuf_eis[sq_idx];
	q->dbbuf_cq_ei = &ctrl->dbbuf_eis[cq_idx];
}

/**
 * dbr_dbbuf_set() - hand the shadow buffers to the controller
 * @ctrl: controller whose I/O queues are created but not yet started
 *
 * Called after every (re)creation of the I/O queues: disabling the
 * controller forgets the buffers. If the command fails, the buffers are
 * freed and the queues go back to MMIO doorbells.
 */
void dbr_dbbuf_set(struct dbr_ctrl *ctrl)
{
	int ret;

	if (!ctrl->dbbuf_dbs)
		return;
	ret = dbr_dbbuf_config(ctrl, ctrl->dbbuf_dbs_dma, ctrl->dbbuf_eis_dma);
	if (ret) {
		dev_warn(ctrl->dev,
			 "Doorbell Buffer Config failed (%d), using MMIO doorbells\n",
			 ret);
		dbr_dbbuf_free(ctrl);
		return;
	}
	ctrl->shadow_db = true;
}

/* Event index check of the NVMe spec (and virtio): did we pass it? */
static inline bool dbr_dbbuf_need_event(u16 event_idx, u16 new_idx, u16 old)
{
	return (u16)(new_idx - event_idx - 1) < (u16)(new_idx - old);
}

/**
 * dbr_dbbuf_update_and_check_event() - write a shadow doorbell
 * @value: new SQ tail or CQ head
 * @dbbuf_db: the queue's shadow doorbell, NULL without shadow doorbells
 * @dbbuf_ei: the matching event index
 *
 * Return: true if the MMIO doorbell must be written as well.
 */
static bool dbr_dbbuf_update_and_check_event(u16 value, __le32 *dbbuf_db,
					     __le32 *dbbuf_ei)
{
	u16 old_value, event_idx;

	if (!dbbuf_db)
		return true;
	/* the SQ entries (or the consumed CQ entries) before the doorbell */
	wmb();
	old_value = le32_to_cpu(*dbbuf_db);
	WRITE_ONCE(*dbbuf_db, cpu_to_le32(value));
	/*
	 * The doorbell is updated before the event index is read; the
	 * controller orders its event index update before reading the
	 * doorbell the same way.
	 */
	mb();
	/* written by the controller at any time */
	event_idx = le32_to_cpu(READ_ONCE(*dbbuf_ei));
	return dbr_dbbuf_need_event(event_idx, value, old_value);
}

/* Reset the ring state before (re)creating the queue on the controller. */
void dbr_queue_init(struct dbr_queue *q)
{
	q->sq_tail = 0;
	q->last_sq_tail = 0;
	q->cq_head = 0;
	q->cq_phase = 1;
	memset(q->cqes, 0, q->q_depth * sizeof(struct nvme_completion));
	dbr_dbbuf_queue_init(q);
	wmb(); /* the cleared ring is visible before the controller uses it */
}

static inline bool dbr_cqe_pending(struct dbr_queue *q)
{
	struct nvme_completion *cqe = &q->cqes[q->cq_head];

	return (le16_to_cpu(READ_ONCE(cqe->status)) & 1) == q->cq_phase;
}

static struct blk_mq_tags *dbr_queue_tags(struct dbr_queue *q)
{
	if (!q->qid)
		return q->ctrl->admin_set.tags[0];
	return q->ctrl->io_set.tags[q->qid - 1];
}

static void dbr_complete_batch(struct io_comp_batch *iob)
{
	struct request *req;

	rq_list_for_each(&iob->req_list, req) {
		struct dbr_queue *q = req->mq_hctx->driver_data;

		dbr_unmap_data(q->ctrl, req);
		dbr_release_cmd(q->ctrl, req);
	}
	blk_mq_end_request_batch(iob);
}

static void dbr_handle_cqe(struct dbr_queue *q, struct io_comp_batch *iob,
			   u16 idx)
{
	struct nvme_completion *cqe = &q->cqes[idx];
	u16 cid = READ_ONCE(cqe->command_id);
	u16 tag = cid & DBR_CID_TAG_MASK;
	struct dbr_iod *iod;
	struct request *req;

	req = NULL;
	if (tag < q->q_depth)
		req = blk_mq_tag_to_rq(dbr_queue_tags(q), tag);
	if (unlikely(!req || dbr_cid(req) != cid)) {
		dev_warn_ratelimited(q->ctrl->dev,
				     "invalid command id %#x completed on queue %u (tag %u is at %#x)\n",
				     cid, q->qid, tag, req ? dbr_cid(req) : 0);
		return;
	}
	if (unlikely(READ_ONCE(q->ctrl->drop_completions)) && q->qid &&
	    dbr_debugfs_drop_completion(q->ctrl)) {
		dev_warn(q->ctrl->dev,
			 "tag %u qid %u: completion dropped (debugfs drop_completions)\n",
			 tag, q->qid);
		return;
	}
	iod = dbr_iod(req);
	iod->status = le16_to_cpu(cqe->status) >> 1;
	iod->result = cqe->result;
	if (blk_mq_complete_request_remote(req))
		return;
	/* successful file system I/O ends in one batch per interrupt */
	if (dbr_is_passthrough(req) ||
	    !blk_mq_add_to_batch(req, iob, iod->status != 0, dbr_complete_batch))
		req->q->mq_ops->complete(req);
}

static void dbr_update_cq_head(struct dbr_queue *q)
{
	u32 next = q->cq_head + 1;

	if (next == q->q_depth) {
		q->cq_head = 0;
		q->cq_phase ^= 1;
	} else {
		q->cq_head = next;
	}
}

/* Caller holds cq_lock; @iob may be NULL (no batching). */
static int dbr_process_cq(struct dbr_queue *q, struct io_comp_batch *iob)
{
	int found = 0;

	while (dbr_cqe_pending(q)) {
		found++;
		/* the phase bit is read before the rest of the entry */
		dma_rmb();
		dbr_handle_cqe(q, iob, q->cq_head);
		dbr_update_cq_head(q);
	}
	if (found && dbr_dbbuf_update_and_check_event(q->cq_head, q->dbbuf_cq_db,
						      q->dbbuf_cq_ei))
		writel(q->cq_head, q->q_db + q->ctrl->db_stride);
	return found;
}

static irqreturn_t dbr_irq(int irq, void *data)
{
	struct dbr_queue *q = data;
	irqreturn_t ret = IRQ_NONE;
	DEFINE_IO_COMP_BATCH(iob);

	spin_lock(&q->cq_lock);
	if (dbr_process_cq(q, &iob))
		ret = IRQ_HANDLED;
	spin_unlock(&q->cq_lock);
	if (iob.complete)
		iob.complete(&iob);
	return ret;
}

int dbr_queue_request_irq(struct dbr_queue *q)
{
	struct pci_dev *pdev = q->ctrl->pdev;

	return pci_request_irq(pdev, q->cq_vector, dbr_irq, NULL, q,
			       "dmabridge%dq%d", q->ctrl->instance, q->qid);
}

/* Stop using a queue: no new submissions, no interrupt. */
void dbr_queue_suspend(struct dbr_queue *q)
{
	if (!test_and_clear_bit(DBR_Q_ENABLED, &q->flags))
		return;
	/* queue_rq observes the cleared bit before we free the irq */
	smp_mb__after_atomic();
	pci_free_irq(q->ctrl->pdev, q->cq_vector, q);
}

/* Last chance for natural completions before requests are cancelled. */
void dbr_queue_reap(struct dbr_queue *q)
{
	if (!q->cqes)
		return;
	spin_lock_irq(&q->cq_lock);
	dbr_process_cq(q, NULL);
	spin_unlock_irq(&q->cq_lock);
}

/* Caller holds sq_lock. */
static void dbr_ring_sq(struct dbr_queue *q)
{
	if (q->sq_tail == q->last_sq_tail)
		return;
	if (dbr_dbbuf_update_and_check_event(q->sq_tail, q->dbbuf_sq_db,
					     q->dbbuf_sq_ei))
		writel(q->sq_tail, q->q_db);
	q->last_sq_tail = q->sq_tail;
}

/* Caller holds sq_lock. */
static void dbr_sq_copy_cmd(struct dbr_queue *q, struct nvme_command *cmd)
{
	memcpy(&q->sq_cmds[q->sq_tail], cmd, sizeof(*cmd));
	if (++q->sq_tail == q->q_depth)
		q->sq_tail = 0;
}

static void dbr_submit_cmd(struct dbr_queue *q, struct nvme_command *cmd,
			   bool last)
{
	spin_lock(&q->sq_lock);
	dbr_sq_copy_cmd(q, cmd);
	if (last)
		dbr_ring_sq(q);
	spin_unlock(&q->sq_lock);
}

static void dbr_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct dbr_queue *q = hctx->driver_data;

	spin_lock(&q->sq_lock);
	dbr_ring_sq(q);
	spin_unlock(&q->sq_lock);
}

static void dbr_iod_reset(struct request *req)
{
	struct dbr_iod *iod = dbr_iod(req);

	/* a requeued request keeps its retry count */
	if (!(req->rq_flags & RQF_DONTPREP)) {
		iod->retries = 0;
		req->rq_flags |= RQF_DONTPREP;
	}
	iod->status = 0;
	iod->cancelled = false;
	iod->aborted = false;
	iod->dsm = NULL;
	iod->data.nr_sg = 0;
	iod->data.nents = 0;
	iod->data.single.len = 0;
	iod->data.dma.nr = 0;
	iod->data.dma.len = 0;
	dbr_desc_pages_init(&iod->data.pages);
}

/* Discard ranges are built by dbr_setup_cmd(), not mapped as data. */
static bool dbr_rq_has_data(struct request *req)
{
	return blk_rq_nr_phys_segments(req) && req_op(req) != REQ_OP_DISCARD;
}

/* Build @req's command in its iod and start it; undone on failure. */
static blk_status_t dbr_prep_rq(struct dbr_queue *q, struct request *req)
{
	struct dbr_iod *iod = dbr_iod(req);
	struct dbr_ctrl *ctrl = q->ctrl;
	struct nvme_command *cmd = &iod->cmd;
	blk_status_t ret;

	dbr_iod_reset(req);
	if (!dbr_is_passthrough(req)) {
		ret = dbr_setup_cmd(req->q->queuedata, req, cmd);
		if (ret)
			return ret;
	}
	dbr_iod(req)->genctr++;
	cmd->common.command_id = dbr_cid(req);
	if (dbr_rq_has_data(req)) {
		cmd->common.flags &= ~NVME_CMD_SGL_ALL;
		ret = dbr_map_data(ctrl, q, req, cmd);
		if (ret)
			goto release_cmd;
	}
	blk_mq_start_request(req);
	return BLK_STS_OK;

release_cmd:
	dbr_release_cmd(ctrl, req);
	return ret;
}

static blk_status_t dbr_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	struct dbr_queue *q = hctx->driver_data;
	blk_status_t ret;

	if (unlikely(!test_bit(DBR_Q_ENABLED, &q->flags)))
		return BLK_STS_IOERR;
	ret = dbr_prep_rq(q, bd->rq);
	if (ret)
		return ret;
	dbr_submit_cmd(q, &dbr_iod(bd->rq)->cmd, bd->last);
	return BLK_STS_OK;
}

static void dbr_rqs_add_tail(struct dbr_rqs *l, struct request *req)
{
	req->rq_next = NULL;
	if (l->tail)
		l->tail->rq_next = req;
	else
		l->head = req;
	l->tail = req;
}

static struct request *dbr_rqs_pop(struct dbr_rqs *l)
{
	struct request *req = l->head;

	if (req) {
		l->head = req->rq_next;
		if (!l->head)
			l->tail = NULL;
		req->rq_next = NULL;
	}
	return req;
}

/* Copy prepared commands into the SQ: one lock, one doorbell update. */
static void dbr_submit_cmds(struct dbr_queue *q, struct dbr_rqs *l)
{
	struct request *req;

	if (!l->head)
		return;
	spin_lock(&q->sq_lock);
	while ((req = dbr_rqs_pop(l)))
		dbr_sq_copy_cmd(q, &dbr_iod(req)->cmd);
	dbr_ring_sq(q);
	spin_unlock(&q->sq_lock);
}

/*
 * A plugged batch (blk_mq_flush_plug_list), as nvme-pci does it: every
 * request is prepared, then each queue's commands are copied in under one
 * lock with one doorbell update (one MMIO write at most, none with shadow
 * doorbells most of the time). Requests that cannot be prepared go back to
 * the block layer, which issues them one at a time through queue_rq; that
 * is where their errors and BLK_STS_RESOURCE are handled.
 */
static void dbr_queue_rqs(dbr_compat_rqs_arg *rqlist)
{
	struct dbr_rqs in, submit = { }, requeue = { };
	struct dbr_queue *q = NULL;
	struct request *req;

	dbr_compat_rqs_take(rqlist, &in);
	while ((req = dbr_rqs_pop(&in))) {
		if (q && q != req->mq_hctx->driver_data)
			dbr_submit_cmds(q, &submit);
		q = req->mq_hctx->driver_data;
		dbr_compat_rq_batch_tag(req);
		if (likely(test_bit(DBR_Q_ENABLED, &q->flags)) &&
		    dbr_prep_rq(q, req) == BLK_STS_OK)
			dbr_rqs_add_tail(&submit, req);
		else
			dbr_rqs_add_tail(&requeue, req);
	}
	if (q)
		dbr_submit_cmds(q, &submit);
	dbr_compat_rqs_give(rqlist, &requeue);
}

/*
 * File system I/O is retried when a reset cancelled it, and when an Abort
 * ended it. The latter is not limited to iod->aborted: an Abort that a
 * reset held back can reach the controller afterwards and hit a new command
 * with the same tag.
 */
static bool dbr_should_retry(struct dbr_ctrl *ctrl, struct request *req)
{
	struct dbr_iod *iod = dbr_iod(req);
	enum dbr_state state = dbr_ctrl_state(ctrl);

	if (dbr_is_passthrough(req) || iod->retries >= DBR_MAX_RETRIES ||
	    blk_queue_dying(req->q))
		return false;
	if (iod->cancelled)
		return state == DBR_RESETTING;
	return (iod->status & DBR_SCT_SC_MASK) == NVME_SC_ABORT_REQ &&
	       (state == DBR_LIVE || state == DBR_RESETTING);
}

static void dbr_complete_rq(struct request *req)
{
	struct dbr_queue *q = req->mq_hctx->driver_data;
	struct dbr_iod *iod = dbr_iod(req);
	struct dbr_ctrl *ctrl = q->ctrl;
	blk_status_t sts;

	dbr_unmap_data(ctrl, req);
	dbr_release_cmd(ctrl, req);
	sts = dbr_status_to_blk(iod->status);

	/*
	 * Cancelled by a reset, or aborted after a timeout: retry file system
	 * I/O (once the queue is back, after a reset).
	 */
	if (dbr_should_retry(ctrl, req)) {
		iod->retries++;
		blk_mq_requeue_request(req, true);
		return;
	}
	if (sts && !dbr_is_passthrough(req) && !iod->cancelled)
		dev_err_ratelimited(ctrl->dev,
				    "I/O error: op %u sector %llu len %u status 0x%x\n",
				    req_op(req), (u64)blk_rq_pos(req),
				    blk_rq_bytes(req), iod->status);
	blk_mq_end_request(req, sts);
}

/*
 * Timeout on a live controller. First timeout of an I/O command: NVMe
 * Abort, sent without waiting, and a new timer; the command then completes
 * (aborted, and retried) or times out again. Admin commands, a second
 * timeout, a failed controller, or an Abort that cannot be sent: reset.
 *
 * Return: false if the controller could not be reset (removal or a failed
 * reset won the race) and must be disabled now.
 */
static bool dbr_timeout_live(struct request *req, u32 csts)
{
	struct dbr_queue *q = req->mq_hctx->driver_data;
	struct dbr_iod *iod = dbr_iod(req);
	struct dbr_ctrl *ctrl = q->ctrl;
	u8 opcode = iod->cmd.common.opcode;
	int ret;

	if (q->qid && !iod->aborted && csts != ~0U && !(csts & NVME_CSTS_CFS)) {
		ret = dbr_abort_async(ctrl, q, req);
		if (!ret) {
			iod->aborted = true;
			return true;
		}
		/* Abort Command Limit reached: the next timeout tries again */
		if (ret == -EBUSY)
			return true;
	}
	dev_warn(ctrl->dev,
		 "tag %d qid %u opcode 0x%x: timeout%s (csts 0x%x), resetting controller\n",
		 req->tag, q->qid, opcode, iod->aborted ? " after abort" : "",
		 csts);
	return dbr_ctrl_schedule_reset(ctrl);
}

static enum blk_eh_timer_return dbr_timeout(struct request *req)
{
	struct dbr_queue *q = req->mq_hctx->driver_data;
	struct dbr_ctrl *ctrl = q->ctrl;
	u32 csts = dbr_readl(ctrl, NVME_REG_CSTS);

	/* A missed interrupt looks like a timeout: look first. */
	if (csts != ~0U && !(csts & NVME_CSTS_CFS)) {
		dbr_queue_reap(q);
		if (blk_mq_rq_state(req) != MQ_RQ_IN_FLIGHT) {
			dev_warn(ctrl->dev, "tag %d qid %u: timeout, completion polled\n",
				 req->tag, q->qid);
			return BLK_EH_DONE;
		}
	}

	switch (dbr_ctrl_state(ctrl)) {
	case DBR_RESETTING:
		/* I/O: the reset cancels it. Admin: the reset waits for it. */
		if (q->qid)
			return BLK_EH_RESET_TIMER;
		break;
	case DBR_LIVE:
		if (dbr_timeout_live(req, csts))
			return BLK_EH_RESET_TIMER;
		break;
	default:
		break;
	}
	/*
	 * Bring-up, reset or removal is waiting on this command: stop the
	 * controller, which completes every request, this one too.
	 */
	dev_warn(ctrl->dev, "tag %d qid %u: timeout, disabling controller\n",
		 req->tag, q->qid);
	dbr_ctrl_disable(ctrl, dbr_ctrl_state(ctrl) != DBR_RESETTING);
	return BLK_EH_DONE;
}

static int dbr_admin_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			       unsigned int hctx_idx)
{
	struct dbr_ctrl *ctrl = data;

	hctx->driver_data = &ctrl->queues[0];
	return 0;
}

static int dbr_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			 unsigned int hctx_idx)
{
	struct dbr_ctrl *ctrl = data;

	hctx->driver_data = &ctrl->queues[hctx_idx + 1];
	return 0;
}

static void dbr_map_queues(struct blk_mq_tag_set *set)
{
	struct dbr_ctrl *ctrl = set->driver_data;
	struct blk_mq_queue_map *map = &set->map[HCTX_TYPE_DEFAULT];

	map->nr_queues = ctrl->nr_io_queues;
	map->queue_offset = 0;
	/* vector 0 is the admin queue's unless it is the only one */
	if (ctrl->nr_vecs > 1)
		dbr_compat_map_pci_queues(map, ctrl->pdev, 1);
	else
		blk_mq_map_queues(map);
}

static const struct blk_mq_ops dbr_admin_mq_ops = {
	.queue_rq	= dbr_queue_rq,
	.commit_rqs	= dbr_commit_rqs,
	.complete	= dbr_complete_rq,
	.init_hctx	= dbr_admin_init_hctx,
	.timeout	= dbr_timeout,
};

static const struct blk_mq_ops dbr_mq_ops = {
	.queue_rq	= dbr_queue_rq,
	.queue_rqs	= dbr_queue_rqs,
	.commit_rqs	= dbr_commit_rqs,
	.complete	= dbr_complete_rq,
	.init_hctx	= dbr_init_hctx,
	.map_queues	= dbr_map_queues,
	.timeout	= dbr_timeout,
};

static unsigned int dbr_cmd_size(void)
{
	return sizeof(struct dbr_iod) + DBR_MAX_SEGS * sizeof(struct scatterlist);
}

int dbr_alloc_admin_tagset(struct dbr_ctrl *ctrl)
{
	/* admin commands take PRPs only: keep user buffers PRP-shaped */
	struct dbr_compat_limits lim = {
		.max_hw_sectors = SZ_128K >> SECTOR_SHIFT,
		.max_segments = DBR_MAX_SEGS,
		.virt_boundary_mask = DBR_CTRL_PAGE_SIZE - 1,
		.dma_alignment = 3,
	};
	struct blk_mq_tag_set *set = &ctrl->admin_set;
	int ret;

	memset(set, 0, sizeof(*set));
	set->ops = &dbr_admin_mq_ops;
	set->nr_hw_queues = 1;
	set->queue_depth = DBR_AQ_DEPTH - 1;
	set->timeout = dbr_admin_timeout * HZ;
	set->numa_node = dev_to_node(ctrl->dev);
	set->cmd_size = dbr_cmd_size();
	set->driver_data = ctrl;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;
	ctrl->admin_q = dbr_compat_alloc_queue(set, &lim, ctrl);
	if (IS_ERR(ctrl->admin_q)) {
		ret = PTR_ERR(ctrl->admin_q);
		ctrl->admin_q = NULL;
		goto free_tagset;
	}
	return 0;

free_tagset:
	blk_mq_free_tag_set(set);
	return ret;
}

/* The queue memory itself stays until the controller is released. */
void dbr_free_admin_tagset(struct dbr_ctrl *ctrl)
{
	blk_mq_destroy_queue(ctrl->admin_q);
	blk_mq_free_tag_set(&ctrl->admin_set);
}

int dbr_alloc_io_tagset(struct dbr_ctrl *ctrl)
{
	struct blk_mq_tag_set *set = &ctrl->io_set;
	int ret;

	memset(set, 0, sizeof(*set));
	set->ops = &dbr_mq_ops;
	set->nr_hw_queues = ctrl->nr_io_queues;
	set->nr_maps = 1;
	set->queue_depth = min_t(u32, ctrl->q_depth - 1, BLK_MQ_MAX_DEPTH);
	set->timeout = dbr_io_timeout * HZ;
	set->numa_node = dev_to_node(ctrl->dev);
	set->cmd_size = dbr_cmd_size();
	set->flags = DBR_COMPAT_BLK_MQ_F_SHOULD_MERGE;
	set->driver_data = ctrl;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;
	ctrl->io_set_ready = true;
	return 0;
}

void dbr_free_io_tagset(struct dbr_ctrl *ctrl)
{
	if (!ctrl->io_set_ready)
		return;
	blk_mq_free_tag_set(&ctrl->io_set);
	ctrl->io_set_ready = false;
}

/* NVMe status (phase bit stripped) to block status, after nvme core. */
blk_status_t dbr_status_to_blk(u16 status)
{
	switch (status & DBR_SCT_SC_MASK) {
	case NVME_SC_SUCCESS:
		return BLK_STS_OK;
	case NVME_SC_CAP_EXCEEDED:
		return BLK_STS_NOSPC;
	case NVME_SC_LBA_RANGE:
		return BLK_STS_TARGET;
	case NVME_SC_BAD_ATTRIBUTES:
	case NVME_SC_INVALID_OPCODE:
	case NVME_SC_INVALID_FIELD:
	case NVME_SC_INVALID_NS:
		return BLK_STS_NOTSUPP;
	case NVME_SC_WRITE_FAULT:
	case NVME_SC_READ_ERROR:
	case NVME_SC_UNWRITTEN_BLOCK:
	case NVME_SC_ACCESS_DENIED:
	case NVME_SC_READ_ONLY:
	case NVME_SC_COMPARE_FAILED:
		return BLK_STS_MEDIUM;
	case NVME_SC_GUARD_CHECK:
	case NVME_SC_APPTAG_CHECK:
	case NVME_SC_REFTAG_CHECK:
	case NVME_SC_INVALID_PI:
		return BLK_STS_PROTECTION;
	case NVME_SC_HOST_PATH_ERROR:
		return BLK_STS_TRANSPORT;
	default:
		return BLK_STS_IOERR;
	}
}
