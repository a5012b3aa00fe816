// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dmabridge: the control device. Each open file description is a
 * context (struct dbr_ctx) that owns the tokens created through it; closing
 * it (or the process dying) destroys them, after their requests drained.
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <uapi/linux/dmabridge.h>

#include "compat.h"
#include "dbr.h"
#include "dbr_io.h"
#include "dbr_token.h"

static long dbr_ctl_version(void __user *argp)
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

/**
 * dbr_ctx_token_get() - look a token up for a request
 * @ctx: context of the file the request came through
 * @id: token id
 *
 * Return: the token with a reference for the caller (dbr_token_put()), or
 * NULL if @ctx has no token @id (any more).
 */
struct dbr_token *dbr_ctx_token_get(struct dbr_ctx *ctx, u32 id)
{
	struct dbr_token *tok;

	/*
	 * No lock: a token is freed an RCU grace period after it left the
	 * xarray (dbr_token_destroy()), and one whose count already reached
	 * zero is being torn down, as good as gone.
	 */
	rcu_read_lock();
	tok = xa_load(&ctx->tokens, id);
	if (tok && !kref_get_unless_zero(&tok->ref))
		tok = NULL;
	rcu_read_unlock();
	return tok;
}

/*
 * The id is reserved first and the result copied out while nobody else can
 * see the token; publishing it is the last step. Once published the token
 * belongs to the context: a TOKEN_DESTROY of the (predictable) id may free
 * it at once, so nothing here touches it after xa_store().
 */
static long dbr_ctl_token_create(struct dbr_ctx *ctx, void __user *argp)
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
	ret = xa_alloc(&ctx->tokens, &id, NULL,
		       XA_LIMIT(1, DBR_CTX_MAX_TOKENS), GFP_KERNEL);
	if (ret) {
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto destroy_token;
	}
	arg.id = id;
	arg.size = tok->size;
	if (copy_to_user(argp, &arg, sizeof(arg))) {
		ret = -EFAULT;
		goto release_id;
	}
	/* the slot exists: storing into a reservation allocates nothing */
	xa_store(&ctx->tokens, id, tok, GFP_KERNEL);
	return 0;

release_id:
	xa_release(&ctx->tokens, id);
destroy_token:
	dbr_token_destroy(tok);
	return ret;
}

static long dbr_ctl_token_destroy(struct dbr_ctx *ctx, void __user *argp)
{
	struct dmabridge_token_destroy arg;
	struct dbr_token *tok = NULL;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags || arg.reserved)
		return -EINVAL;
	if (!arg.id)
		return -ENOENT;
	/*
	 * xa_erase() of a reserved id would drop a creator's reservation and
	 * let a second creator take the id: remove published tokens only.
	 */
	mutex_lock(&ctx->lock);
	if (xa_load(&ctx->tokens, arg.id))
		tok = xa_erase(&ctx->tokens, arg.id);
	mutex_unlock(&ctx->lock);
	if (!tok)
		return -ENOENT;
	dbr_token_destroy(tok);
	return 0;
}

/* READ/WRITE: the checks that need nothing but the argument. */
static bool dbr_ctl_io_valid(const struct dmabridge_io *io)
{
	return !io->flags && !io->reserved0 && !io->reserved[0] &&
	       !io->reserved[1] && io->length &&
	       io->length <= DMABRIDGE_IO_MAX_LEN;
}

/* READ/WRITE as an ioctl: the request runs synchronously (dbr_io.c). */
static long dbr_ctl_io(struct dbr_ctx *ctx, void __user *argp, bool is_read)
{
	struct dmabridge_io io;

	if (copy_from_user(&io, argp, sizeof(io)))
		return -EFAULT;
	if (!dbr_ctl_io_valid(&io))
		return -EINVAL;
	return dbr_io_execute(ctx, &io, is_read);
}

/*
 * io_uring: IORING_OP_URING_CMD with cmd_op DMABRIDGE_IOC_READ/WRITE and a
 * struct dmabridge_io in the command area of a 128-byte SQE. Every READ or
 * WRITE completes with its tag, a request refused here included: returning
 * the error would let io_uring post it with big_cqe[0] zero.
 */
static int dbr_ctl_uring_cmd(struct io_uring_cmd *ucmd,
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
	memcpy(&io, dbr_compat_uring_cmd_payload(ucmd), sizeof(io));
	if (!dbr_ctl_io_valid(&io)) {
		ret = -EINVAL;
	} else {
		ret = dbr_io_submit(ctx, &io, is_read, ucmd, issue_flags);
		if (ret == -EIOCBQUEUED || ret == -EAGAIN)
			return ret;
	}
	dbr_compat_uring_cmd_done(ucmd, ret, io.tag, issue_flags);
	return -EIOCBQUEUED;
}

static long dbr_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct dbr_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case DMABRIDGE_IOC_VERSION:
		return dbr_ctl_version(argp);
	case DMABRIDGE_IOC_TOKEN_CREATE:
		return dbr_ctl_token_create(ctx, argp);
	case DMABRIDGE_IOC_TOKEN_DESTROY:
		return dbr_ctl_token_destroy(ctx, argp);
	case DMABRIDGE_IOC_READ:
		return dbr_ctl_io(ctx, argp, true);
	case DMABRIDGE_IOC_WRITE:
		return dbr_ctl_io(ctx, argp, false);
	default:
		return -ENOTTY;
	}
}

static int dbr_ctl_open(struct inode *inode, struct file *file)
{
	struct dbr_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	xa_init_flags(&ctx->tokens, XA_FLAGS_ALLOC1);
	mutex_init(&ctx->lock);
	file->private_data = ctx;
	return 0;
}

/*
 * Last reference to the file: no ioctl or io_uring command is running on it
 * (both hold a file reference), but requests may still hold tokens;
 * dbr_token_destroy() waits for them.
 */
static int dbr_ctl_release(struct inode *inode, struct file *file)
{
	struct dbr_ctx *ctx = file->private_data;
	struct dbr_token *tok;
	unsigned long id;

	xa_for_each(&ctx->tokens, id, tok) {
		if (xa_erase(&ctx->tokens, id) == tok)
			dbr_token_destroy(tok);
	}
	xa_destroy(&ctx->tokens);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

static const struct file_operations dbr_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= dbr_ctl_open,
	.release	= dbr_ctl_release,
	.uring_cmd	= dbr_ctl_uring_cmd,
	.unlocked_ioctl	= dbr_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice dbr_ctl_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DMABRIDGE_CTL_NAME,
	.fops	= &dbr_ctl_fops,
	.mode	= 0666,
};

int dbr_ctl_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct dmabridge_version) != 16);
	BUILD_BUG_ON(sizeof(struct dmabridge_token_create) != 40);
	BUILD_BUG_ON(sizeof(struct dmabridge_token_destroy) != 16);
	BUILD_BUG_ON(sizeof(struct dmabridge_io) != 64);

	ret = dbr_token_init();
	if (ret)
		return ret;
	ret = misc_register(&dbr_ctl_dev);
	if (ret)
		dbr_token_exit();
	return ret;
}

void dbr_ctl_exit(void)
{
	misc_deregister(&dbr_ctl_dev);
	dbr_token_exit();
}
