/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dbr_io.h - token requests: file data <-> dma-buf through the filesystem's
 * own direct-I/O path.
 *
 * A READ/WRITE request is cut into chunks of at most DBR_IO_CHUNK_BYTES.
 * Each chunk is one direct-I/O read_iter/write_iter call on the target file
 * with an ITER_BVEC of placeholder bvecs: every bvec points at the chunk's
 * one placeholder page (offset 0, at most PAGE_SIZE bytes, so no CPU access
 * through it can overrun the page), and bvec i stands for token bytes
 * [tok_off + i * PAGE_SIZE, + bv_len). The filesystem maps extents, locks
 * and allocates as for any O_DIRECT I/O; its bios reach our queue_rq, which
 * recognises them by their bvec array (bio->bi_io_vec points into a chunk,
 * found in an RCU hash table keyed by the chunk's aligned address) and turns
 * them into the token's DMA runs instead of mapping pages.
 *
 * Memory: one chunk allocation (DBR_IO_CHUNK_ALLOC, which also holds the
 * request's state) and one placeholder page per request in flight, whatever
 * the dma-buf's or the request's size. Up to DBR_IO_POOL_MAX idle chunks
 * are kept for reuse (12 KiB each), so the steady state allocates nothing
 * per request.
 */
#ifndef DBR_IO_H
#define DBR_IO_H

#include <linux/bvec.h>
#include <linux/dma-direction.h>
#include <linux/list.h>
#include <linux/types.h>

#include "dbr_sgl.h"

struct request;
struct gendisk;
struct device;
struct dbr_ctx;
struct dbr_ctx_target;
struct dbr_token_dev;
struct dbr_token_map;
struct dmabridge_io;
struct io_uring_cmd;

#define DBR_IO_CHUNK_PAGES	256
#define DBR_IO_CHUNK_BYTES	(DBR_IO_CHUNK_PAGES * PAGE_SIZE)
#define DBR_IO_CHUNK_ALLOC	8192	/* power of two: kmalloc aligns it */
#define DBR_IO_MIN_LBS		512
#define DBR_IO_POOL_MAX		64
#define DBR_IO_COVER_BITS	(DBR_IO_CHUNK_BYTES / DBR_IO_MIN_LBS)

/**
 * struct dbr_io_chunk - one direct-I/O call's worth of a token request
 * @map: the token mapping the placeholder bvecs stand for (a reference)
 * @tok_off: token offset of bvecs[0]
 * @len: bytes in this chunk
 * @lbs_shift: log2 of the target's logical block size: @covered's unit
 * @covered: blocks of this chunk a command moved by DMA (dbr_io_cover())
 * @whole: one command moved the whole chunk (the usual case: a small
 *	request of one bio); @covered is then left as it was, all zero
 * @page: the placeholder page; zeroed, so after the call any non-zero byte
 *	in it proves the filesystem moved real data by CPU
 * @page_dirty: a call may have written to @page: zero it before the next
 *	one (a fully covered call never touches it)
 * @range: the token's DMA runs for [@tok_off, @tok_off + @len) of @map,
 *	looked up once; syncs and queue_rq iterate (windows of) it
 * @hnode: in the table queue_rq finds chunks in, keyed by address
 * @rcu: frees the chunk once queue_rq can no longer be looking at it
 * @bvecs: the placeholder bvec array handed to the filesystem
 */
struct dbr_io_chunk {
	struct dbr_token_map	*map;
	u64			tok_off;
	u32			len;
	u32			lbs_shift;
	struct dbr_seg_iter	range;
	struct hlist_node	hnode;
	DECLARE_BITMAP(covered, DBR_IO_COVER_BITS);
	bool			whole;
	struct page		*page;
	bool			page_dirty;
	struct rcu_head		rcu;
	struct bio_vec		bvecs[DBR_IO_CHUNK_PAGES];
};

/**
 * struct dbr_io_pdu - DMA segments of a request with placeholder bvecs
 * @nr_segs: entries used in @segs
 * @mapped: @segs entries that are regular pages mapped with dma_map_page()
 *	(a request the block layer merged from token and ordinary bios)
 * @segs: the request's data, in order, as DMA segments
 *
 * Lives in the request's PDU in place of the scatterlist (see dbr_map.c).
 */
#define DBR_IO_RQ_SEGS		192
struct dbr_io_pdu {
	unsigned int		nr_segs;
	DECLARE_BITMAP(mapped, DBR_IO_RQ_SEGS);
	struct dbr_seg		segs[DBR_IO_RQ_SEGS];
};

void dbr_io_exit(void);
int dbr_io_target_new(int fd, struct dbr_ctx_target **out);
long dbr_io_execute(struct dbr_ctx *ctx, const struct dmabridge_io *io,
		    bool is_read);
int dbr_io_submit(struct dbr_ctx *ctx, const struct dmabridge_io *io,
		  bool is_read, struct io_uring_cmd *ucmd,
		  unsigned int issue_flags);

/* chunks and the queue_rq side (dbr_io_chunk.c) */
struct dbr_io_chunk *dbr_io_chunk_alloc(void);
void dbr_io_chunk_free(struct dbr_io_chunk *c);
unsigned int dbr_io_chunk_setup(struct dbr_io_chunk *c,
				struct dbr_token_map *map, u64 tok_off,
				u32 len, u32 lbs_shift);
void dbr_io_chunks_exit(void);
int dbr_io_rq_map(struct request *req, struct device *dev,
		  struct dbr_io_pdu *pdu, struct dbr_seg_iter *it);
void dbr_io_rq_unmap(struct request *req, struct device *dev,
		     struct dbr_io_pdu *pdu);

/* provided by dbr_disk.c: the controller behind a dmabridge disk, or NULL */
struct dbr_token_dev *dbr_disk_token_dev(struct gendisk *disk);

#endif /* DBR_IO_H */
