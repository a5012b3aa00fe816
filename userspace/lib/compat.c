// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The compat backend: file I/O into a page-aligned bounce buffer (O_DIRECT
 * where the file allows it) and a CPU copy to or from the dma-buf's
 * mapping, bracketed by DMA_BUF_IOCTL_SYNC. A read bounces the whole
 * aligned span of its piece and copies only the piece; a write copies into
 * the bounce buffer and writes it with O_DIRECT, except the unaligned edges
 * of a request, which are written through the page cache (see
 * docs/library.md: an O_DIRECT read-modify-write would need read access
 * and could undo a neighbour's write to the same block).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

int64_t __dmab_pread_full(int fd, void *dst, uint64_t len, uint64_t off)
{
	uint64_t done = 0;
	ssize_t r;

	while (done < len) {
		r = pread(fd, (uint8_t *)dst + done, len - done,
			  (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;		/* end of file */
		done += (uint64_t)r;
	}
	return (int64_t)done;
}

int64_t __dmab_pwrite_full(int fd, const void *src, uint64_t len, uint64_t off)
{
	uint64_t done = 0;
	ssize_t r;

	while (done < len) {
		r = pwrite(fd, (const uint8_t *)src + done, len - done,
			   (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (uint64_t)r;
	}
	return (int64_t)done;
}

/*
 * A read's bounce buffer holds @got bytes of the piece's span: copy the
 * piece's part of them into the buffer. Returns the bytes placed (short at
 * end of file) or -errno.
 */
int __dmab_compat_copy_in(struct dmab_buf *b, const struct __dmab_piece *p,
			  const uint8_t *bounce, int64_t got)
{
	uint64_t skip = p->foff - p->span_off, n;
	uint8_t *base;
	int ret, end;

	if (got < 0)
		return (int)got;
	if ((uint64_t)got <= skip)
		return 0;
	n = (uint64_t)got - skip;
	if (n > p->len)
		n = p->len;
	ret = __dmab_buf_map(b, &base);
	if (ret)
		return ret;
	ret = __dmab_buf_cpu_begin(b, true);
	if (ret)
		return ret;
	memcpy(base + p->boff, bounce + skip, n);
	end = __dmab_buf_cpu_end(b, true);
	return end ? end : (int)n;
}

/*
 * A compat piece's read or write through bounce memory @mem returned @res
 * (io_uring): finish a short transfer synchronously, as read()/write()
 * would be retried, and for a read copy the bytes into the buffer. Return
 * the piece's bytes or -errno.
 */
int64_t __dmab_compat_complete(struct dmab_file *f, struct dmab_buf *b,
			       const struct __dmab_piece *p, uint8_t *mem,
			       bool is_write, int64_t res)
{
	int64_t more;

	if (is_write) {
		if (res < 0 || (uint64_t)res >= p->len)
			return res;
		more = __dmab_pwrite_full(f->cfd, mem + res,
					  p->len - (uint64_t)res,
					  p->foff + (uint64_t)res);
		return more < 0 ? more : (int64_t)p->len;
	}
	if (res > 0 && (uint64_t)res < p->span_len) {
		more = __dmab_pread_full(f->cfd, mem + res,
					 p->span_len - (uint64_t)res,
					 p->span_off + (uint64_t)res);
		res = more < 0 ? more : res + more;
	}
	return __dmab_compat_copy_in(b, p, mem, res);	/* res < 0: res */
}

/* A write's bytes from the buffer into the bounce buffer. */
int __dmab_compat_copy_out(struct dmab_buf *b, const struct __dmab_piece *p,
			   uint8_t *bounce)
{
	uint8_t *base;
	int ret, end;

	ret = __dmab_buf_map(b, &base);
	if (ret)
		return ret;
	ret = __dmab_buf_cpu_begin(b, false);
	if (ret)
		return ret;
	memcpy(bounce, base + p->boff, p->len);
	end = __dmab_buf_cpu_end(b, false);
	return end;
}

int64_t __dmab_compat_read_sync(struct dmab_file *f, struct dmab_buf *b,
				const struct __dmab_piece *p, uint8_t *bounce)
{
	int64_t got = __dmab_pread_full(f->cfd, bounce, p->span_len,
					p->span_off);

	return __dmab_compat_copy_in(b, p, bounce, got);
}

int64_t __dmab_compat_write_sync(struct dmab_file *f, struct dmab_buf *b,
				 const struct __dmab_piece *p, uint8_t *bounce)
{
	int ret = __dmab_compat_copy_out(b, p, bounce);

	if (ret)
		return ret;
	return __dmab_pwrite_full(p->edge ? f->fd : f->cfd, bounce, p->len,
				  p->foff);
}
