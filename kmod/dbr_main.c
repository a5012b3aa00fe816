// SPDX-License-Identifier: GPL-2.0
/*
 * dmabridge: an NVMe PCIe driver that moves file data between NVMe and
 * dma-bufs. Module entry points only; each concept lives in its own file.
 */
#include <linux/module.h>

#include "compat.h"
#include "dbr.h"
#include "dbr_io.h"

static int __init dbr_init(void)
{
	int ret;

	ret = dbr_uapi_init();
	if (ret)
		return ret;
	ret = dbr_pci_init();
	if (ret) {
		dbr_uapi_exit();
		return ret;
	}
	pr_info(DBR_DRV_NAME ": loaded\n");
	return 0;
}

static void __exit dbr_exit(void)
{
	dbr_pci_exit();
	dbr_uapi_exit();
	dbr_io_exit();
	pr_info(DBR_DRV_NAME ": unloaded\n");
}

module_init(dbr_init);
module_exit(dbr_exit);

MODULE_DESCRIPTION("NVMe <-> dma-buf file data mover");
MODULE_AUTHOR("The dmabridge developers");
MODULE_LICENSE("GPL");
