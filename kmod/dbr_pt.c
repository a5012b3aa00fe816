// SPDX-License-Identifier: GPL-2.0
/*
 * NVMe passthrough: the controller character device /dev/dmabridge<C>
 * and the namespace block device ioctls, implementing <linux/nvme_ioctl.h>
 * so that nvme-cli works. CAP_SYS_ADMIN only.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/nvme_ioctl.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "dbr.h"
#include "dbr_nvme.h"

static dev_t dbr_chr_devt;
static struct class *dbr_class;

/**
 * dbr_submit_user() - execute a passthrough command on a user buffer
 * @q: admin queue or namespace queue
 * @cmd: command (the data pointer is built by the driver)
 * @ubuf: user buffer or NULL
 * @len: bytes of @ubuf
 * @timeout: jiffies, 0 for the queue default
 * @result: completion dwords 0 and 1
 *
 * Return: 0, the positive NVMe status, or -errno.
 */
static int dbr_submit_user(struct request_queue *q, struct nvme_command *cmd,
			   void __user *ubuf, unsigned int len,
			   unsigned int timeout, u64 *result)
{
	blk_opf_t op = nvme_is_write(cmd) ? REQ_OP_DRV_OUT : REQ_OP_DRV_IN;
	struct bio *bio = NULL;
	struct dbr_iod *iod;
	struct request *req;
	blk_status_t sts;
	int ret;

	req = blk_mq_alloc_request(q, op, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (timeout)
		req->timeout = timeout;
	iod = dbr_iod(req);
	memcpy(&iod->cmd, cmd, sizeof(*cmd));
	iod->status = 0;
	iod->cancelled = false;
	iod->result.u64 = 0;
	if (ubuf && len) {
		ret = blk_rq_map_user(q, req, NULL, ubuf, len, GFP_KERNEL);
		if (ret)
			goto free_req;
		bio = req->bio;
	}
	sts = blk_execute_rq(req, false);
	*result = le64_to_cpu(iod->result.u64);
	if (iod->cancelled)
		ret = -EINTR;
	else if (iod->status)
		ret = iod->status;
	else
		ret = blk_status_to_errno(sts);
	if (bio)
		blk_rq_unmap_user(bio);
free_req:
	blk_mq_free_request(req);
	return ret;
}

/* Both layouts in one: the 32-bit-result variant has no rsvd2. */
static int dbr_get_user_cmd(struct nvme_passthru_cmd64 *cmd,
			    void __user *ucmd, bool is64)
{
	struct nvme_passthru_cmd c32;

	if (is64)
		return copy_from_user(cmd, ucmd, sizeof(*cmd)) ? -EFAULT : 0;
	if (copy_from_user(&c32, ucmd, sizeof(c32)))
		return -EFAULT;
	memset(cmd, 0, sizeof(*cmd));
	memcpy(cmd, &c32, offsetof(struct nvme_passthru_cmd, result));
	return 0;
}

static int dbr_put_user_result(void __user *ucmd, u64 result, bool is64)
{
	if (is64)
		return put_user(result, &((struct nvme_passthru_cmd64 __user *)
					  ucmd)->result);
	return put_user((u32)result, &((struct nvme_passthru_cmd __user *)
				       ucmd)->result);
}

/* Run @cmd, read from userspace once by the caller, and store its result. */
static int dbr_run_user_cmd(struct request_queue *q,
			    const struct nvme_passthru_cmd64 *cmd,
			    void __user *ucmd, bool is64)
{
	struct nvme_command c = { };
	u64 result = 0;
	int ret;

	if (cmd->flags || cmd->metadata || cmd->metadata_len)
		return -EINVAL;

	c.common.opcode = cmd->opcode;
	c.common.nsid = cpu_to_le32(cmd->nsid);
	c.common.cdw2[0] = cpu_to_le32(cmd->cdw2);
	c.common.cdw2[1] = cpu_to_le32(cmd->cdw3);
	c.common.cdw10 = cpu_to_le32(cmd->cdw10);
	c.common.cdw11 = cpu_to_le32(cmd->cdw11);
	c.common.cdw12 = cpu_to_le32(cmd->cdw12);
	c.common.cdw13 = cpu_to_le32(cmd->cdw13);
	c.common.cdw14 = cpu_to_le32(cmd->cdw14);
	c.common.cdw15 = cpu_to_le32(cmd->cdw15);

	ret = dbr_submit_user(q, &c, u64_to_user_ptr(cmd->addr), cmd->data_len,
			      msecs_to_jiffies(cmd->timeout_ms), &result);
	if (ret >= 0 && dbr_put_user_result(ucmd, result, is64))
		return -EFAULT;
	return ret;
}

static int dbr_user_cmd(struct request_queue *q, void __user *ucmd, bool is64)
{
	struct nvme_passthru_cmd64 cmd;
	int ret;

	BUILD_BUG_ON(sizeof(struct nvme_passthru_cmd64) != 80);
	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;
	ret = dbr_get_user_cmd(&cmd, ucmd, is64);
	if (ret)
		return ret;
	return dbr_run_user_cmd(q, &cmd, ucmd, is64);
}

/*
 * An I/O command through the controller device: the namespace is the one
 * the command names. The command is read once (a second read would let
 * userspace change nsid after the lookup), and the namespace lock is held
 * only for the lookup: the command may take as long as its user-chosen
 * timeout, and a rescan or a removal must not wait for it. The disk
 * reference keeps the namespace and its queue; a removed disk's queue
 * refuses the command (ENODEV).
 */
static int dbr_ns_io_cmd(struct dbr_ctrl *ctrl, void __user *ucmd, bool is64)
{
	struct nvme_passthru_cmd64 cmd;
	struct gendisk *disk = NULL;
	struct dbr_ns *ns;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;
	ret = dbr_get_user_cmd(&cmd, ucmd, is64);
	if (ret)
		return ret;
	down_read(&ctrl->ns_rwsem);
	list_for_each_entry(ns, &ctrl->namespaces, list) {
		if (ns->nsid == cmd.nsid) {
			disk = ns->disk;
			get_device(disk_to_dev(disk));
			break;
		}
	}
	up_read(&ctrl->ns_rwsem);
	if (!disk)
		return -EINVAL;
	ret = dbr_run_user_cmd(disk->queue, &cmd, ucmd, is64);
	put_device(disk_to_dev(disk));
	return ret;
}

/**
 * dbr_ns_ioctl() - NVMe ioctls on a namespace block device
 * @ns: namespace
 * @cmd: ioctl number
 * @argp: user argument
 */
int dbr_ns_ioctl(struct dbr_ns *ns, unsigned int cmd, void __user *argp)
{
	switch (cmd) {
	case NVME_IOCTL_ID:
		return ns->nsid;
	case NVME_IOCTL_IO_CMD:
		return dbr_user_cmd(ns->disk->queue, argp, false);
	case NVME_IOCTL_IO64_CMD:
		return dbr_user_cmd(ns->disk->queue, argp, true);
	case NVME_IOCTL_ADMIN_CMD:
		return dbr_user_cmd(ns->ctrl->admin_q, argp, false);
	case NVME_IOCTL_ADMIN64_CMD:
		return dbr_user_cmd(ns->ctrl->admin_q, argp, true);
	default:
		return -ENOTTY;
	}
}

/* ---- /dev/dmabridge<C> --------------------------------------------------- */

static int dbr_ctrl_open(struct inode *inode, struct file *file)
{
	struct dbr_ctrl *ctrl = container_of(inode->i_cdev, struct dbr_ctrl,
					     cdev);

	switch (dbr_ctrl_state(ctrl)) {
	case DBR_LIVE:
	case DBR_RESETTING:
		break;
	default:
		return -EWOULDBLOCK;
	}
	file->private_data = ctrl;
	return 0;
}

static long dbr_ctrl_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct dbr_ctrl *ctrl = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case NVME_IOCTL_ADMIN_CMD:
		return dbr_user_cmd(ctrl->admin_q, argp, false);
	case NVME_IOCTL_ADMIN64_CMD:
		return dbr_user_cmd(ctrl->admin_q, argp, true);
	case NVME_IOCTL_IO_CMD:
		return dbr_ns_io_cmd(ctrl, argp, false);
	case NVME_IOCTL_IO64_CMD:
		return dbr_ns_io_cmd(ctrl, argp, true);
	case NVME_IOCTL_RESET:
		if (!capable(CAP_SYS_ADMIN))
			return -EACCES;
		dev_warn(ctrl->dev, "resetting controller on request\n");
		return dbr_ctrl_reset_sync(ctrl);
	case NVME_IOCTL_RESCAN:
		return capable(CAP_SYS_ADMIN) ? 0 : -EACCES;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dbr_ctrl_fops = {
	.owner		= THIS_MODULE,
	.open		= dbr_ctrl_open,
	.unlocked_ioctl	= dbr_ctrl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

int dbr_pt_add(struct dbr_ctrl *ctrl)
{
	int ret;

	if (ctrl->instance >= DBR_CTRL_MINORS)
		return -ENOSPC;
	ctrl->ctrl_dev.devt = MKDEV(MAJOR(dbr_chr_devt), ctrl->instance);
	ctrl->ctrl_dev.class = dbr_class;
	ret = dev_set_name(&ctrl->ctrl_dev, DBR_DRV_NAME "%d", ctrl->instance);
	if (ret)
		return ret;
	cdev_init(&ctrl->cdev, &dbr_ctrl_fops);
	ctrl->cdev.owner = THIS_MODULE;
	return cdev_device_add(&ctrl->cdev, &ctrl->ctrl_dev);
}

void dbr_pt_del(struct dbr_ctrl *ctrl)
{
	if (device_is_registered(&ctrl->ctrl_dev))
		cdev_device_del(&ctrl->cdev, &ctrl->ctrl_dev);
}

int dbr_pt_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&dbr_chr_devt, 0, DBR_CTRL_MINORS,
				  DBR_DRV_NAME "-ctrl");
	if (ret)
		return ret;
	dbr_class = dbr_compat_class_create(DBR_DRV_NAME);
	if (IS_ERR(dbr_class)) {
		ret = PTR_ERR(dbr_class);
		goto unregister_region;
	}
	return 0;

unregister_region:
	unregister_chrdev_region(dbr_chr_devt, DBR_CTRL_MINORS);
	return ret;
}

void dbr_pt_exit(void)
{
	class_destroy(dbr_class);
	unregister_chrdev_region(dbr_chr_devt, DBR_CTRL_MINORS);
}
