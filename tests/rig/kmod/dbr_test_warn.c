// SPDX-License-Identifier: GPL-2.0
/*
 * Rig self-test: loading this module with warn=1 triggers a real kernel
 * WARNING, which tests/vm/run must turn into a failed run. With warn=0 it
 * loads silently, proving that the failure comes from the warning.
 */
#include <linux/bug.h>
#include <linux/module.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "Trigger a WARN() at load time");

static int __init dbr_test_warn_init(void)
{
	WARN(warn, "dbr_test_warn: warning requested by the rig self-test\n");
	return 0;
}

static void __exit dbr_test_warn_exit(void)
{
}

module_init(dbr_test_warn_init);
module_exit(dbr_test_warn_exit);
MODULE_DESCRIPTION("dmabridge rig self-test: triggers a WARNING on request");
MODULE_LICENSE("GPL");
