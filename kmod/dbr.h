/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabridge module-internal declarations shared between files.
 */
#ifndef DBR_H
#define DBR_H

#include <linux/types.h>

#define DBR_DRV_NAME	"dmabridge"

/* dbr_uapi.c: /dev/dmabridge */
int dbr_uapi_init(void);
void dbr_uapi_exit(void);

/* dbr_pci.c: the NVMe PCIe driver */
int dbr_pci_init(void);
void dbr_pci_exit(void);

#endif /* DBR_H */
