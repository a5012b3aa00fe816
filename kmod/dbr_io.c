// SPDX-License-Identifier: GPL-2.0
/*
 * Token requests: READ (file -> dma-buf) and WRITE (dma-buf -> file)
 * executed as direct I/O on the caller's file with placeholder bvecs; see
 * dbr_io.h for the scheme. The filesystem, not dmabridge, maps the file:
 * it looks extents up, allocates and locks against truncate as for any
 * O_DIRECT call, so no user-supplied block address ever reaches the disk.
 * dbr_io_chunk.c is the queue_rq half.
 *
 * DMA ownership: before a chunk's direct-I/O call its token range is synced
 * for the device, whatever the direction; after the call returns (all its
 * commands completed) it is synced for the CPU: a WRITE's whole range, a
 * READ's blocks that a command moved (dbr_io_sync_covered()). One
 * dma_sync_single_* per contiguous run (dbr_token_sync_*), never per page.
 */
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/magic.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <uapi/linux/dmabridge.h>

#include "compat.h"
#include "dbr_ctx.h"
#include "dbr_io.h"
#include "dbr_token.h"

/**
 * struct dbr_io_target - what a request reads from or writes to
 * @file: the caller's file (a reference, or @reg's)
 * @reg: the registered target @file is, with a reference; NULL for a
 *	file descriptor's file
 * @tdev: the dmabridge controller under it
 * @lbs_shift: log2 of the logical block size: the alignment unit
 */
struct dbr_io_target {
	struct file		*file;
	struct dbr_ctx_target	*reg;
	struct dbr_token_dev	*tdev;
	u32			lbs_shift;
};

/**
 * struct dbr_io_req - a token request in progress
 * @kiocb: the direct-I/O call of the current chunk
 * @io: the request as userspace gave it
 * @tok: the token (a reference)
 * @t: the target
 * @c: the chunk (placeholder bvecs) reused for every step
 * @done: bytes completed in earlier chunks
 * @cur_len: bytes of the current chunk
 * @is_read: file -> buffer
 * @res: result of the current chunk's asynchronous call
 * @err_counted: the failure was counted where it happened (dbr_token_map())
 * @ucmd: the io_uring command, NULL for the synchronous ioctl
 */
struct dbr_io_req {
	struct kiocb		kiocb;
	struct dmabridge_io	io;
	struct dbr_token	*tok;
	struct dbr_io_target	t;
	struct dbr_io_chunk	*c;
	u64			done;
	u32			cur_len;
	bool			is_read;
	long			res;
	bool			err_counted;
	struct io_uring_cmd	*ucmd;
};

/**
 * struct dbr_io_slot - what one request in flight allocates: its chunk and
 * its state, one pooled allocation
 * @c: the chunk; first, so the slot's address is the chunk's lookup key
 * @r: the request
 */
struct dbr_io_slot {
	struct dbr_io_chunk	c;
	struct dbr_io_req	r;
};

/* ---- the target -------------------------------------------------------- */

/*
 * Filesystems whose direct I/O leaves the data to the device: ext2/3/4
 * and xfs. Their bios take the placeholder bvecs to queue_rq untouched,
 * and what they serve by CPU instead (holes, fallbacks) stays uncovered,
 * which the coverage check sees. Others may handle the data on the way:
 * bcachefs checksums every data bio by CPU, so a token WRITE would store
 * the placeholder page's checksum beside the token's data (a silent
 * corruption) and a token READ would fail verification; nilfs2 turns
 * direct writes into buffered ones; bfs has no ->direct_IO at all. They
 * get EXDEV, as a file on another device does (btrfs always did: its
 * superblock names no s_bdev), and the library's bounce path serves them.
 */
static bool dbr_io_fs_served(const struct super_block *sb)
{
	return sb->s_magic == EXT4_SUPER_MAGIC || sb->s_magic == XFS_SUPER_MAGIC;
}

/*
 * The disk a target's data is on, or NULL if it is not a file or disk
 * dmabridge serves. s_bdev is where a filesystem keeps its data, except
 * for an xfs realtime file, whose data lives on the realtime device: a
 * token request on it would send the placeholder pages to that device's
 * driver (a WRITE stored zeros there), so it is refused as a file on
 * another device is.
 */
static struct block_device *dbr_io_file_bdev(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (S_ISBLK(inode->i_mode))
		return I_BDEV(file->f_mapping->host);
	if (!S_ISREG(inode->i_mode) || !dbr_io_fs_served(inode->i_sb))
		return NULL;
	if (inode->i_sb->s_magic == XFS_SUPER_MAGIC &&
	    dbr_compat_file_realtime(file))
		return NULL;
	return inode->i_sb->s_bdev;
}

/* Drop the target's file: the request's own reference, or the registered one. */
static void dbr_io_target_file_put(struct dbr_io_target *t)
{
	if (t->reg)
		dbr_ctx_target_put(t->reg);
	else
		fput(t->file);
}

/*
 * A registered target: looked up by index, its file and disk as found at
 * registration. Only an xfs file's realtime flag can change after that
 * (xfs sets it on an empty file): checked again, as dbr_io_file_bdev() does.
 */
static struct block_device *dbr_io_target_get_reg(struct dbr_io_target *t,
						  struct dbr_ctx *ctx, u32 index)
{
	struct file *file;

	t->reg = dbr_ctx_target_get(ctx, index);
	if (!t->reg)
		return ERR_PTR(-EBADF);
	file = t->reg->file;
	t->file = file;
	t->tdev = t->reg->tdev;
	if (S_ISREG(file_inode(file)->i_mode) &&
	    file_inode(file)->i_sb->s_magic == XFS_SUPER_MAGIC &&
	    dbr_compat_file_realtime(file))
		return NULL;
	return t->reg->bdev;
}

static int dbr_io_target_get(struct dbr_io_target *t, struct dbr_ctx *ctx,
			     const struct dmabridge_io *io, bool is_read)
{
	struct block_device *bdev;
	int ret;

	if (io->flags & DMABRIDGE_IO_FIXED_TARGET) {
		bdev = dbr_io_target_get_reg(t, ctx, io->fd);
		if (IS_ERR(bdev))
			return PTR_ERR(bdev);
	} else {
		t->reg = NULL;
		t->file = fget(io->fd);
		if (!t->file)
			return -EBADF;
		bdev = NULL;
	}
	if (!(t->file->f_mode & (is_read ? FMODE_READ : FMODE_WRITE))) {
		ret = -EBADF;
		goto put_file;
	}
	if (!t->reg) {
		bdev = dbr_io_file_bdev(t->file);
		/* elsewhere: the library falls back to its bounce-buffer path */
		t->tdev = bdev ? dbr_disk_token_dev(bdev->bd_disk) : NULL;
	}
	if (!bdev || !t->tdev) {
		ret = -EXDEV;
		goto put_file;
	}
	/* until dbr_io_target_put(): the controller's attachments stay */
	if (!dbr_token_dev_get(t->tdev)) {
		ret = -ENODEV;
		goto put_file;
	}
	t->lbs_shift = ilog2(bdev_logical_block_size(bdev));
	return 0;

put_file:
	dbr_io_target_file_put(t);
	return ret;
}

static void dbr_io_target_put(struct dbr_io_target *t)
{
	dbr_token_dev_put(t->tdev);
	dbr_io_target_file_put(t);
}

/**
 * dbr_io_target_new() - a target to register (DMABRIDGE_IOC_TARGET_REGISTER)
 * @fd: the target's file descriptor
 * @out: the target, with one reference for the caller
 *
 * The target must be one a request could name by @fd (dbr_io_file_bdev()),
 * whatever its open mode: requests check their direction.
 *
 * Return: 0, -EBADF (no open file), -EXDEV (not a target dmabridge serves),
 * -ENOMEM.
 */
int dbr_io_target_new(int fd, struct dbr_ctx_target **out)
{
	struct dbr_ctx_target *t;
	struct block_device *bdev;
	struct file *file;
	int ret;

	file = fget(fd);
	if (!file)
		return -EBADF;
	bdev = dbr_io_file_bdev(file);
	if (!bdev || !dbr_disk_token_dev(bdev->bd_disk)) {
		ret = -EXDEV;
		goto put_file;
	}
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		ret = -ENOMEM;
		goto put_file;
	}
	kref_init(&t->ref);
	t->file = file;
	t->bdev = bdev;
	t->tdev = dbr_disk_token_dev(bdev->bd_disk);
	*out = t;
	return 0;

put_file:
	fput(file);
	return ret;
}

/* ---- holes ------------------------------------------------------------- */

/*
 * Blocks of the chunk's first @done bytes that no command moved: the
 * filesystem served them by CPU into the placeholder page (holes, unwritten
 * extents, inline data, a buffered fallback). Return the first such range
 * at or after block @from in [*start, *end), false when there is none.
 */
static bool dbr_io_next_gap(struct dbr_io_chunk *c, u32 done, unsigned long from,
			    unsigned long *start, unsigned long *end)
{
	/* a short read at end of file ends inside a block */
	unsigned long nbits = DIV_ROUND_UP(done, 1U << c->lbs_shift);

	if (c->whole)
		return false;
	*start = find_next_zero_bit(c->covered, nbits, from);
	if (*start >= nbits)
		return false;
	*end = find_next_bit(c->covered, nbits, *start);
	return true;
}

/*
 * One CPU access at a time through dbr_io_fill_gaps(): exporters need not
 * make begin_cpu_access() safe against itself (6.12's udmabuf builds its
 * CPU sg table on first use without a lock, and two requests filling holes
 * of one buffer at once leaked one of two tables: kmemleak on 6.12-debug,
 * UAPI fuzz). Holes are the slow path; one lock for all buffers is enough.
 */
static DEFINE_MUTEX(dbr_io_cpu_access_mutex);

/*
 * Zero the token bytes the filesystem did not DMA, through the exporter's
 * CPU mapping. Only valid if the filesystem wrote nothing but zeros: the
 * placeholder page tells. [@start, @end) is the first gap, in blocks.
 * Called without a map reference (vmap takes the reservation lock).
 */
static int dbr_io_fill_gaps(struct dbr_token *tok, struct dbr_io_chunk *c,
			    u32 done, unsigned long start, unsigned long end,
			    struct dbr_token_dev *tdev)
{
	unsigned long from = 0;
	struct iosys_map vmap;
	u64 filled = 0;
	int ret;

	/* real data went to the placeholder: it cannot be placed */
	if (memchr_inv(page_address(c->page), 0, PAGE_SIZE))
		return -ENODATA;
	/*
	 * The CPU only writes: DMA_TO_DEVICE (DMA_BUF_SYNC_WRITE). A read
	 * direction would let an exporter with its own bounce buffers
	 * (udmabuf under swiotlb) copy its stale copy over the bytes our
	 * DMA just placed.
	 */
	/* a dying task leaves the holes to nobody: its request is over */
	if (mutex_lock_killable(&dbr_io_cpu_access_mutex))
		return -ENODATA;
	ret = dma_buf_begin_cpu_access(tok->dmabuf, DMA_TO_DEVICE);
	if (ret) {
		ret = -ENODATA;
		goto unlock;
	}
	ret = dbr_compat_dma_buf_vmap_unlocked(tok->dmabuf, &vmap);
	if (ret) {
		ret = -ENODATA;	/* no CPU mapping: the library fills */
		goto end_access;
	}
	do {
		u64 off = c->tok_off + ((u64)start << c->lbs_shift);
		size_t len = (end - start) << c->lbs_shift;

		iosys_map_memset(&vmap, off, 0, len);
		filled += len;
		from = end;
	} while (dbr_io_next_gap(c, done, from, &start, &end));
	dbr_compat_dma_buf_vunmap_unlocked(tok->dmabuf, &vmap);
	dbr_stat_add(tdev->stats, DBR_STAT_CPU_FILLED_BYTES, filled);
end_access:
	dma_buf_end_cpu_access(tok->dmabuf, DMA_TO_DEVICE);
unlock:
	mutex_unlock(&dbr_io_cpu_access_mutex);
	return ret;
}

/* ---- execution --------------------------------------------------------- */

/*
 * A WRITE to a regular file that the filesystem says it would not hand to
 * the device, refused before a byte moves: it would copy the placeholder
 * page's bytes into the page cache, and the file would keep them when the
 * coverage check fails the request with EIO. STATX_DIOALIGN says so: no
 * direct I/O for this file (ext4 data=journal, inline data, encryption
 * without inline crypto, verity), or a larger offset alignment than the
 * disk's (encrypted ext4: the filesystem block). Reads need none of this:
 * what a fallback reads is caught by the coverage check (ENODATA) and the
 * file is untouched.
 */
static int dbr_io_write_precheck(const struct dmabridge_io *io,
				 const struct dbr_io_target *t)
{
	struct kstat st;
	int ret;

	ret = vfs_getattr_nosec(&t->file->f_path, &st, STATX_DIOALIGN,
				AT_STATX_SYNC_AS_STAT);
	if (ret || !(st.result_mask & STATX_DIOALIGN))
		return ret;
	if (!st.dio_mem_align || !is_power_of_2(st.dio_offset_align))
		return -EINVAL;
	if ((io->file_offset | io->length) & (st.dio_offset_align - 1))
		return -EINVAL;
	return 0;
}

/*
 * A WRITE moves all its bytes or none. write(2) would shorten one that
 * crosses the largest offset the file may have, or the end of a block
 * device; the request fails whole instead, with the errno write(2) gives
 * for one that starts there: EFBIG (the filesystem's s_maxbytes, 2 GiB
 * without O_LARGEFILE, RLIMIT_FSIZE) or ENOSPC. A WRITE that starts at
 * the limit reaches the filesystem, which sends SIGXFSZ as for write(2).
 */
static int dbr_io_write_limits(const struct dmabridge_io *io,
			       const struct dbr_io_target *t)
{
	struct inode *inode = file_inode(t->file);
	u64 end = io->file_offset + io->length;
	u64 limit;

	if (S_ISBLK(inode->i_mode))
		return end > bdev_nr_bytes(I_BDEV(t->file->f_mapping->host)) ?
		       -ENOSPC : 0;
	limit = inode->i_sb->s_maxbytes;
	if (!(t->file->f_flags & O_LARGEFILE))
		limit = min_t(u64, limit, MAX_NON_LFS);
	if (io->file_offset < limit && end > limit)
		return -EFBIG;
	limit = rlimit(RLIMIT_FSIZE);
	if (limit != RLIM_INFINITY && io->file_offset < limit && end > limit)
		return -EFBIG;
	return 0;
}

static int dbr_io_check(const struct dmabridge_io *io,
			const struct dbr_io_target *t, bool is_read)
{
	int ret;

	u64 mask = (1ULL << t->lbs_shift) - 1;

	/*
	 * A WRITE goes to the offset it names, whatever O_APPEND says
	 * (dbr_io_call()), as pwritev2(RWF_NOAPPEND) does; and like it, not
	 * into a file whose append-only attribute keeps its bytes.
	 */
	if (!is_read && IS_APPEND(file_inode(t->file)))
		return -EPERM;

	/*
	 * What open(O_DIRECT) checks: IOCB_DIRECT is set here without it, and
	 * the generic read_iter/write_iter of a filesystem without direct I/O
	 * calls the NULL ->direct_IO (every filesystem dmabridge serves has
	 * it; this keeps IOCB_DIRECT's precondition where it is set).
	 */
	if (!(t->file->f_mode & FMODE_CAN_ODIRECT))
		return -EINVAL;
	if ((io->token_offset | io->file_offset | io->length) & mask)
		return -EINVAL;
	if (io->file_offset > LLONG_MAX - io->length)
		return -EINVAL;
	if (is_read)
		return 0;
	ret = dbr_io_write_limits(io, t);
	if (ret)
		return ret;
	if (S_ISREG(file_inode(t->file)->i_mode))
		return dbr_io_write_precheck(io, t);
	return 0;
}

static bool dbr_io_in_token(const struct dmabridge_io *io,
			    const struct dbr_token *tok)
{
	return io->token_offset < tok->size &&
	       io->length <= tok->size - io->token_offset;
}

/* Count a finished request once: its bytes, or its failure by kind. */
static void dbr_io_account(struct dbr_token_dev *tdev, long ret, bool is_read)
{
	if (ret == -EAGAIN)
		return;	/* issued again later */
	if (ret < 0) {
		dbr_stat_inc(tdev->stats, ret == -EIO ? DBR_STAT_ERR_IO :
			     ret == -ENODATA ? DBR_STAT_ERR_COVERAGE :
			     ret == -EINVAL ? DBR_STAT_ERR_ALIGN :
			     ret == -ERANGE ? DBR_STAT_ERR_RANGE :
			     ret == -EOPNOTSUPP ? DBR_STAT_ERR_MAP :
			     DBR_STAT_ERR_OTHER);
		return;
	}
	dbr_stat_inc(tdev->stats, is_read ? DBR_STAT_READ_IOS :
		     DBR_STAT_WRITE_IOS);
	dbr_stat_add(tdev->stats, is_read ? DBR_STAT_READ_BYTES :
		     DBR_STAT_WRITE_BYTES, ret);
}

/*
 * Token, target, checks, chunk: everything a request needs before I/O.
 * Return: the request (in its chunk's slot) or an ERR_PTR().
 */
static struct dbr_io_req *dbr_io_req_new(struct dbr_ctx *ctx,
					 const struct dmabridge_io *io,
					 bool is_read)
{
	struct dbr_io_chunk *c;
	struct dbr_io_req *r;
	int ret;

	/* the request lives in its chunk's allocation (dbr_io_chunk.c) */
	BUILD_BUG_ON(sizeof(struct dbr_io_slot) > DBR_IO_CHUNK_ALLOC);
	c = dbr_io_chunk_alloc();
	if (!c)
		return ERR_PTR(-ENOMEM);
	r = &container_of(c, struct dbr_io_slot, c)->r;
	r->c = c;
	r->io = *io;
	r->is_read = is_read;
	r->done = 0;
	r->err_counted = false;
	r->ucmd = NULL;
	r->tok = dbr_ctx_token_get(ctx, io->token);
	if (!r->tok) {
		ret = -ENOENT;
		goto free_chunk;
	}
	/* the token alone decides this one, whatever the target */
	if (!dbr_io_in_token(io, r->tok)) {
		ret = -ERANGE;
		/* counted on the target's controller, if it is one of ours */
		if (!dbr_io_target_get(&r->t, ctx, io, is_read)) {
			dbr_io_account(r->t.tdev, ret, is_read);
			dbr_io_target_put(&r->t);
		}
		goto put_token;
	}
	ret = dbr_io_target_get(&r->t, ctx, io, is_read);
	if (ret)
		goto put_token;
	ret = dbr_io_check(io, &r->t, is_read);
	if (ret) {
		dbr_io_account(r->t.tdev, ret, is_read);
		goto put_target;
	}
	return r;

put_target:
	dbr_io_target_put(&r->t);
put_token:
	dbr_token_put(r->tok);
free_chunk:
	dbr_io_chunk_free(c);
	return ERR_PTR(ret);
}

/*
 * A READ that met the end of a disk whose controller is going away:
 * removal sets the capacity to 0 before the disk's I/O stops, so a read of
 * the raw disk then finds end of device. That is the device vanishing, not
 * end of file: ENODEV, as for a request that comes after it.
 */
static long dbr_io_vanished(struct dbr_io_req *r, long res)
{
	if (!res && r->io.length && percpu_ref_is_dying(&r->t.tdev->live))
		return -ENODEV;
	return res;
}

/* Inverse of dbr_io_req_new(); @ret is the request's result. Frees @r. */
static void dbr_io_req_release(struct dbr_io_req *r, long ret)
{
	if (ret >= 0 || !r->err_counted)
		dbr_io_account(r->t.tdev, ret, r->is_read);
	dbr_io_target_put(&r->t);
	dbr_token_put(r->tok);
	dbr_io_chunk_free(r->c);
}

/*
 * Next chunk: map the token for the controller, point the placeholder bvecs
 * at it and hand the range to the device. Return the bvec count or -errno.
 */
static int dbr_io_chunk_start(struct dbr_io_req *r, bool nowait)
{
	enum dma_data_direction dir = r->is_read ? DMA_FROM_DEVICE :
						   DMA_TO_DEVICE;
	u64 tok_off = r->io.token_offset + r->done;
	struct dbr_io_chunk *c = r->c;
	struct dbr_token_map *map;
	unsigned int nr;
	int ret;

	r->cur_len = min_t(u64, r->io.length - r->done, DBR_IO_CHUNK_BYTES);
	ret = dbr_token_map(r->tok, r->t.tdev, dir,
			    nowait ? DBR_TOKEN_MAP_NOWAIT : 0, &map);
	if (ret) {
		/* fence and map failures are counted by dbr_token_map() */
		r->err_counted = ret != -EAGAIN && ret != -EBADF;
		return ret == -EAGAIN || ret == -ENOMEM || ret == -EINTR ||
		       ret == -ERESTARTSYS || ret == -EBADF || ret == -ENODEV ||
		       ret == -ENOBUFS ?
		       ret : -EOPNOTSUPP;
	}
	/*
	 * The chunk's one run lookup. A mapping shorter than the token (a
	 * broken exporter) cannot be used.
	 */
	ret = dbr_token_map_iter(map, tok_off, r->cur_len, &c->range);
	if (ret) {
		dbr_token_map_put(map);
		return -EOPNOTSUPP;
	}
	nr = dbr_io_chunk_setup(c, map, tok_off, r->cur_len, r->t.lbs_shift);
	dbr_token_sync_for_device(map, &c->range, dir);
	return nr;
}

/*
 * A READ gives back to the CPU only the blocks a command moved: where the
 * mapping bounces (swiotlb), syncing a block the device did not write
 * copies the bounce slot's stale bytes (an earlier request's data) over
 * the buffer. A short READ at end of file, a hole or a fallback the
 * filesystem served by CPU leaves the buffer as it was there, or as the
 * gap filling sets it. One sync per run of covered blocks: a fully
 * covered chunk, the common case, is one sync of its whole range.
 */
static void dbr_io_sync_covered(struct dbr_io_chunk *c)
{
	unsigned long nbits = c->len >> c->lbs_shift, start, end;
	struct dbr_seg_iter sub;

	if (c->whole) {
		dbr_token_sync_for_cpu(c->map, &c->range, DMA_FROM_DEVICE);
		return;
	}
	start = find_first_bit(c->covered, nbits);
	while (start < nbits) {
		end = find_next_zero_bit(c->covered, nbits, start);
		if (!start && end == nbits) {
			dbr_token_sync_for_cpu(c->map, &c->range,
					       DMA_FROM_DEVICE);
			return;
		}
		if (!dbr_seg_iter_sub(&sub, &c->range,
				      (u64)start << c->lbs_shift,
				      (u64)(end - start) << c->lbs_shift))
			dbr_token_sync_for_cpu(c->map, &sub, DMA_FROM_DEVICE);
		start = find_next_bit(c->covered, nbits, end);
	}
}

/*
 * The chunk's commands completed (or were never issued): give the range back
 * to the CPU and drop the mapping reference. Any context, so the async path
 * calls it from the kiocb completion: an invalidated mapping drains, and its
 * remap can go on, without waiting for the submitter's task to run.
 */
static void dbr_io_chunk_release(struct dbr_io_req *r)
{
	struct dbr_io_chunk *c = r->c;

	if (r->is_read)
		dbr_io_sync_covered(c);
	else
		dbr_token_sync_for_cpu(c->map, &c->range, DMA_TO_DEVICE);
	dbr_token_map_put(c->map);
	c->map = NULL;
}

/*
 * The chunk's direct-I/O call returned @ret and dbr_io_chunk_release() ran:
 * check coverage. Return the chunk's bytes or -errno.
 */
static ssize_t dbr_io_chunk_finish(struct dbr_io_req *r, ssize_t ret)
{
	struct dbr_io_chunk *c = r->c;
	unsigned long s, e;
	bool gap;
	int err;

	/* anything but a whole, fully covered call may have used the page */
	gap = ret > 0 && dbr_io_next_gap(c, ret, 0, &s, &e);
	if (ret != c->len || gap)
		c->page_dirty = true;
	if (ret <= 0 || !gap)
		return ret;
	/* a WRITE: the filesystem consumed bytes by CPU, the file got zeros */
	if (!r->is_read)
		return -EIO;
	err = dbr_io_fill_gaps(r->tok, c, ret, s, e, r->t.tdev);
	return err ? err : ret;
}

static ssize_t dbr_io_call(struct dbr_io_req *r, unsigned int nr,
			   void (*complete)(struct kiocb *, long), bool nowait)
{
	struct iov_iter iter;

	iov_iter_bvec(&iter, r->is_read ? READ : WRITE, r->c->bvecs, nr,
		      r->cur_len);
	init_sync_kiocb(&r->kiocb, r->t.file);
	r->kiocb.ki_pos = r->io.file_offset + r->done;
	/* the request names its file offset: O_APPEND does not move it */
	r->kiocb.ki_flags &= ~IOCB_APPEND;
	r->kiocb.ki_flags |= IOCB_DIRECT | (nowait ? IOCB_NOWAIT : 0);
	/* async, as io_uring's own reads: bios from the per-CPU cache */
	if (complete)
		r->kiocb.ki_flags |= DBR_COMPAT_IOCB_ALLOC_CACHE;
	r->kiocb.ki_complete = complete;
	if (r->is_read)
		return vfs_iocb_iter_read(r->t.file, &r->kiocb, &iter);
	return dbr_compat_iocb_iter_write(r->t.file, &r->kiocb, &iter);
}

/* Account a finished chunk. True if the request goes on. */
static bool dbr_io_advance(struct dbr_io_req *r, ssize_t n, long *res)
{
	if (n < 0) {
		*res = n;
		return false;
	}
	r->done += n;
	*res = r->done;
	/* short: end of file; a dying caller stops between chunks */
	return n == r->cur_len && r->done < r->io.length &&
	       !fatal_signal_pending(current);
}

/**
 * dbr_io_execute() - run a READ or WRITE request synchronously
 * @ctx: the caller's context
 * @io: the request, copied from userspace; flags and reserved already checked
 * @is_read: file -> buffer (READ) or buffer -> file (WRITE)
 *
 * Return: bytes moved (short only for a READ at end of file), or -errno:
 * EFBIG/ENOSPC a WRITE past the file's or the device's limit, ENOENT unknown
 * token, EBADF fd or token not usable in this direction, EXDEV target not on
 * a dmabridge disk or on a filesystem dmabridge does not serve, EINVAL
 * unaligned or a target without direct I/O (for a WRITE to a file: one the
 * filesystem says it would serve from the page cache), EPERM
 * a WRITE to an append-only file, ERANGE outside the token, EOPNOTSUPP no DMA
 * path between exporter and controller, ENODATA bytes the filesystem served
 * by CPU could not be placed (the library fills them), EIO.
 */
long dbr_io_execute(struct dbr_ctx *ctx, const struct dmabridge_io *io,
		    bool is_read)
{
	struct dbr_io_req *r;
	ssize_t ret;
	long res;
	int nr;

	r = dbr_io_req_new(ctx, io, is_read);
	if (IS_ERR(r))
		return PTR_ERR(r);
	do {
		nr = dbr_io_chunk_start(r, false);
		if (nr < 0) {
			res = nr;
			break;
		}
		ret = dbr_io_call(r, nr, NULL, false);
		dbr_io_chunk_release(r);
	} while (dbr_io_advance(r, dbr_io_chunk_finish(r, ret), &res));
	res = dbr_io_vanished(r, res);
	dbr_io_req_release(r, res);
	return res;
}

/* ---- io_uring ---------------------------------------------------------- */

static struct dbr_io_req **dbr_io_ucmd_pdu(struct io_uring_cmd *ucmd)
{
	return (struct dbr_io_req **)ucmd->pdu;
}

static void dbr_io_async_end(struct dbr_io_req *r, long res,
			     unsigned int issue_flags)
{
	struct io_uring_cmd *ucmd = r->ucmd;
	u64 tag = r->io.tag;

	/*
	 * An interruptible wait (fence, reservation lock) broken by a
	 * signal, or by the task-work notification itself: a syscall would
	 * restart, an io_uring completion cannot, and userspace must never
	 * see the kernel's internal -ERESTART* codes. EINTR: issue again.
	 */
	if (res == -ERESTARTSYS || res == -ERESTARTNOINTR ||
	    res == -ERESTARTNOHAND || res == -ERESTART_RESTARTBLOCK)
		res = -EINTR;
	res = dbr_io_vanished(r, res);
	dbr_io_req_release(r, res);
	/* the tag comes back in big_cqe[0] on IORING_SETUP_CQE32 rings */
	dbr_compat_uring_cmd_done(ucmd, res, tag, issue_flags);
}

static void dbr_io_kiocb_complete(struct kiocb *kiocb, long ret);

/*
 * Issue chunks until one is queued (-EIOCBQUEUED: its completion goes on),
 * the request ends (its result), or a non-blocking attempt would block
 * (-EAGAIN: the caller goes on in task work, dbr_io_task_retry()).
 */
static long dbr_io_async_step(struct dbr_io_req *r, bool nowait)
{
	ssize_t ret;
	long res;
	int nr;

	do {
		nr = dbr_io_chunk_start(r, nowait);
		if (nr < 0)
			return nr;
		ret = dbr_io_call(r, nr, dbr_io_kiocb_complete, nowait);
		if (ret == -EIOCBQUEUED)
			return ret;
		dbr_io_chunk_release(r);
		ret = dbr_io_chunk_finish(r, ret);
		if (ret == -EAGAIN && nowait)
			return ret;
	} while (dbr_io_advance(r, ret, &res));
	return res;
}

static void dbr_io_task_done(struct io_uring_cmd *ucmd, unsigned int flags)
{
	struct dbr_io_req *r = *dbr_io_ucmd_pdu(ucmd);
	ssize_t n = dbr_io_chunk_finish(r, r->res);
	long res;

	/*
	 * -EAGAIN: a non-blocking chunk the block layer could not issue whole
	 * (it had to split it, and a later piece would have waited for a tag).
	 * Nothing of it counts: issue it again, this time allowed to block.
	 */
	if (n == -EAGAIN || dbr_io_advance(r, n, &res)) {
		res = dbr_io_async_step(r, false);
		if (res == -EIOCBQUEUED)
			return;
	}
	dbr_io_async_end(r, res, flags);
}

DBR_COMPAT_URING_TW(dbr_io_task_done)

/*
 * A request whose non-blocking issue would have blocked, going on in the
 * submitter's task (task work may block, as dbr_io_task_done() does).
 */
static void dbr_io_task_retry(struct io_uring_cmd *ucmd, unsigned int flags)
{
	struct dbr_io_req *r = *dbr_io_ucmd_pdu(ucmd);
	long res = dbr_io_async_step(r, false);

	if (res != -EIOCBQUEUED)
		dbr_io_async_end(r, res, flags);
}

DBR_COMPAT_URING_TW(dbr_io_task_retry)

/* Bio completion context: release the mapping, finish in the submitter. */
static void dbr_io_kiocb_complete(struct kiocb *kiocb, long ret)
{
	struct dbr_io_req *r = container_of(kiocb, struct dbr_io_req, kiocb);

	/* the write went asynchronous: its freeze protection ends here */
	if (!r->is_read)
		dbr_compat_iocb_end_write(kiocb);
	dbr_io_chunk_release(r);
	r->res = ret;
	io_uring_cmd_complete_in_task(r->ucmd, dbr_compat_uring_tw(dbr_io_task_done));
}

/**
 * dbr_io_submit() - start a READ or WRITE request from io_uring
 * @ctx: the context of the /dev/dmabridge file the command was issued on
 * @io: the request, copied from the SQE; flags and reserved already checked
 * @is_read: file -> buffer (READ) or buffer -> file (WRITE)
 * @ucmd: the io_uring command
 * @issue_flags: io_uring's issue flags
 *
 * Return: -EIOCBQUEUED (completion posted later or already), or a -errno to
 * post as the result.
 */
int dbr_io_submit(struct dbr_ctx *ctx, const struct dmabridge_io *io,
		  bool is_read, struct io_uring_cmd *ucmd,
		  unsigned int issue_flags)
{
	bool nowait = issue_flags & IO_URING_F_NONBLOCK;
	struct dbr_io_req *r;
	long res;

	BUILD_BUG_ON(sizeof(r) > sizeof_field(struct io_uring_cmd, pdu));
	r = dbr_io_req_new(ctx, io, is_read);
	if (IS_ERR(r))
		return PTR_ERR(r);
	r->ucmd = ucmd;
	*dbr_io_ucmd_pdu(ucmd) = r;
	res = dbr_io_async_step(r, nowait);
	if (res == -EIOCBQUEUED)
		return res;
	if (res == -EAGAIN && nowait) {
		/*
		 * Not -EAGAIN to io_uring: 6.12 copies the SQE then but its
		 * worker reads the command from the ring again, where the
		 * application may have queued another one by then (a READ ran
		 * with another request's offsets and tag). The request keeps
		 * its copy and what it did, and goes on where it may block.
		 */
		io_uring_cmd_complete_in_task(ucmd, dbr_compat_uring_tw(dbr_io_task_retry));
		return -EIOCBQUEUED;
	}
	dbr_io_async_end(r, res, issue_flags);
	return -EIOCBQUEUED;
}

/**
 * dbr_io_exit() - module unload: the chunks (dbr_io_chunk.c)
 */
void dbr_io_exit(void)
{
	dbr_io_chunks_exit();
}
