// SPDX-License-Identifier: GPL-2.0
/*
 * All module parameters of the NVMe driver, each next to its description
 * and validated on set.
 */
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "dbr_nvme.h"
#include "dbr_token.h"

static int dbr_param_set_uint(const char *val, const struct kernel_param *kp,
			      unsigned int min, unsigned int max)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n < min || n > max)
		return -EINVAL;
	*(unsigned int *)kp->arg = n;
	return 0;
}

static int dbr_depth_set(const char *val, const struct kernel_param *kp)
{
	return dbr_param_set_uint(val, kp, 2, 4096);
}

static const struct kernel_param_ops dbr_depth_ops = {
	.set = dbr_depth_set,
	.get = param_get_uint,
};

unsigned int dbr_io_queue_depth = 1024;
module_param_cb(io_queue_depth, &dbr_depth_ops, &dbr_io_queue_depth, 0444);
MODULE_PARM_DESC(io_queue_depth, "I/O queue depth, 2..4096 (bounded by CAP.MQES)");

static int dbr_queues_set(const char *val, const struct kernel_param *kp)
{
	return dbr_param_set_uint(val, kp, 0, 1024);
}

static const struct kernel_param_ops dbr_queues_ops = {
	.set = dbr_queues_set,
	.get = param_get_uint,
};

unsigned int dbr_max_io_queues;
module_param_cb(max_io_queues, &dbr_queues_ops, &dbr_max_io_queues, 0444);
MODULE_PARM_DESC(max_io_queues, "Maximum I/O queue pairs (0: one per possible CPU)");

static int dbr_threshold_set(const char *val, const struct kernel_param *kp)
{
	return dbr_param_set_uint(val, kp, 0, SZ_1G);
}

static const struct kernel_param_ops dbr_threshold_ops = {
	.set = dbr_threshold_set,
	.get = param_get_uint,
};

unsigned int dbr_sgl_threshold = SZ_32K;
module_param_cb(sgl_threshold, &dbr_threshold_ops, &dbr_sgl_threshold, 0644);
MODULE_PARM_DESC(sgl_threshold,
		 "Use SGLs when the average request segment is at least this many bytes (0: only where PRPs cannot describe the data)");

static const char *const dbr_token_sgl_names[] = {
	[DBR_TOKEN_SGL_AUTO]	= "auto",
	[DBR_TOKEN_SGL_FORCE]	= "force",
	[DBR_TOKEN_SGL_OFF]	= "off",
};

static int dbr_token_sgl_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(dbr_token_sgl_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(*(int *)kp->arg, i);
	return 0;
}

static int dbr_token_sgl_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", dbr_token_sgl_names[*(int *)kp->arg]);
}

static const struct kernel_param_ops dbr_token_sgl_ops = {
	.set = dbr_token_sgl_set,
	.get = dbr_token_sgl_get,
};

int dbr_token_sgl = DBR_TOKEN_SGL_AUTO;
module_param_cb(token_sgl, &dbr_token_sgl_ops, &dbr_token_sgl, 0644);
MODULE_PARM_DESC(token_sgl,
		 "Token requests: auto (SGLs where supported), force (SGLs or fail), off (PRPs computed from the runs)");

bool dbr_use_sgl_param = true;
module_param_named(use_sgl, dbr_use_sgl_param, bool, 0444);
MODULE_PARM_DESC(use_sgl, "Use SGLs on controllers that support them (false: PRPs only)");

bool dbr_shadow_doorbell = true;
module_param_named(shadow_doorbell, dbr_shadow_doorbell, bool, 0444);
MODULE_PARM_DESC(shadow_doorbell,
		 "Use shadow doorbells (Doorbell Buffer Config) on controllers that support them");

static int dbr_timeout_set(const char *val, const struct kernel_param *kp)
{
	return dbr_param_set_uint(val, kp, 1, 600);
}

static const struct kernel_param_ops dbr_timeout_ops = {
	.set = dbr_timeout_set,
	.get = param_get_uint,
};

static int dbr_bounce_pct_set(const char *val, const struct kernel_param *kp)
{
	return dbr_param_set_uint(val, kp, 0, 50);
}

static const struct kernel_param_ops dbr_bounce_pct_ops = {
	.set = dbr_bounce_pct_set,
	.get = param_get_uint,
};

unsigned int dbr_token_bounce_pct = 12;
module_param_cb(token_bounce_pct, &dbr_bounce_pct_ops, &dbr_token_bounce_pct, 0644);
MODULE_PARM_DESC(token_bounce_pct,
		 "Share of the swiotlb bounce pool that premapped tokens may hold, percent, 0..50 (beyond it: ENOBUFS)");

unsigned int dbr_admin_timeout = 60;
module_param_cb(admin_timeout, &dbr_timeout_ops, &dbr_admin_timeout, 0644);
MODULE_PARM_DESC(admin_timeout, "Admin command timeout in seconds, 1..600");

unsigned int dbr_io_timeout = 30;
module_param_cb(io_timeout, &dbr_timeout_ops, &dbr_io_timeout, 0644);
MODULE_PARM_DESC(io_timeout, "I/O command timeout in seconds, 1..600");
