// SPDX-License-Identifier: GPL-2.0
/*
 * Admin commands the driver issues itself: Identify, Set Features, queue
 * creation and deletion, Doorbell Buffer Config, Abort. All go through the
 * admin blk-mq queue, so they get timeouts and cancellation like any other
 * request.
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "dbr_nvme.h"

/**
 * dbr_submit_sync() - execute a command and wait for it
 * @q: admin queue or a namespace queue
 * @cmd: command; the data pointer is set from @buf
 * @buf: kernel buffer (kmalloc'ed) or NULL
 * @len: bytes of @buf
 * @result: completion result, may be NULL
 *
 * Return: 0, a positive NVMe status, or -errno.
 */
int dbr_submit_sync(struct request_queue *q, struct nvme_command *cmd,
		    void *buf, unsigned int len, union nvme_result *result)
{
	blk_opf_t op = nvme_is_write(cmd) ? REQ_OP_DRV_OUT : REQ_OP_DRV_IN;
	struct dbr_iod *iod;
	struct request *req;
	blk_status_t sts;
	int ret;

	req = blk_mq_alloc_request(q, op, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	iod = dbr_iod(req);
	memcpy(&iod->cmd, cmd, sizeof(*cmd));
	if (buf && len) {
		ret = dbr_compat_blk_rq_map_kern(req, buf, len, GFP_KERNEL);
		if (ret)
			goto free_req;
	}
	sts = blk_execute_rq(req, false);
	if (result)
		*result = iod->result;
	if (iod->cancelled)
		ret = -EINTR;
	else if (iod->status)
		ret = iod->status & ~NVME_STATUS_DNR;
	else
		ret = blk_status_to_errno(sts);
free_req:
	blk_mq_free_request(req);
	return ret;
}

static int dbr_identify(struct dbr_ctrl *ctrl, u8 cns, u8 csi, u32 nsid,
			void *buf)
{
	struct nvme_command c = { };

	c.identify.opcode = nvme_admin_identify;
	c.identify.nsid = cpu_to_le32(nsid);
	c.identify.cns = cns;
	c.identify.csi = csi;
	return dbr_submit_sync(ctrl->admin_q, &c, buf, NVME_IDENTIFY_DATA_SIZE,
			       NULL);
}

/*
 * Fixed-width, space-padded ASCII to a C string without the trailing spaces
 * (or NULs): what the stock driver's sysfs shows, and what its namespace
 * WWID fallback (wwid in dbr_sysfs.c) is made of.
 */
static void dbr_copy_id_str(char *dst, const char *src, size_t len)
{
	while (len && (src[len - 1] == ' ' || src[len - 1] == '\0'))
		len--;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* I/O command set limits (Identify CNS 06h); optional before NVMe 2.0. */
static void dbr_identify_ctrl_nvm(struct dbr_ctrl *ctrl)
{
	struct nvme_id_ctrl_nvm *nvm;

	nvm = kzalloc(sizeof(*nvm), GFP_KERNEL);
	if (!nvm)
		return;
	if (!dbr_identify(ctrl, NVME_ID_CNS_CS_CTRL, NVME_CSI_NVM, 0, nvm)) {
		ctrl->id.wzsl = nvm->wzsl;
		ctrl->id.dmrsl = le32_to_cpu(nvm->dmrsl);
	}
	kfree(nvm);
}

/**
 * dbr_identify_ctrl() - read Identify Controller into @ctrl->id
 * @ctrl: controller with a working admin queue
 */
int dbr_identify_ctrl(struct dbr_ctrl *ctrl)
{
	struct nvme_id_ctrl *id;
	int ret;

	BUILD_BUG_ON(sizeof(struct nvme_id_ctrl) != NVME_IDENTIFY_DATA_SIZE);
	id = kzalloc(sizeof(*id), GFP_KERNEL);
	if (!id)
		return -ENOMEM;
	ret = dbr_identify(ctrl, NVME_ID_CNS_CTRL, 0, 0, id);
	if (ret) {
		dev_err(ctrl->dev, "Identify Controller failed: %d\n", ret);
		goto free;
	}
	dbr_copy_id_str(ctrl->id.model, id->mn, sizeof(id->mn));
	dbr_copy_id_str(ctrl->id.serial, id->sn, sizeof(id->sn));
	dbr_copy_id_str(ctrl->id.fw_rev, id->fr, sizeof(id->fr));
	ctrl->id.vid = le16_to_cpu(id->vid);
	ctrl->id.oacs = le16_to_cpu(id->oacs);
	ctrl->id.oncs = le16_to_cpu(id->oncs);
	ctrl->id.acl = id->acl;
	ctrl->id.vwc = id->vwc;
	ctrl->id.mdts = id->mdts;
	ctrl->id.sgls = le32_to_cpu(id->sgls);
	ctrl->id.nn = le32_to_cpu(id->nn);
	if (ctrl->vs >= NVME_VS(1, 4, 0))
		dbr_identify_ctrl_nvm(ctrl);
free:
	kfree(id);
	return ret;
}

int dbr_identify_ns_list(struct dbr_ctrl *ctrl, __le32 *list)
{
	return dbr_identify(ctrl, NVME_ID_CNS_NS_ACTIVE_LIST, 0, 0, list);
}

int dbr_identify_ns(struct dbr_ctrl *ctrl, u32 nsid, struct nvme_id_ns *id)
{
	BUILD_BUG_ON(sizeof(struct nvme_id_ns) != NVME_IDENTIFY_DATA_SIZE);
	return dbr_identify(ctrl, NVME_ID_CNS_NS, 0, nsid, id);
}

/**
 * dbr_set_queue_count() - Set Features Number of Queues
 * @ctrl: controller
 * @count: in: I/O queue pairs wanted; out: pairs granted (may be fewer)
 */
int dbr_set_queue_count(struct dbr_ctrl *ctrl, unsigned int *count)
{
	u32 q = (*count - 1) | ((*count - 1) << 16);
	struct nvme_command c = { };
	union nvme_result res;
	unsigned int granted;
	int ret;

	c.features.opcode = nvme_admin_set_features;
	c.features.fid = cpu_to_le32(NVME_FEAT_NUM_QUEUES);
	c.features.dword11 = cpu_to_le32(q);
	ret = dbr_submit_sync(ctrl->admin_q, &c, NULL, 0, &res);
	if (ret)
		return ret;
	q = le32_to_cpu(res.u32);
	granted = min(q & 0xffff, q >> 16) + 1;
	*count = min(*count, granted);
	return 0;
}

static int dbr_create_cq(struct dbr_ctrl *ctrl, struct dbr_queue *q)
{
	struct nvme_command c = { };

	BUILD_BUG_ON(sizeof(struct nvme_create_cq) != 64);
	c.create_cq.opcode = nvme_admin_create_cq;
	c.create_cq.prp1 = cpu_to_le64(q->cq_dma);
	c.create_cq.cqid = cpu_to_le16(q->qid);
	c.create_cq.qsize = cpu_to_le16(q->q_depth - 1);
	c.create_cq.cq_flags =
		cpu_to_le16(NVME_QUEUE_PHYS_CONTIG | NVME_CQ_IRQ_ENABLED);
	c.create_cq.irq_vector = cpu_to_le16(q->cq_vector);
	return dbr_submit_sync(ctrl->admin_q, &c, NULL, 0, NULL);
}

static int dbr_create_sq(struct dbr_ctrl *ctrl, struct dbr_queue *q)
{
	struct nvme_command c = { };

	BUILD_BUG_ON(sizeof(struct nvme_create_sq) != 64);
	c.create_sq.opcode = nvme_admin_create_sq;
	c.create_sq.prp1 = cpu_to_le64(q->sq_dma);
	c.create_sq.sqid = cpu_to_le16(q->qid);
	c.create_sq.qsize = cpu_to_le16(q->q_depth - 1);
	c.create_sq.sq_flags =
		cpu_to_le16(NVME_QUEUE_PHYS_CONTIG | NVME_SQ_PRIO_MEDIUM);
	c.create_sq.cqid = cpu_to_le16(q->qid);
	return dbr_submit_sync(ctrl->admin_q, &c, NULL, 0, NULL);
}

int dbr_delete_queue(struct dbr_ctrl *ctrl, u8 opcode, u16 qid)
{
	struct nvme_command c = { };

	c.delete_queue.opcode = opcode;
	c.delete_queue.qid = cpu_to_le16(qid);
	return dbr_submit_sync(ctrl->admin_q, &c, NULL, 0, NULL);
}

/**
 * dbr_create_queue() - create the CQ then the SQ of an allocated queue pair
 * @ctrl: controller
 * @q: queue pair with memory and vector
 */
int dbr_create_queue(struct dbr_ctrl *ctrl, struct dbr_queue *q)
{
	int ret;

	dbr_queue_init(q);
	ret = dbr_create_cq(ctrl, q);
	if (ret)
		return ret;
	ret = dbr_create_sq(ctrl, q);
	if (ret)
		goto delete_cq;
	ret = dbr_queue_request_irq(q);
	if (ret)
		goto delete_sq;
	set_bit(DBR_Q_ENABLED, &q->flags);
	return 0;

delete_sq:
	dbr_delete_queue(ctrl, nvme_admin_delete_sq, q->qid);
delete_cq:
	dbr_delete_queue(ctrl, nvme_admin_delete_cq, q->qid);
	return ret;
}

/**
 * dbr_dbbuf_config() - Doorbell Buffer Config (shadow doorbells)
 * @ctrl: controller
 * @dbs: shadow doorbell buffer, page aligned
 * @eis: event index buffer, page aligned
 *
 * Return: 0, a positive NVMe status, or -errno.
 */
int dbr_dbbuf_config(struct dbr_ctrl *ctrl, dma_addr_t dbs, dma_addr_t eis)
{
	struct nvme_command c = { };

	c.dbbuf.opcode = nvme_admin_dbbuf;
	c.dbbuf.prp1 = cpu_to_le64(dbs);
	c.dbbuf.prp2 = cpu_to_le64(eis);
	return dbr_submit_sync(ctrl->admin_q, &c, NULL, 0, NULL);
}

/*
 * Completion of an Abort sent by dbr_abort_async() (any context). Success
 * says nothing about the outcome: the aborted command completes on its own
 * queue (status Command Abort Requested) or, if the controller could not
 * abort it, times out a second time, which resets the controller. An Abort
 * the controller rejects will not help either: reset now.
 */
static enum rq_end_io_ret dbr_abort_endio(struct request *req,
					  blk_status_t error)
{
	struct dbr_queue *aq = req->mq_hctx->driver_data;
	struct dbr_ctrl *ctrl = aq->ctrl;
	struct dbr_iod *iod = dbr_iod(req);

	atomic_inc(&ctrl->abort_limit);
	if (iod->cancelled)
		return RQ_END_IO_FREE;	/* a reset or removal took over */
	if (iod->status) {
		dev_warn(ctrl->dev,
			 "Abort of tag %u qid %u failed (status 0x%x), resetting controller\n",
			 iod->cmd.abort.cid, le16_to_cpu(iod->cmd.abort.sqid),
			 iod->status);
		dbr_ctrl_schedule_reset(ctrl);
	} else {
		dev_warn(ctrl->dev, "Abort of tag %u qid %u: %s\n",
			 iod->cmd.abort.cid, le16_to_cpu(iod->cmd.abort.sqid),
			 le32_to_cpu(iod->result.u32) & 1 ?
			 "not aborted" : "aborted");
	}
	return RQ_END_IO_FREE;
}

DBR_COMPAT_END_IO(dbr_abort_endio)

/**
 * dbr_abort_async() - send an NVMe Abort for a timed-out I/O command
 * @ctrl: live controller
 * @q: I/O queue the command was submitted on
 * @req: the timed-out request
 *
 * Does not sleep: for the timeout handler. Logs the timeout when the Abort
 * goes out.
 *
 * Return: 0 if the Abort was sent, -EBUSY if the Abort Command Limit is
 * reached, or -errno if no admin request could be had.
 */
int dbr_abort_async(struct dbr_ctrl *ctrl, struct dbr_queue *q,
		    struct request *req)
{
	struct request *abort_req;
	struct dbr_iod *iod;

	if (atomic_dec_return(&ctrl->abort_limit) < 0) {
		atomic_inc(&ctrl->abort_limit);
		return -EBUSY;
	}
	abort_req = blk_mq_alloc_request(ctrl->admin_q, REQ_OP_DRV_IN,
					 BLK_MQ_REQ_NOWAIT);
	if (IS_ERR(abort_req)) {
		atomic_inc(&ctrl->abort_limit);
		return PTR_ERR(abort_req);
	}
	iod = dbr_iod(abort_req);
	memset(&iod->cmd, 0, sizeof(iod->cmd));
	iod->cmd.abort.opcode = nvme_admin_abort_cmd;
	iod->cmd.abort.sqid = cpu_to_le16(q->qid);
	/* the command id queue_rq gave this issue of the request */
	iod->cmd.abort.cid = dbr_iod(req)->cmd.common.command_id;
	abort_req->end_io = dbr_compat_end_io(dbr_abort_endio);
	abort_req->end_io_data = NULL;
	dev_warn(ctrl->dev, "tag %d qid %u opcode 0x%x: timeout, aborting\n",
		 req->tag, q->qid, dbr_iod(req)->cmd.common.opcode);
	blk_execute_rq_nowait(abort_req, false);
	return 0;
}
