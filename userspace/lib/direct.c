// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The direct backend: the module's READ/WRITE on a token, one request per
 * piece, as an ioctl or an IORING_OP_URING_CMD on an SQE128 ring. A third
 * backend (the upstream io_uring registered dma-buf reads) would sit beside
 * this file with the same three entry points; docs/library.md.
 */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/dmabridge.h>

#include "internal.h"

static void io_fill(struct dmabridge_io *io, struct dmab_file *f,
		    uint32_t token, uint64_t boff, uint64_t foff, uint64_t len)
{
	*io = (struct dmabridge_io){
		.token = token, .fd = f->fd, .token_offset = boff,
		.file_offset = foff, .length = len,
	};
}

/* Bytes moved, or -errno. */
int __dmab_direct_sync(struct dmab_file *f, uint32_t token, bool is_write,
		       uint64_t boff, uint64_t foff, uint64_t len)
{
	struct dmabridge_io io;
	int r;

	io_fill(&io, f, token, boff, foff, len);
	do {
		r = ioctl(f->ctx->ctl, is_write ? DMABRIDGE_IOC_WRITE :
						  DMABRIDGE_IOC_READ, &io);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

void __dmab_direct_prep(struct io_uring_sqe *sqe, struct dmab_file *f,
			uint32_t token, bool is_write, uint64_t boff,
			uint64_t foff, uint64_t len)
{
	struct dmabridge_io io;

	io_fill(&io, f, token, boff, foff, len);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, f->ctx->ctl, NULL, 0, 0);
	sqe->cmd_op = is_write ? DMABRIDGE_IOC_WRITE : DMABRIDGE_IOC_READ;
	memcpy(sqe->cmd, &io, sizeof(io));
}

/*
 * The module's errnos that the compat path can serve (dmabridge(4)), with
 * the reason recorded. Everything else is the caller's error.
 */
bool __dmab_direct_fallback(int err, uint32_t *reason)
{
	switch (err) {
	case -EXDEV:
		*reason = DMAB_REASON_MODULE_REFUSED;
		return true;
	case -EINVAL:		/* alignment, or a WRITE that would buffer */
		*reason = DMAB_REASON_MODULE_REFUSED;
		return true;
	case -ENODATA:
		*reason = DMAB_REASON_CPU_FILLED;
		return true;
	case -EOPNOTSUPP:
		*reason = DMAB_REASON_EXPORTER;
		return true;
	case -ENOBUFS:		/* for now: the share frees as tokens go */
		*reason = DMAB_REASON_BOUNCE_SHARE;
		return true;
	}
	return false;
}
