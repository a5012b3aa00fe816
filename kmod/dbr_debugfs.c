// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs: testing knobs that do not belong in the module's parameters.
 *
 *   /sys/kernel/debug/dmabridge/dmabridge<C>/drop_completions
 *
 * drop_completions: the controller's next N I/O completions are ignored,
 * so their commands time out (QEMU cannot lose a command); it counts down
 * as completions are dropped. Per controller, root only, and absent where
 * the kernel has no debugfs, in which case nothing here has any effect.
 */
#include <linux/debugfs.h>

#include "dbr.h"
#include "dbr_nvme.h"

static struct dentry *dbr_debugfs_root;

void dbr_debugfs_init(void)
{
	dbr_debugfs_root = debugfs_create_dir(DBR_DRV_NAME, NULL);
}

void dbr_debugfs_exit(void)
{
	debugfs_remove(dbr_debugfs_root);
}

/**
 * dbr_debugfs_add() - the controller's directory, once it has its name
 * @ctrl: controller (its ctrl_dev named, dbr_pt_add())
 */
void dbr_debugfs_add(struct dbr_ctrl *ctrl)
{
	ctrl->debugfs = debugfs_create_dir(dev_name(&ctrl->ctrl_dev),
					   dbr_debugfs_root);
	debugfs_create_u32("drop_completions", 0600, ctrl->debugfs,
			   &ctrl->drop_completions);
}

/*
 * Before the controller goes: returns once no file operation on the
 * directory runs any more.
 */
void dbr_debugfs_del(struct dbr_ctrl *ctrl)
{
	debugfs_remove(ctrl->debugfs);
	ctrl->debugfs = NULL;
}

/**
 * dbr_debugfs_drop_completion() - consume one of drop_completions
 * @ctrl: controller whose queue saw a completion (interrupt context)
 *
 * Return: true if this completion is to be ignored.
 */
bool dbr_debugfs_drop_completion(struct dbr_ctrl *ctrl)
{
	u32 n = READ_ONCE(ctrl->drop_completions), old;

	while (n) {
		old = cmpxchg(&ctrl->drop_completions, n, n - 1);
		if (old == n)
			return true;
		n = old;
	}
	return false;
}
