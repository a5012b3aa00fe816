/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the dmabridge command reads about the machine: NVMe controllers
 * and their namespaces (sysfs, and Identify through the controller's
 * character device), who uses a disk (mounts, swap, device-mapper/LVM and
 * MD holders, exclusive opens), mount points, the IOMMU and swiotlb, and
 * whether this is a container or a VM. Paths are under sys_root() ("" in
 * use; the unit tests may point it elsewhere).
 */
#ifndef DMABRIDGE_CLI_SYS_H
#define DMABRIDGE_CLI_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SYS_MAX_NS	16
#define SYS_MAX_PARTS	32
#define SYS_MAX_USERS	32

struct sys_user {
	char kind[8];		/* mount, swap, lvm, dm, md, holder, open */
	char dev[32];		/* the disk or partition used */
	char what[192];		/* mount point, swap file, holder name */
};

struct sys_disk {
	char name[32];		/* nvme0n1, dmabridge0n1, dmabridge0n1p2 */
	uint32_t major, minor;
	uint64_t size;		/* bytes */
	uint32_t nsid;		/* 0 for a partition */
	uint32_t lbs;		/* logical block size */
	bool partition;
};

struct sys_ctrl {
	char bdf[16];
	char driver[32];	/* "" when none */
	char override[32];	/* driver_override, "" when none */
	char name[32];		/* nvme0, dmabridge0, "" when none */
	char model[64], serial[32], firmware[16];
	uint16_t vendor, device;
	int sgl_supported;	/* Identify SGLS: 1, 0, -1 unknown */
	int sgl_in_use;		/* dmabridge's sgl_support attribute, -1 n/a */
	char state[16];		/* dmabridge's state attribute */
	uint32_t queue_count;
	unsigned int ndisks;	/* namespaces first, then their partitions */
	struct sys_disk disks[SYS_MAX_NS + SYS_MAX_PARTS];
	unsigned int nusers;
	struct sys_user users[SYS_MAX_USERS];
};

/* every NVMe controller (PCI class 0x010802), sorted by address */
int sys_controllers(struct sys_ctrl **ctrls, unsigned int *n);
/* one, by address: -ENODEV if there is no such PCI device, -ENOTTY if it
 * is not an NVMe controller */
int sys_controller(const char *bdf, struct sys_ctrl *c);

/* seconds: monotonic clock; this process's user + system CPU time */
double sys_now(void);
double sys_cpu_now(void);

const char *sys_root(void);
void sys_set_root(const char *root);
/* a sysfs-style file's first line, trimmed; -errno */
int sys_read(const char *path, char *buf, size_t len);
int sys_readf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sys_read_u64(const char *path, uint64_t *v);
int sys_write(const char *path, const char *s);

struct sys_mount {
	char target[256];
	char fstype[32];
	char source[128];
	char options[256];
	uint32_t major, minor;
};
int sys_mounts(struct sys_mount **m, unsigned int *n);
/* the block device name of major:minor ("" if none) */
void sys_blkname(uint32_t major, uint32_t minor, char *name, size_t len);

struct sys_iommu {
	bool present;		/* an IOMMU translates DMA for some device */
	char mode[16];		/* off, passthrough, lazy, strict, other */
	char group_type[16];	/* of the controller asked about, "" if none */
	bool swiotlb_forced;
	char swiotlb_why[64];	/* "swiotlb=force", "TDX guest", ... */
};
void sys_iommu(const char *bdf, struct sys_iommu *io);

struct sys_virt {
	char vm[64];		/* "" or the hypervisor / product */
	char container[64];	/* "" or docker, podman, lxc, ... */
};
void sys_virt(struct sys_virt *v);

#endif
