// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Files: opened by path or adopted from a caller's fd, and probed once for
 * whether the direct path can serve them. The rule (docs/library.md):
 *
 *   1. compat forced (DMABRIDGE_COMPAT=on)          -> compat-forced
 *   2. the context has no usable module             -> its reason
 *   3. the file's device (st_dev, or st_rdev for a block device) is not
 *      named dmabridge<C>n<N>[p<P>] in /sys/dev/block (for an anonymous
 *      st_dev, btrfs: the mount's source) -> not-dmabridge-dev
 *   4. a regular file on a filesystem other than ext2/3/4 or xfs
 *      (fstatfs magic; the module serves only those) -> fs-not-served
 *   5. statx(STATX_DIOALIGN) reports no direct I/O   -> would-buffer
 *   6. otherwise direct.
 *
 * Nothing is read or written to decide. The module has the last word: a
 * request it refuses with EXDEV (or a WRITE with EINVAL: the filesystem
 * would buffer it) turns the file's decision to compat for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC 0x58465342
#endif

#define DMAB_OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW | \
			 O_NOATIME | O_CLOEXEC | O_LARGEFILE)

bool __dmab_is_dmabridge_name(const char *n)
{
	const char *p;

	if (strncmp(n, "dmabridge", 9))
		return false;
	p = n + 9;
	/* dmabridge<C>n<N>, optionally p<P> */
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != 'n' || *p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == 'p') {
		if (*++p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return !*p;
}

uint32_t __dmab_decide(const struct __dmab_probe *p)
{
	if (p->compat_forced)
		return DMAB_REASON_COMPAT_FORCED;
	if (p->module_reason != DMAB_REASON_NONE)
		return p->module_reason;
	if (!(p->is_reg || p->is_blk) || !p->on_dmabridge)
		return DMAB_REASON_NOT_DMABRIDGE_DEV;
	if (p->is_reg && !p->fs_served)
		return DMAB_REASON_FS_NOT_SERVED;
	if (p->is_reg && p->dio_known && p->dio_none)
		return DMAB_REASON_WOULD_BUFFER;
	return DMAB_REASON_NONE;
}

static uint32_t sysfs_u32(const char *path)
{
	unsigned int v = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	if (fscanf(f, "%u", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* The device's name and logical block size from /sys/dev/block. */
static void probe_dev(struct dmab_file *f)
{
	char link[64], target[PATH_MAX], q[128];
	ssize_t n;
	const char *base;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", f->dev_major,
		 f->dev_minor);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;			/* no block device: tmpfs, nfs, ... */
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= sizeof(f->dev_name))
		return;			/* not one of ours: dmabridge names are short */
	memcpy(f->dev_name, base, strlen(base) + 1);
	/* a partition's queue/ is its disk's */
	snprintf(q, sizeof(q), "%s/partition", link);
	if (access(q, F_OK) == 0)
		snprintf(q, sizeof(q), "%s/../queue/logical_block_size", link);
	else
		snprintf(q, sizeof(q), "%s/queue/logical_block_size", link);
	f->block_size = sysfs_u32(q);
}

/*
 * A file whose st_dev is no block device (btrfs gives every subvolume an
 * anonymous device, not even the one mountinfo shows) may still live on
 * one: the source of its mount (statx's mount id, the first field of
 * /proc/self/mountinfo) names it. Only the name is taken: the module serves
 * no such filesystem anyway, but the reason should say "filesystem not
 * served", not "not on a dmabridge device".
 */
static void probe_mount_source(struct dmab_file *f, uint64_t mnt_id)
{
	char line[1024], want[32], *src, *sep;
	FILE *m = fopen("/proc/self/mountinfo", "re");

	if (!m)
		return;
	snprintf(want, sizeof(want), "%llu ", (unsigned long long)mnt_id);
	while (fgets(line, sizeof(line), m)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		/* ... - fstype source options */
		sep = strstr(line, " - ");
		if (!sep || !(src = strchr(sep + 3, ' ')))
			break;
		src++;
		*strchrnul(src, ' ') = 0;
		if (!strncmp(src, "/dev/", 5) && strlen(src + 5) < sizeof(f->dev_name))
			memcpy(f->dev_name, src + 5, strlen(src + 5) + 1);
		break;
	}
	fclose(m);
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int file_init(struct dmab_ctx *ctx, struct dmab_file *f, int fd)
{
	struct __dmab_probe p = {
		.module_reason = ctx->set.module_reason,
		.compat_forced = ctx->set.compat == DMAB_COMPAT_ON,
	};
	struct statx stx;
	struct statfs sfs;
	struct stat st;
	uint32_t reason, dio_align = 0;
	char self[32];
	int fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -EBADF;
	if (fstat(fd, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	p.is_reg = S_ISREG(st.st_mode);
	p.is_blk = S_ISBLK(st.st_mode);
	if (!p.is_reg && !p.is_blk)
		return -ESPIPE;
	f->ctx = ctx;
	f->fd = fd;
	f->cfd = -1;
	f->accmode = fl & O_ACCMODE;
	f->dev_major = major(p.is_blk ? st.st_rdev : st.st_dev);
	f->dev_minor = minor(p.is_blk ? st.st_rdev : st.st_dev);
	probe_dev(f);
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN | STATX_MNT_ID, &stx))
		stx.stx_mask = 0;
	if (!f->dev_name[0] && p.is_reg && stx.stx_mask & STATX_MNT_ID)
		probe_mount_source(f, stx.stx_mnt_id);
	p.on_dmabridge = __dmab_is_dmabridge_name(f->dev_name);
	if (p.is_reg && fstatfs(fd, &sfs) == 0)
		p.fs_served = sfs.f_type == EXT4_SUPER_MAGIC ||
			      sfs.f_type == XFS_SUPER_MAGIC;
	if (stx.stx_mask & STATX_DIOALIGN) {
		p.dio_known = true;
		p.dio_none = !stx.stx_dio_mem_align;
		dio_align = stx.stx_dio_offset_align;
	}
	if (!f->block_size && p.is_blk)
		ioctl(fd, BLKSSZGET, &f->block_size);
	reason = __dmab_decide(&p);
	f->read_reason = reason;
	f->write_reason = reason;

	/*
	 * The compat path's own descriptor: the same file reopened with
	 * O_DIRECT through /proc/self/fd, so the fd we were given keeps its
	 * flags. Where O_DIRECT cannot be had (tmpfs before 6.6), buffered.
	 */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	f->cfd = open(self, f->accmode | O_DIRECT | O_CLOEXEC | O_LARGEFILE);
	if (!pow2(dio_align))
		dio_align = pow2(f->block_size) ? f->block_size : DMAB_PAGE;
	if (f->cfd >= 0 && dio_align > DMAB_ALIGN_MAX) {
		close(f->cfd);
		f->cfd = -1;
	}
	if (f->cfd < 0) {
		f->cfd = fd;
		f->calign = 1;
		f->compat_reason = DMAB_REASON_NO_ODIRECT;
	} else {
		f->calign = dio_align;
	}
	if (!pow2(f->block_size))
		f->block_size = dio_align > 1 ? dio_align : 512;
	return 0;
}

static int file_new(struct dmab_ctx *ctx, int fd, struct dmab_file **filep)
{
	struct dmab_file *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	ret = file_init(ctx, f, fd);
	if (ret) {
		free(f);
		return ret;
	}
	*filep = f;
	return 0;
}

int dmab_file_open(struct dmab_ctx *ctx, const char *path, int flags,
		   mode_t mode, struct dmab_file **filep)
{
	int fd, ret;

	if (!ctx || !path || !filep || flags & ~DMAB_OPEN_FLAGS)
		return -EINVAL;
	fd = open(path, flags | O_CLOEXEC | O_LARGEFILE, mode);
	if (fd < 0)
		return -errno;
	ret = file_new(ctx, fd, filep);
	if (ret)
		close(fd);
	return ret;
}

/*
 * Adopt a caller's fd: the library opens its own description of the same
 * file (through /proc/self/fd), so the caller keeps and closes its fd, and
 * its O_APPEND or O_NONBLOCK do not leak into our pwrite()s. Without /proc,
 * a duplicate.
 */
int dmab_file_adopt(struct dmab_ctx *ctx, int fd, struct dmab_file **filep)
{
	char self[32];
	int fl, own, ret;

	if (!ctx || !filep)
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fl & O_PATH)
		return -EBADF;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	own = open(self, (fl & O_ACCMODE) | O_CLOEXEC | O_LARGEFILE);
	if (own < 0 && (fl & O_APPEND))
		return -errno;		/* a dup would append */
	if (own < 0)
		own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (own < 0)
		return -errno;
	ret = file_new(ctx, own, filep);
	if (ret)
		close(own);
	return ret;
}

int dmab_file_close(struct dmab_file *f)
{
	int ret = 0;

	if (!f)
		return -EINVAL;
	if (f->cfd != f->fd)
		close(f->cfd);
	if (close(f->fd))
		ret = -errno;
	free(f);
	return ret;
}

int dmab_file_info(struct dmab_file *f, struct dmab_file_info *info)
{
	if (!f || !info)
		return -EINVAL;
	*info = (struct dmab_file_info){
		.read_reason = f->read_reason, .write_reason = f->write_reason,
		.compat_odirect = f->cfd != f->fd,
		.compat_reason = f->compat_reason,
		.block_size = f->block_size, .dio_align = f->calign,
		.dev_major = f->dev_major, .dev_minor = f->dev_minor,
	};
	memcpy(info->dev_name, f->dev_name, sizeof(info->dev_name));
	return 0;
}
