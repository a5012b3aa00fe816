/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libdmabridge internals: the objects behind the public handles and the
 * __dmab_* functions the source files share. Nothing here is exported
 * (libdmabridge.map exports dmab_* only).
 */
#ifndef DMAB_INTERNAL_H
#define DMAB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <dmabridge/dmabridge.h>

#define DMAB_DEFAULT_CHUNK	(1ULL << 20)
#define DMAB_DEFAULT_QD		32U
#define DMAB_CTL_DEFAULT	"/dev/dmabridge"
#define DMAB_PAGE		4096ULL
/* the largest O_DIRECT alignment the compat path bounces for */
#define DMAB_ALIGN_MAX		65536U

#define DMAB_ALIGN_DOWN(x, a)	((x) / (a) * (a))
#define DMAB_ALIGN_UP(x, a)	(((x) + (a) - 1) / (a) * (a))

/* ---- settings (settings.c, pure) ---------------------------------------- */

typedef const char *(*__dmab_getenv_fn)(const char *name, void *arg);

int __dmab_parse_size(const char *s, uint64_t *out);
int __dmab_parse_compat(const char *s, uint32_t *out);
int __dmab_settings_resolve(const struct dmab_ctx_opts *opts,
			    __dmab_getenv_fn getenv_fn, void *arg,
			    struct dmab_settings *s);

/* ---- stats (stats.c) ---------------------------------------------------- */

struct __dmab_stats {
	atomic_uint_least64_t calls[2];
	atomic_uint_least64_t bytes[2][2];
	atomic_uint_least64_t requests[2][2];
	atomic_uint_least64_t fallbacks[DMAB_STATS_REASONS];
	atomic_uint_least64_t fallback_bytes[DMAB_STATS_REASONS];
	atomic_uint_least64_t errors[DMAB_STATS_ERRNOS];
};

void __dmab_stats_add_result(struct __dmab_stats *st, int dir,
			     const struct dmab_result *r);
void __dmab_stats_fallback(struct __dmab_stats *st, int reason, uint64_t len);

/* One whole direct request of @len bytes that moved them all: one call. */
static inline void __dmab_stats_add_direct(struct __dmab_stats *st, int dir,
					   uint64_t len)
{
	atomic_fetch_add_explicit(&st->calls[dir], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&st->bytes[DMAB_PATH_DIRECT][dir], len,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&st->requests[DMAB_PATH_DIRECT][dir], 1,
				  memory_order_relaxed);
}

/* ---- context (ctx.c) ---------------------------------------------------- */

struct __dmab_engine;

struct dmab_ctx {
	struct dmab_settings set;
	int ctl;			/* /dev/dmabridge, -1 without the module */
	struct __dmab_stats stats;
	pthread_mutex_t lock;		/* the engine pool */
	struct __dmab_engine *idle;	/* engines not in use */
};

struct __dmab_engine *__dmab_engine_get(struct dmab_ctx *ctx);
void __dmab_engine_put(struct dmab_ctx *ctx, struct __dmab_engine *e);
void __dmab_engine_free(struct __dmab_engine *e);

/* ---- buffers (buf.c) ---------------------------------------------------- */

struct dmab_buf {
	struct dmab_ctx *ctx;
	int fd;				/* our dup of the dma-buf */
	uint64_t size, offset, length;
	uint32_t flags;
	pthread_mutex_t lock;		/* token and map creation */
	_Atomic uint32_t token;		/* 0: none yet; set once */
	_Atomic uint32_t direct_reason;	/* sticky once set */
	int token_err;			/* the TOKEN_CREATE errno, if it failed */
	bool map_tried;
	uint32_t map_reason;
	uint8_t *map;			/* CPU mapping of [map_off, +map_len) */
	uint64_t map_off, map_len;
};

int __dmab_buf_token(struct dmab_buf *b, uint32_t *id);
int __dmab_buf_map(struct dmab_buf *b, uint8_t **base);
int __dmab_buf_cpu_begin(struct dmab_buf *b, bool cpu_writes);
int __dmab_buf_cpu_end(struct dmab_buf *b, bool cpu_writes);

/* ---- files (file.c) ----------------------------------------------------- */

struct dmab_file {
	struct dmab_ctx *ctx;
	int fd;				/* ours: the direct path and buffered edges */
	int cfd;			/* compat I/O: O_DIRECT reopen, or fd */
	int accmode;			/* O_RDONLY / O_WRONLY / O_RDWR */
	_Atomic uint32_t read_reason, write_reason;
	uint32_t compat_reason;
	uint32_t block_size;		/* direct path */
	uint32_t calign;		/* compat path: 1 when buffered */
	uint32_t dev_major, dev_minor;
	char dev_name[32];
};

/* The pure part of the decision, given what the probe found. */
struct __dmab_probe {
	uint32_t module_reason;		/* the context's */
	bool compat_forced;
	bool is_reg, is_blk;
	bool on_dmabridge;		/* device name dmabridge* */
	bool fs_served;			/* ext2/3/4 or xfs (regular files) */
	bool dio_known, dio_none;	/* STATX_DIOALIGN: reported, and 0 */
};

uint32_t __dmab_decide(const struct __dmab_probe *p);
bool __dmab_is_dmabridge_name(const char *name);

/* ---- planning (plan.c, pure) -------------------------------------------- */

enum { __DMAB_DIRECT = 0, __DMAB_COMPAT = 1 };

struct __dmab_seg {
	uint64_t foff, boff, len;	/* boff: offset in the whole dma-buf */
	uint32_t path, reason;
};

/*
 * Split a request into at most three segments in file order: the compat
 * head, the block-aligned direct middle, the compat tail; or one compat
 * segment when the direct path is impossible (@reason) or the middle is
 * empty. @bs: the direct path's block size.
 */
unsigned int __dmab_plan(uint64_t foff, uint64_t boff, uint64_t len,
			 uint32_t reason, uint32_t bs, struct __dmab_seg seg[3]);

struct __dmab_piece {
	uint64_t foff, boff, len;
	uint64_t span_off, span_len;	/* compat: the aligned file span */
	uint32_t path, reason;
	bool edge;			/* compat write not aligned: buffered */
};

/*
 * Cut a segment into pieces: direct ones of at most @chunk bytes, compat
 * ones ending at multiples of @chunk in file space (so the inner ones are
 * aligned) and, for writes, with the unaligned edges on their own. Calls
 * @fn for each; returns the number of pieces (fn may be NULL to count).
 */
typedef void (*__dmab_piece_fn)(const struct __dmab_piece *p, void *arg);
uint64_t __dmab_pieces(const struct __dmab_seg *s, bool is_write,
		       uint64_t chunk, uint32_t calign,
		       __dmab_piece_fn fn, void *arg);

/* ---- backends ----------------------------------------------------------- */

struct io_uring_sqe;

/* direct.c: the module's READ/WRITE */
int __dmab_direct_sync(struct dmab_file *f, uint32_t token, bool is_write,
		       uint64_t boff, uint64_t foff, uint64_t len);
void __dmab_direct_prep(struct io_uring_sqe *sqe, struct dmab_file *f,
			uint32_t token, bool is_write, uint64_t boff,
			uint64_t foff, uint64_t len);
bool __dmab_direct_fallback(int err, uint32_t *reason);

/* compat.c: bounce-buffer I/O and copies through the CPU mapping */
int __dmab_compat_copy_in(struct dmab_buf *b, const struct __dmab_piece *p,
			  const uint8_t *bounce, int64_t got);
int __dmab_compat_copy_out(struct dmab_buf *b, const struct __dmab_piece *p,
			   uint8_t *bounce);
int64_t __dmab_compat_read_sync(struct dmab_file *f, struct dmab_buf *b,
				const struct __dmab_piece *p, uint8_t *bounce);
int64_t __dmab_compat_write_sync(struct dmab_file *f, struct dmab_buf *b,
				 const struct __dmab_piece *p, uint8_t *bounce);
int64_t __dmab_compat_complete(struct dmab_file *f, struct dmab_buf *b,
			       const struct __dmab_piece *p, uint8_t *mem,
			       bool is_write, int64_t res);
int64_t __dmab_pread_full(int fd, void *dst, uint64_t len, uint64_t off);
int64_t __dmab_pwrite_full(int fd, const void *src, uint64_t len,
			   uint64_t off);

/* io.c: shared with the queue (queue.c) */
int __dmab_check_args(struct dmab_file *f, struct dmab_buf *b, bool is_write,
		      uint64_t buf_off, uint64_t file_off, uint64_t len);
uint32_t __dmab_direct_reason(struct dmab_file *f, struct dmab_buf *b,
			      bool is_write);
bool __dmab_refused(struct dmab_file *f, struct dmab_buf *b, bool is_write,
		    int err, uint32_t *reason);
void __dmab_piece_to_compat(struct __dmab_piece *p, uint32_t reason,
			    uint32_t calign, bool is_write);

/* reason.c */
int __dmab_reason_errno(uint32_t reason);

#endif /* DMAB_INTERNAL_H */
