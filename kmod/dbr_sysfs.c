// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs attributes of /sys/class/dmabridge/dmabridge<C>: what the
 * controller is and how dmabridge drives it.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "dbr_nvme.h"

static struct dbr_ctrl *dbr_dev_ctrl(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t model_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", dbr_dev_ctrl(dev)->id.model);
}
static DEVICE_ATTR_RO(model);

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n", dbr_dev_ctrl(dev)->id.serial);
}
static DEVICE_ATTR_RO(serial);

static ssize_t firmware_rev_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", dbr_dev_ctrl(dev)->id.fw_rev);
}
static DEVICE_ATTR_RO(firmware_rev);

/* "1" when requests may use SGLs (controller support and use_sgl=1). */
static ssize_t sgl_support_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", dbr_dev_ctrl(dev)->sgl);
}
static DEVICE_ATTR_RO(sgl_support);

/* "1" when the I/O queues use shadow doorbells (Doorbell Buffer Config). */
static ssize_t shadow_doorbell_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dbr_dev_ctrl(dev)->shadow_db));
}
static DEVICE_ATTR_RO(shadow_doorbell);

/* I/O queue pairs in use (the admin queue is not counted). */
static ssize_t queue_count_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dbr_dev_ctrl(dev)->nr_io_queues);
}
static DEVICE_ATTR_RO(queue_count);

/* Bound namespaces: one "<nsid> <disk name>" line each. */
static ssize_t namespaces_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct dbr_ctrl *ctrl = dbr_dev_ctrl(dev);
	struct dbr_ns *ns;
	int len = 0;

	down_read(&ctrl->ns_rwsem);
	list_for_each_entry(ns, &ctrl->namespaces, list)
		len += sysfs_emit_at(buf, len, "%u %s\n", ns->nsid,
				     ns->disk->disk_name);
	up_read(&ctrl->ns_rwsem);
	return len;
}
static DEVICE_ATTR_RO(namespaces);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	static const char * const names[] = {
		[DBR_NEW]	= "new",
		[DBR_LIVE]	= "live",
		[DBR_RESETTING]	= "resetting",
		[DBR_DELETING]	= "deleting",
		[DBR_DEAD]	= "dead",
	};

	return sysfs_emit(buf, "%s\n", names[dbr_ctrl_state(dbr_dev_ctrl(dev))]);
}
static DEVICE_ATTR_RO(state);

static ssize_t pci_address_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", pci_name(dbr_dev_ctrl(dev)->pdev));
}
static DEVICE_ATTR_RO(pci_address);

static struct attribute *dbr_ctrl_attrs[] = {
	&dev_attr_model.attr,
	&dev_attr_serial.attr,
	&dev_attr_firmware_rev.attr,
	&dev_attr_sgl_support.attr,
	&dev_attr_shadow_doorbell.attr,
	&dev_attr_queue_count.attr,
	&dev_attr_namespaces.attr,
	&dev_attr_state.attr,
	&dev_attr_pci_address.attr,
	NULL,
};

static const struct attribute_group dbr_ctrl_group = {
	.attrs = dbr_ctrl_attrs,
};

/* token_stats/: one read-only file per counter, named by dbr_stat_names */
static struct dev_ext_attribute dbr_stat_attrs[DBR_STAT_NR];
static struct attribute *dbr_stat_attr_ptrs[DBR_STAT_NR + 1];

static ssize_t dbr_stat_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct dev_ext_attribute *ea = container_of(attr, struct dev_ext_attribute,
						    attr);

	return sysfs_emit(buf, "%llu\n",
			  dbr_stat_read(&dbr_dev_ctrl(dev)->stats,
					(enum dbr_stat)(uintptr_t)ea->var));
}

static const struct attribute_group dbr_stats_group = {
	.name = "token_stats",
	.attrs = dbr_stat_attr_ptrs,
};

/**
 * dbr_sysfs_init() - build the token_stats attributes; module load, once
 */
void dbr_sysfs_init(void)
{
	int i;

	for (i = 0; i < DBR_STAT_NR; i++) {
		struct dev_ext_attribute *ea = &dbr_stat_attrs[i];

		sysfs_attr_init(&ea->attr.attr);
		ea->attr.attr.name = dbr_stat_names[i];
		ea->attr.attr.mode = 0444;
		ea->attr.show = dbr_stat_show;
		ea->var = (void *)(uintptr_t)i;
		dbr_stat_attr_ptrs[i] = &ea->attr.attr;
	}
}

const struct attribute_group *dbr_ctrl_groups[] = {
	&dbr_ctrl_group,
	&dbr_stats_group,
	NULL,
};
