/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libdmabridge: move file data between files and dma-bufs (GPU memory,
 * udmabuf, ...) through the dmabridge NVMe driver when it can, and through
 * an ordinary O_DIRECT read and a CPU copy when it cannot, saying which and
 * why. docs/library.md explains the model; every function has a man page
 * (docs/man/dmab_*.3).
 *
 * Conventions (liburing's): functions return 0 or a negative errno and
 * never set errno; nothing is global: all state hangs off a struct dmab_ctx.
 * Thread safety: a context, its buffers and its files may be used from any
 * number of threads at once; a buffer or file must not be freed while
 * another thread uses it, and a context not before its buffers, files and
 * queues. A queue (dmab_queue_new) is used by one thread at a time.
 */
#ifndef DMABRIDGE_DMABRIDGE_H
#define DMABRIDGE_DMABRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DMAB_VERSION_MAJOR	0
#define DMAB_VERSION_MINOR	1

struct dmab_ctx;
struct dmab_buf;
struct dmab_file;

/* ---- reasons ----------------------------------------------------------- */

/*
 * Why bytes took the compat path (or why a file cannot take the direct
 * path). Stable numbers: new reasons are appended. dmab_strerror() gives
 * the one-line human text, dmab_reason_name() a short machine name.
 */
enum dmab_reason {
	DMAB_REASON_NONE = 0,		/* direct path */
	DMAB_REASON_COMPAT_FORCED,	/* DMABRIDGE_COMPAT=on or the option */
	DMAB_REASON_NO_MODULE,		/* no /dev/dmabridge */
	DMAB_REASON_CTL_ACCESS,		/* /dev/dmabridge could not be opened */
	DMAB_REASON_ABI_MISMATCH,	/* module speaks another ABI major */
	DMAB_REASON_NOT_DMABRIDGE_DEV,	/* file not on a dmabridge disk */
	DMAB_REASON_FS_NOT_SERVED,	/* filesystem other than ext2/3/4, xfs */
	DMAB_REASON_WOULD_BUFFER,	/* direct I/O would go to the page cache */
	DMAB_REASON_UNALIGNED,		/* head or tail not block aligned */
	DMAB_REASON_MISALIGNED,		/* buffer and file offsets differ mod block */
	DMAB_REASON_CPU_FILLED,		/* filesystem served bytes by CPU (ENODATA) */
	DMAB_REASON_EXPORTER,		/* exporter cannot map for the controller */
	DMAB_REASON_TOKEN,		/* the module refused the dma-buf */
	DMAB_REASON_MODULE_REFUSED,	/* the module refused the request */
	DMAB_REASON_NO_ODIRECT,		/* compat I/O is buffered: no O_DIRECT */
	DMAB_REASON_NO_CPU_MAP,		/* exporter refuses a CPU mapping */
	DMAB_REASON_BOUNCE_SHARE,	/* tokens hold their share of swiotlb */
	DMAB_REASON__COUNT
};

const char *dmab_strerror(int reason);
const char *dmab_reason_name(int reason);

/* ---- context ----------------------------------------------------------- */

enum dmab_compat {
	DMAB_COMPAT_AUTO = 0,	/* direct where possible, else compat */
	DMAB_COMPAT_ON = 1,	/* compat path only */
	DMAB_COMPAT_OFF = 2,	/* direct only: fail instead of falling back */
};

/* struct dmab_ctx_opts.set: the fields the caller filled in */
#define DMAB_OPT_COMPAT		(1U << 0)
#define DMAB_OPT_CHUNK_SIZE	(1U << 1)
#define DMAB_OPT_QUEUE_DEPTH	(1U << 2)
#define DMAB_OPT_CTL_PATH	(1U << 3)
#define DMAB_OPT_NO_ENV		(1U << 4)	/* ignore DMABRIDGE_* variables */
#define DMAB_OPT__ALL		((1U << 5) - 1)

/* Limits of the settings; defaults 1 MiB and 32. */
#define DMAB_CHUNK_MIN		4096ULL
#define DMAB_CHUNK_MAX		(1ULL << 30)
#define DMAB_QUEUE_DEPTH_MAX	4096U

struct dmab_ctx_opts {
	uint32_t size;		/* sizeof(struct dmab_ctx_opts) */
	uint32_t set;		/* DMAB_OPT_* */
	uint32_t compat;	/* enum dmab_compat */
	uint32_t queue_depth;	/* requests in flight per call */
	uint64_t chunk_size;	/* bytes per request; multiple of 4096 */
	const char *ctl_path;	/* control device (default /dev/dmabridge) */
	uint64_t reserved[4];	/* must be 0 */
};

enum dmab_source {
	DMAB_SRC_DEFAULT = 0,
	DMAB_SRC_OPTION = 1,
	DMAB_SRC_ENV = 2,
};

struct dmab_settings {
	uint32_t compat, compat_src;		/* enum dmab_compat, dmab_source */
	uint32_t queue_depth, queue_depth_src;
	uint64_t chunk_size;
	uint32_t chunk_size_src;
	/* DMAB_REASON_NONE when the module is usable, else why not */
	uint32_t module_reason;
	uint32_t abi_major, abi_minor;		/* 0.0 without a module */
	char ctl_path[64];
};

int dmab_ctx_new(const struct dmab_ctx_opts *opts, struct dmab_ctx **ctxp);
void dmab_ctx_free(struct dmab_ctx *ctx);
int dmab_ctx_settings(const struct dmab_ctx *ctx, struct dmab_settings *s);
const char *dmab_source_name(int source);
const char *dmab_compat_name(int compat);

/* ---- buffers ----------------------------------------------------------- */

/* Directions, named for the file operation as read(2)/write(2) are. */
#define DMAB_BUF_READ	(1U << 0)	/* file -> buffer (dmab_read) */
#define DMAB_BUF_WRITE	(1U << 1)	/* buffer -> file (dmab_write) */

int dmab_buf_register(struct dmab_ctx *ctx, int dmabuf_fd, uint64_t offset,
		      uint64_t length, unsigned int flags,
		      struct dmab_buf **bufp);
int dmab_buf_unregister(struct dmab_buf *buf);

struct dmab_buf_info {
	uint64_t dmabuf_size;	/* the whole dma-buf */
	uint64_t offset, length;/* the registered range */
	uint32_t flags;		/* DMAB_BUF_* */
	uint32_t token;		/* module token id; 0 until first direct I/O */
	/* DMAB_REASON_NONE, or why the buffer cannot go direct */
	uint32_t direct_reason;
	/* DMAB_REASON_NONE, or DMAB_REASON_NO_CPU_MAP: no compat path */
	uint32_t cpu_map_reason;
};

int dmab_buf_info(struct dmab_buf *buf, struct dmab_buf_info *info);

/* ---- files ------------------------------------------------------------- */

int dmab_file_open(struct dmab_ctx *ctx, const char *path, int flags,
		   mode_t mode, struct dmab_file **filep);
int dmab_file_adopt(struct dmab_ctx *ctx, int fd, struct dmab_file **filep);
int dmab_file_close(struct dmab_file *file);

struct dmab_file_info {
	/* DMAB_REASON_NONE: reads/writes take the direct path, else why not */
	uint32_t read_reason, write_reason;
	/* compat I/O: 1 with O_DIRECT, 0 buffered (compat_reason says why) */
	uint32_t compat_odirect, compat_reason;
	uint32_t block_size;	/* direct-path alignment (logical block) */
	uint32_t dio_align;	/* compat O_DIRECT offset alignment */
	uint32_t dev_major, dev_minor;	/* the device the file is on */
	char dev_name[32];	/* its /sys/dev/block name, "" if none */
};

int dmab_file_info(struct dmab_file *file, struct dmab_file_info *info);

/* ---- synchronous I/O --------------------------------------------------- */

struct dmab_result {
	uint64_t bytes;			/* moved in all (short: end of file) */
	uint64_t direct_bytes;		/* of which by the direct path */
	uint64_t compat_bytes;		/* of which by the compat path */
	uint32_t direct_requests;	/* requests to the module */
	uint32_t compat_requests;	/* compat reads/writes issued */
	uint32_t reason;	/* first reason bytes went compat; NONE: none */
	uint32_t reasons;	/* 1 << reason for every such reason */
	int32_t error;		/* 0, or the call's -errno */
	uint32_t reserved;
	uint64_t error_offset;	/* file offset of the piece that failed */
};

int dmab_read(struct dmab_file *file, struct dmab_buf *buf, uint64_t buf_off,
	      uint64_t file_off, uint64_t len, struct dmab_result *res);
int dmab_write(struct dmab_file *file, struct dmab_buf *buf, uint64_t buf_off,
	       uint64_t file_off, uint64_t len, struct dmab_result *res);

/* ---- asynchronous queue ------------------------------------------------ */

/*
 * A queue is an io_uring of its own (SQE128/CQE32) with its own bounce
 * buffers. Requests are planned as dmab_read()/dmab_write() plan them (any
 * alignment, the compat path for what cannot go direct) and carry a 64-bit
 * tag of the caller's; signals complete when everything enqueued before
 * them has. A queue belongs to one thread at a time: a call while another
 * thread is inside a call on the same queue fails with -EBUSY (only
 * dmab_queue_signaled() may be called from any thread). docs/library.md.
 */
struct dmab_queue;

int dmab_queue_new(struct dmab_ctx *ctx, unsigned int depth,
		   unsigned int flags, struct dmab_queue **qp);
int dmab_queue_free(struct dmab_queue *q);

int dmab_queue_read(struct dmab_queue *q, struct dmab_file *file,
		    struct dmab_buf *buf, uint64_t buf_off, uint64_t file_off,
		    uint64_t len, uint64_t tag);
int dmab_queue_write(struct dmab_queue *q, struct dmab_file *file,
		     struct dmab_buf *buf, uint64_t buf_off, uint64_t file_off,
		     uint64_t len, uint64_t tag);
int dmab_queue_signal(struct dmab_queue *q, uint64_t value);
int dmab_queue_submit(struct dmab_queue *q);

enum dmab_op { DMAB_OP_READ = 0, DMAB_OP_WRITE = 1, DMAB_OP_SIGNAL = 2 };

struct dmab_completion {
	uint64_t tag;		/* the request's tag; a signal's value */
	int64_t res;		/* bytes moved, or -errno (-ECANCELED) */
	uint64_t direct_bytes;	/* of res, by the direct path */
	uint64_t compat_bytes;	/* of res, by the compat path */
	uint32_t op;		/* enum dmab_op */
	uint32_t reason;	/* first reason bytes went compat; NONE: none */
	uint32_t reasons;	/* 1 << reason for every such reason */
	uint32_t reserved;
};

int dmab_queue_reap(struct dmab_queue *q, struct dmab_completion *comps,
		    unsigned int max, int timeout_ms);
int dmab_queue_cancel(struct dmab_queue *q, uint64_t tag);
int dmab_queue_eventfd(struct dmab_queue *q);
int dmab_queue_signaled(struct dmab_queue *q, uint64_t *value);

struct dmab_queue_error {
	int32_t error;		/* -errno of the first failure; 0: none */
	uint32_t op;		/* enum dmab_op */
	uint64_t tag;
	struct dmab_file *file;
	uint64_t buf_off, file_off, len;	/* the request, as enqueued */
	uint64_t error_offset;	/* file offset of the piece that failed */
	uint64_t reserved[2];
};

int dmab_queue_error(struct dmab_queue *q, struct dmab_queue_error *err);

/* ---- statistics -------------------------------------------------------- */

enum dmab_path { DMAB_PATH_DIRECT = 0, DMAB_PATH_COMPAT = 1 };
enum dmab_dir { DMAB_DIR_READ = 0, DMAB_DIR_WRITE = 1 };

#define DMAB_STATS_REASONS	32
#define DMAB_STATS_ERRNOS	160	/* index = errno; the last: any larger */

struct dmab_stats {
	uint64_t calls[2];		/* [dir] dmab_read/dmab_write calls */
	uint64_t bytes[2][2];		/* [path][dir] bytes moved */
	uint64_t requests[2][2];	/* [path][dir] requests issued */
	uint64_t fallbacks[DMAB_STATS_REASONS];	     /* compat pieces by reason */
	uint64_t fallback_bytes[DMAB_STATS_REASONS]; /* their bytes */
	uint64_t errors[DMAB_STATS_ERRNOS];	     /* failed calls by errno */
};

int dmab_ctx_stats(struct dmab_ctx *ctx, struct dmab_stats *stats,
		   size_t size);
int dmab_ctx_stats_reset(struct dmab_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* DMABRIDGE_DMABRIDGE_H */
