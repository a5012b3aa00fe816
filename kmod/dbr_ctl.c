// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dmabridge: the control device. Each open file description is a
 * context that will own its dma-buf tokens; for now it answers the ABI
 * version query so userspace can tell what it talks to.
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <uapi/linux/dmabridge.h>

#include "dbr.h"

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

static long dbr_ctl_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case DMABRIDGE_IOC_VERSION:
		return dbr_ctl_version(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dbr_ctl_fops = {
	.owner		= THIS_MODULE,
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
	BUILD_BUG_ON(sizeof(struct dmabridge_version) != 16);
	return misc_register(&dbr_ctl_dev);
}

void dbr_ctl_exit(void)
{
	misc_deregister(&dbr_ctl_dev);
}
