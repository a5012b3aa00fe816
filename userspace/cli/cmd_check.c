// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dmabridge check: the doctor. One line per finding, OK, WARN or FAIL,
 * with a one-line fix where there is one; the exit status is the worst
 * (0 OK, 1 WARN, 3 FAIL). What it looks at, in order: the module and its
 * ABI (through libdmabridge, as an application would see it); each NVMe
 * controller, its driver and whether it is safe to bind; SGL support;
 * the IOMMU and swiotlb; dma-buf exporters (udmabuf, vgem, Vulkan
 * devices); every mounted filesystem on a block device, and whether the
 * direct path serves it (the library's rule and reasons); whether this
 * is a container or a VM, and what that hides.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <dmabridge/dmabridge.h>
#include <linux/dmabridge.h>

#include "cli.h"
#include "dbuf.h"
#include "report.h"
#include "sys.h"
#include "vk.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif

enum { ST_OK, ST_WARN, ST_FAIL };
static const char *const st_name[] = { "OK", "WARN", "FAIL" };

struct chk {
	struct out *o;
	int worst;
	unsigned int count[3];
};

/* one finding: status, area, subject, message; fix may be NULL */
static void item(struct chk *k, int st, const char *area, const char *subject,
		 const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void item(struct chk *k, int st, const char *area, const char *subject,
		 const char *fix, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st > k->worst)
		k->worst = st;
	k->count[st]++;
	out_obj(k->o, NULL);
	out_str(k->o, "status", st_name[st]);
	out_str(k->o, "area", area);
	out_str(k->o, "subject", subject);
	out_str(k->o, "message", msg);
	if (fix)
		out_note(k->o, "fix", fix);
	else if (out_format(k->o) == OUT_FMT_JSON)
		out_null(k->o, "fix");
	out_end(k->o);
}

/* ---- the module ---------------------------------------------------------- */

static uint32_t check_module(struct chk *k, struct dmab_settings *s)
{
	struct dmab_ctx_opts o = { .size = sizeof(o), .set = DMAB_OPT_NO_ENV };
	struct dmab_ctx *ctx;
	bool loaded = access("/sys/module/dmabridge", F_OK) == 0;
	char fix[256];
	int ret;

	memset(s, 0, sizeof(*s));
	ret = dmab_ctx_new(&o, &ctx);
	if (ret) {
		item(k, ST_FAIL, "module", "libdmabridge", NULL,
		     "the library cannot make a context: %s", strerror(-ret));
		s->module_reason = DMAB_REASON_NO_MODULE;
		return s->module_reason;
	}
	dmab_ctx_settings(ctx, s);
	dmab_ctx_free(ctx);
	switch (s->module_reason) {
	case DMAB_REASON_NONE:
		item(k, ST_OK, "module", "dmabridge", NULL,
		     "loaded, %s open, ABI %u.%u (this command speaks %u.%u)", s->ctl_path,
		     s->abi_major, s->abi_minor, DMABRIDGE_ABI_MAJOR, DMABRIDGE_ABI_MINOR);
		break;
	case DMAB_REASON_NO_MODULE:
		if (loaded)
			item(k, ST_FAIL, "module", "dmabridge",
			     "create it: the module makes it (devtmpfs), or mknod from /sys/class/misc/dmabridge/dev",
			     "loaded, but there is no %s", s->ctl_path);
		else
			item(k, ST_FAIL, "module", "dmabridge",
			     "modprobe dmabridge (from a source tree: insmod kmod/.out/$(uname -r)/dmabridge.ko)",
			     "not loaded: every read takes the compat path (%s)",
			     dmab_strerror(DMAB_REASON_NO_MODULE));
		break;
	case DMAB_REASON_CTL_ACCESS:
		snprintf(fix, sizeof(fix),
			 "run as root, or as a member of the group the udev rule gives %s to",
			 s->ctl_path);
		item(k, ST_FAIL, "module", "dmabridge", fix,
		     "loaded, but %s cannot be opened by this user (uid %u)", s->ctl_path,
		     (unsigned int)getuid());
		break;
	case DMAB_REASON_ABI_MISMATCH:
		item(k, ST_FAIL, "module", "dmabridge",
		     "install the module and libdmabridge from the same release",
		     "ABI mismatch: the module speaks %u.%u, this library %u.x",
		     s->abi_major, s->abi_minor, DMABRIDGE_ABI_MAJOR);
		break;
	default:
		item(k, ST_FAIL, "module", "dmabridge", NULL, "unusable: %s",
		     dmab_strerror((int)s->module_reason));
	}
	return s->module_reason;
}

/* ---- controllers ----------------------------------------------------------- */

static void users_text(const struct sys_ctrl *c, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < c->nusers && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s %s (%s)",
					 i ? ", " : "", c->users[i].kind,
					 c->users[i].what, c->users[i].dev);
}

static bool has_root_mount(const struct sys_ctrl *c)
{
	unsigned int i;

	for (i = 0; i < c->nusers; i++)
		if (!strcmp(c->users[i].kind, "mount") &&
		    (!strcmp(c->users[i].what, "/") || !strcmp(c->users[i].what, "/boot") ||
		     !strcmp(c->users[i].what, "/usr")))
			return true;
	return false;
}

static void check_controllers(struct chk *k, struct sys_ctrl *c, unsigned int n)
{
	char users[1024], fix[256], disks[256];
	unsigned int i, j, bound = 0;
	size_t used;

	if (!n) {
		item(k, ST_FAIL, "controller", "-",
		     "dmabridge needs an NVMe controller it can own: a spare drive or an SR-IOV VF",
		     "no NVMe controller (PCI class 010802) on this machine");
		return;
	}
	for (i = 0; i < n; i++) {
		used = 0;
		disks[0] = 0;
		for (j = 0; j < c[i].ndisks && used < sizeof(disks); j++)
			if (!c[i].disks[j].partition)
				used += (size_t)snprintf(disks + used, sizeof(disks) - used, "%s%s",
							 used ? ", " : "", c[i].disks[j].name);
		users_text(&c[i], users, sizeof(users));
		if (!strcmp(c[i].driver, "dmabridge")) {
			bound++;
			if (strcmp(c[i].state, "live")) {
				snprintf(fix, sizeof(fix), "dmabridge unbind %s && dmabridge bind %s",
					 c[i].bdf, c[i].bdf);
				item(k, ST_FAIL, "controller", c[i].bdf, fix,
				     "bound to dmabridge (%s) but %s", c[i].name, c[i].state);
			} else {
				item(k, ST_OK, "controller", c[i].bdf, NULL,
				     "bound to dmabridge as %s, %s: disks %s", c[i].name,
				     c[i].model, disks[0] ? disks : "none");
			}
			continue;
		}
		if (c[i].nusers) {
			snprintf(fix, sizeof(fix), has_root_mount(&c[i]) ?
				 "keep it: the system runs from it; bind a spare controller" :
				 "stop its users first (umount, swapoff, vgchange -an, mdadm --stop), then dmabridge bind %s",
				 c[i].bdf);
			item(k, ST_WARN, "controller", c[i].bdf, fix,
			     "on %s (%s), %s, not safe to bind: in use: %s",
			     c[i].driver[0] ? c[i].driver : "no driver",
			     c[i].name[0] ? c[i].name : "-", c[i].model, users);
		} else {
			snprintf(fix, sizeof(fix), "dmabridge bind %s", c[i].bdf);
			item(k, ST_OK, "controller", c[i].bdf, bound ? NULL : fix,
			     "on %s (%s), %s, no users: safe to bind",
			     c[i].driver[0] ? c[i].driver : "no driver",
			     c[i].name[0] ? c[i].name : "-", c[i].model);
		}
	}
	if (!bound)
		item(k, ST_WARN, "controller", "-",
		     "dmabridge bind BDF, with a controller check calls safe to bind",
		     "no controller is bound to dmabridge: no file can take the direct path");
}

static void check_sgl(struct chk *k, struct sys_ctrl *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (c[i].sgl_supported < 0 && !c[i].name[0]) {
			item(k, ST_OK, "sgl", c[i].bdf, NULL,
			     "unknown until a driver binds it (Identify goes through the driver)");
		} else if (c[i].sgl_supported < 0) {
			item(k, ST_WARN, "sgl", c[i].bdf, "run check as root (Identify Controller)",
			     "unknown: Identify Controller needs CAP_SYS_ADMIN and the controller's character device");
		} else if (!c[i].sgl_supported) {
			item(k, ST_WARN, "sgl", c[i].bdf,
			     "a controller with SGL support serves any buffer layout",
			     "no SGL support: token requests are built with PRPs, so every run of a buffer must be page-aligned inside a request");
		} else if (c[i].sgl_in_use == 0) {
			item(k, ST_WARN, "sgl", c[i].bdf, "reload dmabridge with use_sgl=1",
			     "SGLs supported but not used (use_sgl=0): PRPs only");
		} else {
			item(k, ST_OK, "sgl", c[i].bdf, NULL, "SGLs supported%s",
			     c[i].sgl_in_use == 1 ? " and used by dmabridge" : "");
		}
	}
}

/* ---- IOMMU and swiotlb ----------------------------------------------------- */

static void check_iommu(struct chk *k, struct sys_ctrl *c, unsigned int n)
{
	struct sys_iommu io;
	const char *bdf = NULL;
	unsigned int i;
	uint64_t pct = 0;

	for (i = 0; i < n && !bdf; i++)
		if (!strcmp(c[i].driver, "dmabridge"))
			bdf = c[i].bdf;
	if (!bdf && n)
		bdf = c[0].bdf;
	sys_iommu(bdf, &io);
	if (!strcmp(io.mode, "off"))
		item(k, ST_OK, "iommu", bdf ? bdf : "-", NULL,
		     "off: devices see physical addresses; peer-to-peer needs only the PCIe topology");
	else if (!strcmp(io.mode, "passthrough"))
		item(k, ST_OK, "iommu", bdf ? bdf : "-", NULL,
		     "on, the controller in pass-through (identity) mode");
	else if (!strcmp(io.mode, "lazy"))
		item(k, ST_OK, "iommu", bdf ? bdf : "-", NULL,
		     "on, lazy (DMA-FQ): tokens are mapped once, unmaps flushed in batches");
	else if (!strcmp(io.mode, "strict"))
		item(k, ST_OK, "iommu", bdf ? bdf : "-", NULL,
		     "on, strict (DMA): tokens are mapped once, so the direct path pays no per-request IOMMU cost; ordinary I/O does");
	else
		item(k, ST_WARN, "iommu", bdf ? bdf : "-",
		     "give the controller back to the kernel's DMA domain (not VFIO)",
		     "on, the controller's group is of type %s", io.group_type);
	if (io.swiotlb_forced) {
		sys_read_u64("/sys/module/dmabridge/parameters/token_bounce_pct", &pct);
		item(k, ST_WARN, "swiotlb", "-",
		     !strcmp(io.swiotlb_why, "swiotlb=force") ?
		     "remove swiotlb=force from the kernel command line" :
		     "nothing to fix in a confidential guest: expect the compat path's speed",
		     "every streaming DMA bounces (%s): tokens may hold only token_bounce_pct (%llu%%) of the pool, the rest goes compat (bounce-share), and peer-to-peer into device memory is impossible",
		     io.swiotlb_why, (unsigned long long)pct);
	} else {
		item(k, ST_OK, "swiotlb", "-", NULL, "not forced: DMA bounces only for devices that need it");
	}
}

/* ---- exporters --------------------------------------------------------------- */

static void check_exporters(struct chk *k, bool vulkan)
{
	struct vk_dev devs[16];
	unsigned int n = 0, i, exporting = 0;
	char err[256], card[32];
	uint64_t limit;
	int fd, ret;

	fd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		limit = dbuf_udmabuf_limit();
		item(k, ST_OK, "exporter", "udmabuf", NULL,
		     "/dev/udmabuf: buffers of memfd pages, up to %llu MiB each",
		     (unsigned long long)(limit >> 20));
		exporting++;
	} else if (errno == ENOENT) {
		item(k, ST_WARN, "exporter", "udmabuf",
		     "modprobe udmabuf (CONFIG_UDMABUF; Debian's 6.1 kernel has none)",
		     "no /dev/udmabuf: cp --to udmabuf and bench's udmabuf cells cannot run");
	} else {
		item(k, ST_WARN, "exporter", "udmabuf", "run as root, or chmod /dev/udmabuf",
		     "/dev/udmabuf: %s", strerror(errno));
	}
	if (!dbuf_vgem_card(card, sizeof(card))) {
		item(k, ST_OK, "exporter", "vgem", NULL, "%s: vgem's dumb buffers", card);
		exporting++;
	} else {
		item(k, ST_OK, "exporter", "vgem", NULL,
		     "not loaded (a test exporter; modprobe vgem to use it)");
	}
	if (!vulkan) {
		item(k, ST_OK, "exporter", "vulkan", NULL, "not looked at (--no-vulkan)");
		return;
	}
	ret = vk_probe(devs, 16, &n, err, sizeof(err));
	if (ret == -ENOENT) {
		item(k, ST_WARN, "exporter", "vulkan",
		     "install libvulkan1 and the GPU's Vulkan driver (Mesa: mesa-vulkan-drivers)",
		     "%s: GPU memory cannot be allocated from this command", err);
	} else if (ret) {
		item(k, ST_WARN, "exporter", "vulkan", "install the GPU's Vulkan driver", "%s", err);
	} else if (!n) {
		item(k, ST_WARN, "exporter", "vulkan", "install the GPU's Vulkan driver",
		     "libvulkan found no device");
	}
	for (i = 0; i < n; i++) {
		if (devs[i].dmabuf_export) {
			item(k, ST_OK, "exporter", devs[i].name, NULL,
			     "Vulkan %s device %04x:%04x exports dma-bufs", devs[i].type,
			     devs[i].vendor, devs[i].device);
			exporting++;
		} else {
			item(k, ST_WARN, "exporter", devs[i].name,
			     "a driver with VK_EXT_external_memory_dma_buf (Mesa radv, anv, lavapipe; NVIDIA's open kernel modules)",
			     "Vulkan %s device cannot export dma-bufs: %s", devs[i].type, devs[i].why);
		}
	}
	if (!exporting)
		item(k, ST_FAIL, "exporter", "-", "modprobe udmabuf",
		     "no dma-buf exporter at all: nothing to read into");
}

/* ---- mounts ---------------------------------------------------------------- */

/* The library's rule (docs/library.md, "The file decision") for a mount
 * point; the would-buffer step from the mount's options, as statx() does
 * not report direct-I/O alignment for directories. */
static uint32_t mount_reason(const struct sys_mount *m, const char *dev,
			     uint32_t module_reason, const char *superopts)
{
	struct statfs sfs;
	char name[32];

	snprintf(name, sizeof(name), "%s", dev);
	if (strncmp(name, "dmabridge", 9) || !strchr(name + 9, 'n'))
		return DMAB_REASON_NOT_DMABRIDGE_DEV;
	if (module_reason != DMAB_REASON_NONE)
		return module_reason;
	if (statfs(m->target, &sfs) ||
	    (sfs.f_type != EXT4_SUPER_MAGIC && sfs.f_type != XFS_SUPER_MAGIC))
		return DMAB_REASON_FS_NOT_SERVED;
	if (strstr(superopts, "data=journal"))
		return DMAB_REASON_WOULD_BUFFER;
	return DMAB_REASON_NONE;
}

static void superopts_of(const char *target, char *buf, size_t len)
{
	char line[4096], mp[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), fs[64], src[512], opts[1024];

		if (sscanf(line, "%*u %*u %*s %*s %1023s", mp) != 1 || strcmp(mp, target) ||
		    !sep || sscanf(sep + 3, "%63s %511s %1023s", fs, src, opts) != 3)
			continue;
		snprintf(buf, len, "%s", opts);
	}
	fclose(f);
}

static void check_mounts(struct chk *k, uint32_t module_reason)
{
	struct sys_mount *m = NULL;
	unsigned int n = 0, i, served = 0, ondbr = 0;
	char dev[64], subject[300], opts[1024];
	uint32_t r;
	int ret = sys_mounts(&m, &n);

	if (ret) {
		item(k, ST_WARN, "mount", "-", NULL, "cannot read /proc/self/mountinfo: %s",
		     strerror(-ret));
		return;
	}
	for (i = 0; i < n; i++) {
		sys_blkname(m[i].major, m[i].minor, dev, sizeof(dev));
		/* btrfs: an anonymous device; the source names the disk */
		if (!dev[0] && !strncmp(m[i].source, "/dev/", 5) && m[i].major == 0)
			snprintf(dev, sizeof(dev), "%s", m[i].source + 5);
		if (!dev[0])
			continue;		/* not on a block device */
		superopts_of(m[i].target, opts, sizeof(opts));
		r = mount_reason(&m[i], dev, module_reason, opts);
		snprintf(subject, sizeof(subject), "%s", m[i].target);
		if (r == DMAB_REASON_NONE) {
			served++;
			ondbr++;
			item(k, ST_OK, "mount", subject, NULL, "%s on %s: direct path",
			     m[i].fstype, dev);
		} else if (r == DMAB_REASON_FS_NOT_SERVED) {
			ondbr++;
			item(k, ST_WARN, "mount", subject,
			     "put the files on ext4 or xfs on the dmabridge disk",
			     "%s on %s: compat path, %s (%s)", m[i].fstype, dev,
			     dmab_reason_name((int)r), dmab_strerror((int)r));
		} else if (r == DMAB_REASON_WOULD_BUFFER) {
			ondbr++;
			item(k, ST_WARN, "mount", subject, "mount it without data=journal",
			     "%s on %s: compat path, %s (%s)", m[i].fstype, dev,
			     dmab_reason_name((int)r), dmab_strerror((int)r));
		} else {
			/* expected for every disk not given to dmabridge */
			item(k, ST_OK, "mount", subject, NULL, "%s on %s: compat path, %s (%s)",
			     m[i].fstype, dev, dmab_reason_name((int)r), dmab_strerror((int)r));
		}
	}
	free(m);
	if (!served && module_reason == DMAB_REASON_NONE)
		item(k, ST_WARN, "mount", "-",
		     ondbr ? "use ext4 or xfs without data=journal on the dmabridge disk" :
		     "mkfs.ext4 (or mkfs.xfs) on a dmabridge disk and mount it; raw disks are served too",
		     "no mounted filesystem is served by the direct path");
}

/* ---- environment --------------------------------------------------------------- */

static void check_environment(struct chk *k)
{
	struct sys_virt v;

	sys_virt(&v);
	if (v.container[0])
		item(k, ST_WARN, "environment", "container",
		     "load the module and bind on the host; pass /dev/dmabridge, the disks and /dev/udmabuf or /dev/dri into the container",
		     "in a container (%s): modules cannot be loaded and controllers not bound from here, and /sys and /dev show only what the runtime passes in",
		     v.container);
	if (v.vm[0])
		item(k, ST_WARN, "environment", "vm",
		     "run dmabridge check on the host too; pass the NVMe controller and the GPU through (VFIO), behind one PCIe switch for peer-to-peer",
		     "in a virtual machine (%s): the NVMe controller, the IOMMU and the PCIe topology are emulated or passed through, and whether devices can reach each other peer-to-peer is decided by the host, which this guest cannot see; throughput here is the emulator's",
		     v.vm);
	if (!v.container[0] && !v.vm[0])
		item(k, ST_OK, "environment", "host", NULL,
		     "neither a container nor a VM detected");
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-vulkan", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct chk k = { .o = cli->out };
	struct dmab_settings s;
	struct sys_ctrl *c = NULL;
	unsigned int n = 0;
	bool vulkan = true;
	uint32_t mr;
	int ch, ret;

	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'N') {
			vulkan = false;
			continue;
		}
		if ((ret = cli_getopt_common(cli, ch, argc, argv)) >= 0)
			return ret;
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	sys_controllers(&c, &n);
	out_obj(k.o, NULL);
	out_list(k.o, "checks", OUT_ROWS);
	mr = check_module(&k, &s);
	check_controllers(&k, c, n);
	check_sgl(&k, c, n);
	check_iommu(&k, c, n);
	check_exporters(&k, vulkan);
	check_mounts(&k, mr);
	check_environment(&k);
	out_end(k.o);
	out_obj(k.o, "module");
	out_bool(k.o, "loaded", access("/sys/module/dmabridge", F_OK) == 0);
	out_str(k.o, "state", mr == DMAB_REASON_NONE ? "usable" : dmab_reason_name((int)mr));
	out_u64(k.o, "abi_major", s.abi_major);
	out_u64(k.o, "abi_minor", s.abi_minor);
	out_end(k.o);
	out_obj(k.o, "summary");
	out_u64(k.o, "ok", k.count[ST_OK]);
	out_u64(k.o, "warn", k.count[ST_WARN]);
	out_u64(k.o, "fail", k.count[ST_FAIL]);
	out_str(k.o, "worst", st_name[k.worst]);
	out_end(k.o);
	out_end(k.o);
	free(c);
	return k.worst == ST_FAIL ? 3 : k.worst == ST_WARN ? 1 : 0;
}
