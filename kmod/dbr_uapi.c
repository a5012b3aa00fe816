// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dmabridge: the UAPI. Copies and checks each ioctl's and io_uring
 * command's argument (include/uapi/linux/dmabridge.h) and hands it on:
 * tokens and registered targets to the file's context (dbr_ctx.c), READ and
 * WRITE to the request code (dbr_io.c).
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <uapi/linux/dmabridge.h>

#include "compat.h"
#include "dbr.h"
#include "dbr_ctx.h"
#include "dbr_io.h"
#include "dbr_token.h"

static long dbr_uapi_version(void __user *argp)
{
	struct dmabridge_version v;

	if (copy_from_user(&v, argp, sizeof(v)))
		return -EFAULT;
	if (v.flags || v.reserved)
		return -EINVAL;
	v.major = DMABRIDGE_ABI_MAJOR;
	v.minor = DMABRIDGE_ABI_MINOR;
	if (copy_to_user(argp, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

/*
 * The result is copied out while the id is only reserved, and the token
 * is published last: once published it belongs to the context, so nothing
 * here touches it after dbr_ctx_token_publish() (issue 16, defect 1).
 */
static long dbr_uapi_token_create(struct dbr_ctx *ctx, void __user *argp)
{
	struct dmabridge_token_create arg;
	struct dbr_token *tok;
	u32 id;
	int ret;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (!arg.flags || (arg.flags & ~DMABRIDGE_TOKEN_FLAGS_ALL) || arg.id ||
	    arg.reserved0 || arg.size || arg.reserved[0] || arg.reserved[1])
		return -EINVAL;

	ret = dbr_token_create(arg.dmabuf_fd, arg.flags, &tok);
	if (ret)
		return ret;
	ret = dbr_ctx_token_reserve(ctx, &id);
	if (ret)
		goto destroy_token;
	arg.id = id;
	arg.size = tok->size;
	if (copy_to_user(argp, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto unreserve_id;
	}
	dbr_ctx_token_publish(ctx, id, tok);
	return 0;

unreserve_id:
	dbr_ctx_token_unreserve(ctx, id);
destroy_token:
	dbr_token_destroy(tok);
	return ret;
}

static long dbr_uapi_token_destroy(struct dbr_ctx *ctx, void __user *argp)
{
	struct dmabridge_token_destroy arg;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved)
		return -EINVAL;
	return dbr_ctx_token_remove(ctx, arg.id);
}

/*
 * As for tokens, the index is copied out while only reserved and the
 * target published last: nothing here touches it once another thread may
 * unregister it.
 */
static long dbr_uapi_target_register(struct dbr_ctx *ctx, void __user *argp)
{
	struct dmabridge_target arg;
	struct dbr_ctx_target *t;
	u32 index;
	int ret;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.index || arg.flags || arg.reserved)
		return -EINVAL;
	ret = dbr_io_target_new(arg.fd, &t);
	if (ret)
		return ret;
	ret = dbr_ctx_target_reserve(ctx, &index);
	if (ret)
		goto put_target;
	arg.index = index;
	if (copy_to_user(argp, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto unreserve_index;
	}
	dbr_ctx_target_publish(ctx, index, t);
	return 0;

unreserve_index:
	dbr_ctx_target_unreserve(ctx, index);
put_target:
	dbr_ctx_target_put(t);
	return ret;
}

static long dbr_uapi_target_unregister(struct dbr_ctx *ctx, void __user *argp)
{
	struct dmabridge_target arg;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.fd || arg.flags || arg.reserved)
		return -EINVAL;
	return dbr_ctx_target_remove(ctx, arg.index);
}

/* READ/WRITE: the checks that need nothing but the argument. */
static bool dbr_uapi_io_valid(const struct dmabridge_io *io)
{
	return !(io->flags & ~DMABRIDGE_IO_FLAGS_ALL) && !io->reserved0 &&
	       !io->reserved[0] &&
	       !io->reserved[1] && io->length &&
	       io->length <= DMABRIDGE_IO_MAX_LEN;
}

/* READ/WRITE as an ioctl: the request runs synchronously (dbr_io.c). */
static long dbr_uapi_io(struct dbr_ctx *ctx, void __user *argp, bool is_read)
{
	struct dmabridge_io io;

	if (copy_from_user(&io, argp, sizeof(io)))
		return -EFAULT;
	if (!dbr_uapi_io_valid(&io))
		return -EINVAL;
	return dbr_io_execute(ctx, &io, is_read);
}

/*
 * io_uring: IORING_OP_URING_CMD with cmd_op DMABRIDGE_IOC_READ/WRITE and a
 * struct dmabridge_io in the command area of a 128-byte SQE. Every READ or
 * WRITE completes with its tag, a request refused here included: returning
 * the error would let io_uring post it with big_cqe[0] zero.
 */
static int dbr_uapi_uring_cmd(struct io_uring_cmd *ucmd,
			      unsigned int issue_flags)
{
	struct dbr_ctx *ctx = ucmd->file->private_data;
	struct dmabridge_io io;
	bool is_read;
	int ret;

	switch (ucmd->cmd_op) {
	case DMABRIDGE_IOC_READ:
		is_read = true;
		break;
	case DMABRIDGE_IOC_WRITE:
		is_read = false;
		break;
	default:
		return -ENOTTY;
	}
	/* a 64-byte SQE has no room for the request, nor for its tag */
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	memcpy(&io, dbr_compat_uring_cmd_payload(ucmd, struct dmabridge_io), sizeof(io));
	if (!dbr_uapi_io_valid(&io)) {
		ret = -EINVAL;
	} else {
		ret = dbr_io_submit(ctx, &io, is_read, ucmd, issue_flags);
		if (ret == -EIOCBQUEUED)
			return ret;
	}
	dbr_compat_uring_cmd_done(ucmd, ret, io.tag, issue_flags);
	return -EIOCBQUEUED;
}

static long dbr_uapi_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct dbr_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case DMABRIDGE_IOC_VERSION:
		return dbr_uapi_version(argp);
	case DMABRIDGE_IOC_TOKEN_CREATE:
		return dbr_uapi_token_create(ctx, argp);
	case DMABRIDGE_IOC_TOKEN_DESTROY:
		return dbr_uapi_token_destroy(ctx, argp);
	case DMABRIDGE_IOC_READ:
		return dbr_uapi_io(ctx, argp, true);
	case DMABRIDGE_IOC_WRITE:
		return dbr_uapi_io(ctx, argp, false);
	case DMABRIDGE_IOC_TARGET_REGISTER:
		return dbr_uapi_target_register(ctx, argp);
	case DMABRIDGE_IOC_TARGET_UNREGISTER:
		return dbr_uapi_target_unregister(ctx, argp);
	default:
		return -ENOTTY;
	}
}

static int dbr_uapi_open(struct inode *inode, struct file *file)
{
	struct dbr_ctx *ctx = dbr_ctx_new();

	if (!ctx)
		return -ENOMEM;
	file->private_data = ctx;
	return 0;
}

/* Last reference to the file: its tokens go (dbr_ctx_free()). */
static int dbr_uapi_release(struct inode *inode, struct file *file)
{
	dbr_ctx_free(file->private_data);
	return 0;
}

static const struct file_operations dbr_uapi_fops = {
	.owner		= THIS_MODULE,
	.open		= dbr_uapi_open,
	.release	= dbr_uapi_release,
	.uring_cmd	= dbr_uapi_uring_cmd,
	.unlocked_ioctl	= dbr_uapi_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * Root only by default: a token request moves data between a dma-buf and
 * any file the caller could open, by DMA. udev/60-dmabridge-access.rules
 * gives the node to the dmabridge group (docs/install.md).
 */
static struct miscdevice dbr_uapi_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DMABRIDGE_CTL_NAME,
	.fops	= &dbr_uapi_fops,
	.mode	= 0600,
};

int dbr_uapi_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct dmabridge_version) != 16);
	BUILD_BUG_ON(sizeof(struct dmabridge_token_create) != 40);
	BUILD_BUG_ON(sizeof(struct dmabridge_token_destroy) != 16);
	BUILD_BUG_ON(sizeof(struct dmabridge_io) != 64);
	BUILD_BUG_ON(sizeof(struct dmabridge_target) != 16);

	ret = dbr_token_init();
	if (ret)
		return ret;
	ret = misc_register(&dbr_uapi_dev);
	if (ret)
		dbr_token_exit();
	return ret;
}

void dbr_uapi_exit(void)
{
	misc_deregister(&dbr_uapi_dev);
	dbr_token_exit();
}
