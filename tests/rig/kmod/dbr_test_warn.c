// SPDX-License-Identifier: GPL-2.0
/*
 * Rig self-test: loading this module with warn=1 triggers a real kernel
 * WARNING, which tests/vm/run must turn into a failed run. With warn=0 it
 * loads silently, proving that the failure comes from the warning.
 *
 * provoke=<kind> commits exactly one bug of that kind at load time, for the
 * debug kernel's checkers (6.12-debug: tests/rig/debug-report.sh):
 *   kasan    an out-of-bounds read of a kmalloc()ed object    (KASAN)
 *   lockdep  two mutexes taken in both orders, an AB-BA       (lockdep)
 *   sleep    a GFP_KERNEL allocation under a spinlock         (atomic sleep)
 *   rcu      rcu_dereference() outside any RCU read section   (PROVE_RCU)
 *   dma      a dma_unmap_single() with the wrong size         (DMA-API debug)
 *   leak     a kmalloc()ed object whose last pointer is lost  (kmemleak)
 * Nothing else: no other report may come from loading it.
 */
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "Trigger a WARN() at load time");

static char *provoke = "";
module_param(provoke, charp, 0444);
MODULE_PARM_DESC(provoke,
		 "Commit one bug at load time: kasan, lockdep, sleep, rcu, dma or leak");

static noinline void dbr_test_kasan(void)
{
	size_t size = 13;
	char *p;

	p = kmalloc(size, GFP_KERNEL);
	if (!p)
		return;
	/* hide the index, or the compiler sees the overflow too */
	OPTIMIZER_HIDE_VAR(size);
	pr_info("dbr_test_warn: reading byte %zu of a %zu-byte object\n", size, size);
	pr_info("dbr_test_warn: read %d\n", READ_ONCE(p[size]));
	kfree(p);
}

static DEFINE_MUTEX(dbr_test_lock_a);
static DEFINE_MUTEX(dbr_test_lock_b);

static noinline void dbr_test_lockdep(void)
{
	/* A then B, then B then A: one thread, so no deadlock, but lockdep
	 * records A -> B and reports the inversion at B -> A. */
	mutex_lock(&dbr_test_lock_a);
	mutex_lock(&dbr_test_lock_b);
	mutex_unlock(&dbr_test_lock_b);
	mutex_unlock(&dbr_test_lock_a);
	mutex_lock(&dbr_test_lock_b);
	mutex_lock(&dbr_test_lock_a);
	mutex_unlock(&dbr_test_lock_a);
	mutex_unlock(&dbr_test_lock_b);
}

static DEFINE_SPINLOCK(dbr_test_spin);

static noinline void dbr_test_sleep(void)
{
	void *p;

	spin_lock(&dbr_test_spin);
	p = kmalloc(64, GFP_KERNEL);	/* may sleep: the bug */
	spin_unlock(&dbr_test_spin);
	kfree(p);
}

static int dbr_test_rcu_val = 1;
static int __rcu *dbr_test_rcu_ptr = (int __rcu *)&dbr_test_rcu_val;

static noinline void dbr_test_rcu(void)
{
	int *p = rcu_dereference(dbr_test_rcu_ptr);	/* no rcu_read_lock() */

	pr_info("dbr_test_warn: rcu value %d\n", *p);
}

static void *dbr_test_leaked;

static noinline void dbr_test_leak(void)
{
	char *p = kmalloc(128, GFP_KERNEL);

	if (!p)
		return;
	memset(p, 0xdb, 128);
	/* through a global, then dropped: the compiler keeps the allocation */
	WRITE_ONCE(dbr_test_leaked, p);
	WRITE_ONCE(dbr_test_leaked, NULL);
}

/*
 * The DMA-API check needs a device with a driver: vm/run boots the debug
 * kernel with dma_debug_driver=dmabridge, which reports DMA-API errors of
 * devices bound to a driver of that name only. So the faux device here is
 * bound to a platform driver called "dmabridge" (another bus than the real
 * driver's PCI one; the self-test never loads both), and the error it
 * commits is reported exactly as one of dmabridge.ko's would be.
 */
static int dbr_test_dma_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	dma_addr_t addr;
	void *buf;
	int ret;

	ret = dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	buf = kmalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	addr = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, addr)) {
		kfree(buf);
		return -EIO;
	}
	dma_unmap_single(dev, addr, 32, DMA_TO_DEVICE);	/* wrong size: the bug */
	kfree(buf);
	return 0;
}

static struct platform_driver dbr_test_dma_driver = {
	.probe = dbr_test_dma_probe,
	.driver = { .name = "dmabridge" },
};

static struct platform_device *dbr_test_dma_dev;

static int dbr_test_dma(void)
{
	int ret;

	ret = platform_driver_register(&dbr_test_dma_driver);
	if (ret)
		return ret;
	dbr_test_dma_dev = platform_device_register_simple("dmabridge", PLATFORM_DEVID_NONE,
							   NULL, 0);
	if (IS_ERR(dbr_test_dma_dev)) {
		ret = PTR_ERR(dbr_test_dma_dev);
		dbr_test_dma_dev = NULL;
		platform_driver_unregister(&dbr_test_dma_driver);
		return ret;
	}
	return 0;
}

static int __init dbr_test_warn_init(void)
{
	WARN(warn, "dbr_test_warn: warning requested by the rig self-test\n");
	if (!*provoke)
		return 0;
	/* no message naming the kind: "lockdep" alone fails a run */
	if (!strcmp(provoke, "kasan"))
		dbr_test_kasan();
	else if (!strcmp(provoke, "lockdep"))
		dbr_test_lockdep();
	else if (!strcmp(provoke, "sleep"))
		dbr_test_sleep();
	else if (!strcmp(provoke, "rcu"))
		dbr_test_rcu();
	else if (!strcmp(provoke, "dma"))
		return dbr_test_dma();
	else if (!strcmp(provoke, "leak"))
		dbr_test_leak();
	else
		return -EINVAL;
	return 0;
}

static void __exit dbr_test_warn_exit(void)
{
	if (dbr_test_dma_dev) {
		platform_device_unregister(dbr_test_dma_dev);
		platform_driver_unregister(&dbr_test_dma_driver);
	}
}

module_init(dbr_test_warn_init);
module_exit(dbr_test_warn_exit);
MODULE_DESCRIPTION("dmabridge rig self-test: triggers a WARNING or a debug-kernel report on request");
MODULE_LICENSE("GPL");
