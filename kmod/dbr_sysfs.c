// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs attributes of /sys/class/dmabridge/dmabridge<C>: what the
 * controller is and how dmabridge drives it; and of its namespaces' disks
 * (/sys/block/dmabridge<C>n<N>, whose device/ is the controller). Where
 * the stock nvme driver has an attribute of the same meaning, the name and
 * format are its own (model, serial, firmware_rev, transport, address,
 * state; wwid, nguid, eui, uuid, nsid): udev rules, lsblk and blktests read
 * them by name.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/string.h>
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

/* The stock driver's name for the same: the PCI function. */
static ssize_t address_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return pci_address_show(dev, attr, buf);
}
static DEVICE_ATTR_RO(address);

static ssize_t transport_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "pcie\n");
}
static DEVICE_ATTR_RO(transport);

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
	&dev_attr_address.attr,
	&dev_attr_transport.attr,
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

/* ---- namespace disks ---------------------------------------------------- */

static struct dbr_ns *dbr_dev_ns(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

/*
 * The namespace's world-wide name, in the stock driver's format: the UUID,
 * NGUID or EUI-64 the controller reports, else one made of the PCI vendor,
 * serial number, model and namespace id.
 */
static ssize_t wwid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct dbr_ns *ns = dbr_dev_ns(dev);
	struct dbr_ctrl_info *id = &ns->ctrl->id;

	if (!uuid_is_null(&ns->uuid))
		return sysfs_emit(buf, "uuid.%pU\n", &ns->uuid);
	if (memchr_inv(ns->nguid, 0, sizeof(ns->nguid)))
		return sysfs_emit(buf, "eui.%16phN\n", ns->nguid);
	if (memchr_inv(ns->eui64, 0, sizeof(ns->eui64)))
		return sysfs_emit(buf, "eui.%8phN\n", ns->eui64);
	return sysfs_emit(buf, "nvme.%04x-%*phN-%*phN-%08x\n", id->vid,
			  (int)strlen(id->serial), id->serial,
			  (int)strlen(id->model), id->model, ns->nsid);
}
static DEVICE_ATTR_RO(wwid);

static ssize_t nguid_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%pU\n", dbr_dev_ns(dev)->nguid);
}
static DEVICE_ATTR_RO(nguid);

static ssize_t eui_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%8ph\n", dbr_dev_ns(dev)->eui64);
}
static DEVICE_ATTR_RO(eui);

static ssize_t uuid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pU\n", &dbr_dev_ns(dev)->uuid);
}
static DEVICE_ATTR_RO(uuid);

static ssize_t nsid_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n", dbr_dev_ns(dev)->nsid);
}
static DEVICE_ATTR_RO(nsid);

static struct attribute *dbr_ns_attrs[] = {
	&dev_attr_wwid.attr,
	&dev_attr_nguid.attr,
	&dev_attr_eui.attr,
	&dev_attr_uuid.attr,
	&dev_attr_nsid.attr,
	NULL,
};

/* An identifier the controller does not report has no file. */
static umode_t dbr_ns_attr_visible(struct kobject *kobj, struct attribute *a,
				   int n)
{
	struct dbr_ns *ns = dbr_dev_ns(kobj_to_dev(kobj));

	if (a == &dev_attr_nguid.attr &&
	    !memchr_inv(ns->nguid, 0, sizeof(ns->nguid)))
		return 0;
	if (a == &dev_attr_eui.attr &&
	    !memchr_inv(ns->eui64, 0, sizeof(ns->eui64)))
		return 0;
	if (a == &dev_attr_uuid.attr && uuid_is_null(&ns->uuid))
		return 0;
	return a->mode;
}

static const struct attribute_group dbr_ns_group = {
	.attrs = dbr_ns_attrs,
	.is_visible = dbr_ns_attr_visible,
};

const struct attribute_group *dbr_ns_groups[] = {
	&dbr_ns_group,
	NULL,
};

const struct attribute_group *dbr_ctrl_groups[] = {
	&dbr_ctrl_group,
	&dbr_stats_group,
	NULL,
};
