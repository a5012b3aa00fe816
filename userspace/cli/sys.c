// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The machine as the dmabridge command sees it (sys.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nvme_ioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

static char root[PATH_MAX];

const char *sys_root(void)
{
	return root;
}

void sys_set_root(const char *r)
{
	snprintf(root, sizeof(root), "%s", r ? r : "");
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	n = strspn(s, " \t");
	if (n)
		memmove(s, s + n, strlen(s + n) + 1);
}

int sys_read(const char *path, char *buf, size_t len)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, path);
	f = fopen(p, "re");
	buf[0] = 0;
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	trim(buf);
	return 0;
}

int sys_readf(char *buf, size_t len, const char *fmt, ...)
{
	char p[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	return sys_read(p, buf, len);
}

int sys_read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;
	int ret = sys_read(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return errno || end == buf ? -EINVAL : 0;
}

int sys_write(const char *path, const char *s)
{
	char p[PATH_MAX];
	int fd, ret = 0;
	ssize_t n;

	snprintf(p, sizeof(p), "%s%s", root, path);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(s))
		ret = -EIO;
	close(fd);
	return ret;
}

/* the last component of a symlink's target */
static int link_base(const char *path, char *out, size_t len)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;
	const char *b;

	snprintf(p, sizeof(p), "%s%s", root, path);
	out[0] = 0;
	n = readlink(p, t, sizeof(t) - 1);
	if (n < 0)
		return -errno;
	t[n] = 0;
	b = strrchr(t, '/');
	snprintf(out, len, "%s", b ? b + 1 : t);
	return 0;
}

static DIR *opendir_r(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s%s", root, path);
	return opendir(p);
}

static bool exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool exists(const char *fmt, ...)
{
	char p[PATH_MAX], q[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	snprintf(q, sizeof(q), "%s%s", root, p);
	return access(q, F_OK) == 0;
}

void sys_blkname(uint32_t major, uint32_t minor, char *name, size_t len)
{
	char p[64];

	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u", major, minor);
	if (link_base(p, name, len))
		name[0] = 0;
}

/* ---- disks -------------------------------------------------------------- */

static void disk_fill(struct sys_disk *d, const char *name, const char *parent)
{
	char buf[64];
	uint64_t v;
	unsigned int ma = 0, mi = 0;

	snprintf(d->name, sizeof(d->name), "%s", name);
	if (parent)
		snprintf(buf, sizeof(buf), "/sys/block/%s/%s/size", parent, name);
	else
		snprintf(buf, sizeof(buf), "/sys/block/%s/size", name);
	if (!sys_read_u64(buf, &v))
		d->size = v * 512;
	snprintf(buf, sizeof(buf), "/sys/block/%s/queue/logical_block_size",
		 parent ? parent : name);
	if (!sys_read_u64(buf, &v))
		d->lbs = (uint32_t)v;
	if (parent)
		sys_readf(buf, sizeof(buf), "/sys/block/%s/%s/dev", parent, name);
	else
		sys_readf(buf, sizeof(buf), "/sys/block/%s/dev", name);
	if (sscanf(buf, "%u:%u", &ma, &mi) == 2) {
		d->major = ma;
		d->minor = mi;
	}
	d->partition = parent != NULL;
}

static void add_disk(struct sys_ctrl *c, const char *disk, uint32_t nsid)
{
	struct sys_disk *d;
	struct dirent *de;
	DIR *dir;
	char p[PATH_MAX];
	uint64_t v;
	unsigned int i;

	for (i = 0; i < c->ndisks; i++)
		if (!strcmp(c->disks[i].name, disk))
			return;
	if (c->ndisks >= SYS_MAX_NS + SYS_MAX_PARTS || !exists("/sys/block/%s", disk))
		return;
	d = &c->disks[c->ndisks++];
	memset(d, 0, sizeof(*d));
	disk_fill(d, disk, NULL);
	snprintf(p, sizeof(p), "/sys/block/%s/nsid", disk);
	d->nsid = nsid ? nsid : (!sys_read_u64(p, &v) ? (uint32_t)v : 0);
	snprintf(p, sizeof(p), "/sys/block/%s", disk);
	dir = opendir_r(p);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, disk, strlen(disk)) ||
		    !exists("/sys/block/%s/%s/partition", disk, de->d_name) ||
		    c->ndisks >= SYS_MAX_NS + SYS_MAX_PARTS)
			continue;
		d = &c->disks[c->ndisks++];
		memset(d, 0, sizeof(*d));
		disk_fill(d, de->d_name, disk);
	}
	closedir(dir);
}

static int cmp_disk(const void *a, const void *b)
{
	const struct sys_disk *x = a, *y = b;

	/* namespaces in nsid order, each followed by its partitions */
	if (strlen(x->name) != strlen(y->name) && !x->partition && !y->partition)
		return (int)strlen(x->name) - (int)strlen(y->name);
	return strcmp(x->name, y->name);
}

/* the disks of a stock nvme controller: /sys/class/nvme/nvmeX/nvmeXnY, or
 * with native multipath the path device nvmeXcYnZ of head nvmeXnZ */
static void nvme_disks(struct sys_ctrl *c)
{
	char p[PATH_MAX], head[32];
	struct dirent *de;
	DIR *dir;
	const char *s;

	snprintf(p, sizeof(p), "/sys/class/nvme/%s", c->name);
	dir = opendir_r(p);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		s = de->d_name;
		if (strncmp(s, "nvme", 4) || !isdigit((unsigned char)s[4]))
			continue;
		s += 4;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s == 'c') {
			const char *q = s + 1;

			while (isdigit((unsigned char)*q))
				q++;
			if (*q != 'n')
				continue;
			snprintf(head, sizeof(head), "%.*s%s", (int)(s - de->d_name),
				 de->d_name, q);
		} else if (*s == 'n') {
			snprintf(head, sizeof(head), "%s", de->d_name);
		} else {
			continue;
		}
		add_disk(c, head, 0);
	}
	closedir(dir);
}

static void dmabridge_disks(struct sys_ctrl *c)
{
	char p[PATH_MAX], line[128], disk[64];
	unsigned int nsid;
	FILE *f;

	snprintf(p, sizeof(p), "%s/sys/class/dmabridge/%s/namespaces", root, c->name);
	f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %63s", &nsid, disk) == 2)
			add_disk(c, disk, nsid);
	fclose(f);
}

/* ---- users of a disk ---------------------------------------------------- */

static void add_user(struct sys_ctrl *c, const char *kind, const char *dev,
		     const char *what)
{
	struct sys_user *u;
	unsigned int i;

	for (i = 0; i < c->nusers; i++)
		if (!strcmp(c->users[i].kind, kind) && !strcmp(c->users[i].what, what) &&
		    !strcmp(c->users[i].dev, dev))
			return;
	if (c->nusers >= SYS_MAX_USERS)
		return;
	u = &c->users[c->nusers++];
	snprintf(u->kind, sizeof(u->kind), "%s", kind);
	snprintf(u->dev, sizeof(u->dev), "%s", dev);
	snprintf(u->what, sizeof(u->what), "%s", what);
}

static void holders(struct sys_ctrl *c, const struct sys_disk *d)
{
	char p[PATH_MAX], name[128], uuid[160];
	struct dirent *de;
	DIR *dir;

	if (d->partition) {
		/* the partition's parent: the last namespace before it */
		const struct sys_disk *par = NULL;
		unsigned int i;

		for (i = 0; i < c->ndisks; i++)
			if (!c->disks[i].partition &&
			    !strncmp(d->name, c->disks[i].name, strlen(c->disks[i].name)))
				par = &c->disks[i];
		if (!par)
			return;
		snprintf(p, sizeof(p), "/sys/block/%s/%s/holders", par->name, d->name);
	} else {
		snprintf(p, sizeof(p), "/sys/block/%s/holders", d->name);
	}
	dir = opendir_r(p);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (!strncmp(de->d_name, "dm-", 3)) {
			sys_readf(name, sizeof(name), "/sys/block/%s/dm/name", de->d_name);
			sys_readf(uuid, sizeof(uuid), "/sys/block/%s/dm/uuid", de->d_name);
			add_user(c, !strncmp(uuid, "LVM-", 4) ? "lvm" : "dm", d->name,
				 name[0] ? name : de->d_name);
		} else if (!strncmp(de->d_name, "md", 2)) {
			add_user(c, "md", d->name, de->d_name);
		} else {
			add_user(c, "holder", d->name, de->d_name);
		}
	}
	closedir(dir);
}

static void unescape(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' &&
		    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
}

int sys_mounts(struct sys_mount **out, unsigned int *n)
{
	char p[PATH_MAX], line[4096];
	struct sys_mount *m = NULL, *t;
	unsigned int k = 0, cap = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s/proc/self/mountinfo", root);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mp[1024], fstype[64], src[512], opts[512], *sep;
		unsigned int ma, mi;

		if (sscanf(line, "%*u %*u %u:%u %*s %1023s", &ma, &mi, mp) != 3)
			continue;
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s %511s %511s", fstype, src, opts) < 2)
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			t = realloc(m, cap * sizeof(*m));
			if (!t) {
				free(m);
				fclose(f);
				return -ENOMEM;
			}
			m = t;
		}
		unescape(mp);
		unescape(src);
		memset(&m[k], 0, sizeof(m[k]));
		snprintf(m[k].target, sizeof(m[k].target), "%s", mp);
		snprintf(m[k].fstype, sizeof(m[k].fstype), "%s", fstype);
		snprintf(m[k].source, sizeof(m[k].source), "%s", src);
		/* per-mount options (field 6) */
		if (sscanf(line, "%*u %*u %*s %*s %*s %511s", opts) == 1)
			snprintf(m[k].options, sizeof(m[k].options), "%s", opts);
		m[k].major = ma;
		m[k].minor = mi;
		k++;
	}
	fclose(f);
	*out = m;
	*n = k;
	return 0;
}

static void users(struct sys_ctrl *c)
{
	struct sys_mount *m = NULL;
	unsigned int nm = 0, i, j;
	char p[PATH_MAX], line[1024], name[256];
	FILE *f;

	if (!sys_mounts(&m, &nm)) {
		for (i = 0; i < nm; i++)
			for (j = 0; j < c->ndisks; j++) {
				const struct sys_disk *d = &c->disks[j];

				if (d->major == m[i].major && d->minor == m[i].minor)
					add_user(c, "mount", d->name, m[i].target);
				/* btrfs: an anonymous st_dev, the source names it */
				else if (!strncmp(m[i].source, "/dev/", 5) &&
					 !strcmp(m[i].source + 5, d->name))
					add_user(c, "mount", d->name, m[i].target);
			}
		free(m);
	}
	snprintf(p, sizeof(p), "%s/proc/swaps", root);
	f = fopen(p, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			struct stat st;

			if (sscanf(line, "%255s", name) != 1 || name[0] != '/')
				continue;
			unescape(name);
			if (stat(name, &st))
				continue;
			for (j = 0; j < c->ndisks; j++) {
				const struct sys_disk *d = &c->disks[j];
				dev_t want = makedev(d->major, d->minor);

				if ((S_ISBLK(st.st_mode) && st.st_rdev == want) ||
				    (S_ISREG(st.st_mode) && st.st_dev == want))
					add_user(c, "swap", d->name, name);
			}
		}
		fclose(f);
	}
	for (j = 0; j < c->ndisks; j++)
		holders(c, &c->disks[j]);
	/* anything else holding a disk exclusively (a process, a filesystem
	 * mounted in another mount namespace) fails an O_EXCL open */
	for (j = 0; j < c->ndisks; j++) {
		const struct sys_disk *d = &c->disks[j];
		bool known = false;
		int fd;

		/* a disk whose partitions are in use is held by them */
		for (i = 0; i < c->nusers; i++)
			if (!strncmp(c->users[i].dev, d->name, strlen(d->name)))
				known = true;
		if (known || root[0])
			continue;
		snprintf(p, sizeof(p), "/dev/%s", d->name);
		fd = open(p, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
		if (fd >= 0)
			close(fd);
		else if (errno == EBUSY)
			add_user(c, "open", d->name, "held open exclusively");
	}
}

/* ---- controllers -------------------------------------------------------- */

/* Identify Controller through the character device: SGLS bits 1:0. */
static int identify_sgl(const char *name)
{
	char p[64];
	uint8_t *id;
	struct nvme_admin_cmd cmd = { .opcode = 0x06, .cdw10 = 1, .data_len = 4096 };
	int fd, ret = -1;
	uint32_t sgls;

	if (root[0] || !name[0])
		return -1;
	snprintf(p, sizeof(p), "/dev/%s", name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (posix_memalign((void **)&id, 4096, 4096)) {
		close(fd);
		return -1;
	}
	memset(id, 0, 4096);
	cmd.addr = (uintptr_t)id;
	if (ioctl(fd, NVME_IOCTL_ADMIN_CMD, &cmd) == 0) {
		memcpy(&sgls, id + 536, 4);
		ret = (sgls & 3) ? 1 : 0;
	}
	free(id);
	close(fd);
	return ret;
}

static void first_child(const char *dir, const char *prefix, char *out, size_t len)
{
	struct dirent *de;
	DIR *d = opendir_r(dir);

	out[0] = 0;
	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)) &&
		    isdigit((unsigned char)de->d_name[strlen(prefix)])) {
			snprintf(out, len, "%s", de->d_name);
			break;
		}
	closedir(d);
}

int sys_controller(const char *bdf, struct sys_ctrl *c)
{
	char p[PATH_MAX], buf[64];
	uint64_t v;

	memset(c, 0, sizeof(*c));
	snprintf(c->bdf, sizeof(c->bdf), "%s", bdf);
	c->sgl_in_use = -1;
	if (sys_readf(buf, sizeof(buf), "/sys/bus/pci/devices/%s/class", bdf))
		return -ENODEV;
	if (strtoul(buf, NULL, 16) != 0x010802)
		return -ENOTTY;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor", bdf);
	if (!sys_read_u64(p, &v))
		c->vendor = (uint16_t)v;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device", bdf);
	if (!sys_read_u64(p, &v))
		c->device = (uint16_t)v;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", bdf);
	link_base(p, c->driver, sizeof(c->driver));
	sys_readf(c->override, sizeof(c->override),
		  "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (!strcmp(c->override, "(null)"))
		c->override[0] = 0;
	if (!strcmp(c->driver, "dmabridge")) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/dmabridge", bdf);
		first_child(p, "dmabridge", c->name, sizeof(c->name));
		sys_readf(c->model, sizeof(c->model), "/sys/class/dmabridge/%s/model", c->name);
		sys_readf(c->serial, sizeof(c->serial), "/sys/class/dmabridge/%s/serial", c->name);
		sys_readf(c->firmware, sizeof(c->firmware),
			  "/sys/class/dmabridge/%s/firmware_rev", c->name);
		sys_readf(c->state, sizeof(c->state), "/sys/class/dmabridge/%s/state", c->name);
		snprintf(p, sizeof(p), "/sys/class/dmabridge/%s/sgl_support", c->name);
		if (!sys_read_u64(p, &v))
			c->sgl_in_use = (int)v;
		snprintf(p, sizeof(p), "/sys/class/dmabridge/%s/queue_count", c->name);
		if (!sys_read_u64(p, &v))
			c->queue_count = (uint32_t)v;
		dmabridge_disks(c);
	} else if (!strcmp(c->driver, "nvme")) {
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/nvme", bdf);
		first_child(p, "nvme", c->name, sizeof(c->name));
		sys_readf(c->model, sizeof(c->model), "/sys/class/nvme/%s/model", c->name);
		sys_readf(c->serial, sizeof(c->serial), "/sys/class/nvme/%s/serial", c->name);
		sys_readf(c->firmware, sizeof(c->firmware),
			  "/sys/class/nvme/%s/firmware_rev", c->name);
		sys_readf(c->state, sizeof(c->state), "/sys/class/nvme/%s/state", c->name);
		nvme_disks(c);
	}
	qsort(c->disks, c->ndisks, sizeof(c->disks[0]), cmp_disk);
	c->sgl_supported = identify_sgl(c->name);
	users(c);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int sys_controllers(struct sys_ctrl **out, unsigned int *n)
{
	char *names[256], buf[32];
	struct dirent *de;
	struct sys_ctrl *c;
	unsigned int k = 0, i, got = 0;
	DIR *d = opendir_r("/sys/bus/pci/devices");

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d)) && k < 256) {
		if (de->d_name[0] == '.')
			continue;
		if (sys_readf(buf, sizeof(buf), "/sys/bus/pci/devices/%s/class", de->d_name) ||
		    strtoul(buf, NULL, 16) != 0x010802)
			continue;
		names[k] = strdup(de->d_name);
		if (names[k])
			k++;
	}
	closedir(d);
	qsort(names, k, sizeof(names[0]), cmp_str);
	c = calloc(k ? k : 1, sizeof(*c));
	if (!c) {
		for (i = 0; i < k; i++)
			free(names[i]);
		return -ENOMEM;
	}
	for (i = 0; i < k; i++) {
		if (!sys_controller(names[i], &c[got]))
			got++;
		free(names[i]);
	}
	*out = c;
	*n = got;
	return 0;
}

/* ---- IOMMU, swiotlb, virtualisation --------------------------------------- */

static bool cmdline_has(const char *word)
{
	char p[PATH_MAX], line[4096], *tok, *save = NULL;
	FILE *f;
	bool found = false;

	snprintf(p, sizeof(p), "%s/proc/cmdline", root);
	f = fopen(p, "re");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f))
		for (tok = strtok_r(line, " \n", &save); tok && !found;
		     tok = strtok_r(NULL, " \n", &save))
			found = !strcmp(tok, word);
	fclose(f);
	return found;
}

static bool cpu_flag(const char *flag)
{
	char p[PATH_MAX], line[8192];
	FILE *f;
	bool found = false;

	snprintf(p, sizeof(p), "%s/proc/cpuinfo", root);
	f = fopen(p, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *s;

		if (strncmp(line, "flags", 5))
			continue;
		for (s = strstr(line, flag); s; s = strstr(s + 1, flag))
			if (s[-1] == ' ' && (s[strlen(flag)] == ' ' || s[strlen(flag)] == '\n'))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static const char *group_mode(const char *type)
{
	if (!strcmp(type, "identity"))
		return "passthrough";
	if (!strcmp(type, "DMA-FQ"))
		return "lazy";
	if (!strcmp(type, "DMA"))
		return "strict";
	return type[0] ? "other" : "off";
}

void sys_iommu(const char *bdf, struct sys_iommu *io)
{
	struct dirent *de;
	DIR *d;
	char type[32] = "";

	memset(io, 0, sizeof(*io));
	d = opendir_r("/sys/class/iommu");
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				io->present = true;
		closedir(d);
	}
	if (bdf && bdf[0])
		sys_readf(io->group_type, sizeof(io->group_type),
			  "/sys/bus/pci/devices/%s/iommu_group/type", bdf);
	if (io->group_type[0]) {
		snprintf(type, sizeof(type), "%s", io->group_type);
	} else if (io->present) {
		/* any group's type tells the default domain */
		d = opendir_r("/sys/kernel/iommu_groups");
		if (d) {
			while ((de = readdir(d)) && !type[0])
				if (de->d_name[0] != '.')
					sys_readf(type, sizeof(type),
						  "/sys/kernel/iommu_groups/%s/type", de->d_name);
			closedir(d);
		}
	}
	snprintf(io->mode, sizeof(io->mode), "%s",
		 io->present ? group_mode(type) : "off");
	if (cmdline_has("swiotlb=force")) {
		io->swiotlb_forced = true;
		snprintf(io->swiotlb_why, sizeof(io->swiotlb_why), "swiotlb=force");
	} else if (cpu_flag("tdx_guest")) {
		io->swiotlb_forced = true;
		snprintf(io->swiotlb_why, sizeof(io->swiotlb_why), "TDX guest");
	}
}

static bool file_has(const char *path, const char *needle)
{
	char p[PATH_MAX], buf[4096];
	size_t n;
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, path);
	f = fopen(p, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '\n';
	return strstr(buf, needle) != NULL;
}

static bool root_is_overlay(void)
{
	struct sys_mount *m = NULL;
	unsigned int n = 0, i;
	bool overlay = false;

	if (sys_mounts(&m, &n))
		return false;
	for (i = 0; i < n; i++)
		if (!strcmp(m[i].target, "/"))
			overlay = !strcmp(m[i].fstype, "overlay");
	free(m);
	return overlay;
}

void sys_virt(struct sys_virt *v)
{
	char vendor[64] = "", product[64] = "", hv[32] = "";

	memset(v, 0, sizeof(*v));
	sys_read("/sys/hypervisor/type", hv, sizeof(hv));
	sys_read("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	sys_read("/sys/class/dmi/id/product_name", product, sizeof(product));
	if (cpu_flag("hypervisor") || hv[0]) {
		if (vendor[0] && product[0])
			snprintf(v->vm, sizeof(v->vm), "%.30s %.30s", vendor, product);
		else
			snprintf(v->vm, sizeof(v->vm), "%s", hv[0] ? hv : "a hypervisor");
	}
	/* /.dockerenv alone is not enough: a VM may boot from a container's
	 * tree (the test rig's guest runs on its host's root); docker's own
	 * root is an overlay */
	if (exists("/.dockerenv") && root_is_overlay())
		snprintf(v->container, sizeof(v->container), "docker");
	else if (exists("/run/.containerenv"))
		snprintf(v->container, sizeof(v->container), "podman");
	else if (file_has("/proc/1/environ", "container=lxc"))
		snprintf(v->container, sizeof(v->container), "lxc");
	else if (file_has("/proc/1/environ", "container="))
		snprintf(v->container, sizeof(v->container), "a container");
	else if (file_has("/proc/self/cgroup", "kubepods"))
		snprintf(v->container, sizeof(v->container), "kubernetes");
	else if (file_has("/proc/self/cgroup", "docker"))
		snprintf(v->container, sizeof(v->container), "docker");
}

double sys_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double sys_cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
