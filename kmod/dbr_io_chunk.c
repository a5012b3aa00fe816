// SPDX-License-Identifier: GPL-2.0
/*
 * The queue_rq half of token requests: chunks of placeholder bvecs, found
 * again by queue_rq from a bio's bvec array, turned into the token's DMA
 * runs (the bio's window of the chunk), and the coverage record of which
 * blocks a command really moved. dbr_io.c runs the requests that use them;
 * dbr_io.h describes the scheme.
 */
#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/dma-mapping.h>
#include <linux/hashtable.h>
#include <linux/highmem.h>
#include <linux/slab.h>

#include "compat.h"
#include "dbr_io.h"
#include "dbr_token.h"

/*
 * Chunks (in flight or pooled), by aligned address; read from queue_rq
 * under RCU. A hash table, not an xarray: the keys are kernel addresses, so
 * an xarray walk would be nine levels deep for every token request.
 */
#define DBR_IO_HASH_BITS	8
static DEFINE_HASHTABLE(dbr_io_chunk_hash, DBR_IO_HASH_BITS);
static DEFINE_SPINLOCK(dbr_io_hash_lock);
/* Fast exit for ordinary I/O while no token request is in flight. */
static atomic_t dbr_io_live = ATOMIC_INIT(0);

/*
 * Idle chunks, kept for the next request: a chunk costs two allocations, a
 * hash insertion and an RCU-deferred free, which small requests would
 * otherwise pay every time. A pooled chunk stays in the table: no bio
 * carries its bvecs, so queue_rq never finds it.
 */
static DEFINE_SPINLOCK(dbr_io_pool_lock);
static struct dbr_io_chunk *dbr_io_pool[DBR_IO_POOL_MAX];
static unsigned int dbr_io_pool_n;

#define DBR_IO_CHUNK_KEY(p)	((unsigned long)(p) / DBR_IO_CHUNK_ALLOC)

/* ---- chunks ------------------------------------------------------------ */

static struct dbr_io_chunk *dbr_io_chunk_new(void)
{
	struct dbr_io_chunk *c;

	BUILD_BUG_ON(!is_power_of_2(DBR_IO_CHUNK_ALLOC));
	/* kmalloc() aligns power-of-two sizes naturally: see DBR_IO_CHUNK_KEY */
	c = kmalloc(DBR_IO_CHUNK_ALLOC, GFP_KERNEL);
	if (!c)
		return NULL;
	if (WARN_ON_ONCE((unsigned long)c & (DBR_IO_CHUNK_ALLOC - 1)))
		goto free_chunk;
	c->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!c->page)
		goto free_chunk;
	c->page_dirty = false;
	spin_lock(&dbr_io_hash_lock);
	hash_add_rcu(dbr_io_chunk_hash, &c->hnode, DBR_IO_CHUNK_KEY(c));
	spin_unlock(&dbr_io_hash_lock);
	return c;

free_chunk:
	kfree(c);
	return NULL;
}

static void dbr_io_chunk_free_rcu(struct rcu_head *head)
{
	struct dbr_io_chunk *c = container_of(head, struct dbr_io_chunk, rcu);

	__free_page(c->page);
	kfree(c);
}

static void dbr_io_chunk_destroy(struct dbr_io_chunk *c)
{
	spin_lock(&dbr_io_hash_lock);
	hash_del_rcu(&c->hnode);
	spin_unlock(&dbr_io_hash_lock);
	/* queue_rq may still be looking at it under RCU */
	call_rcu(&c->rcu, dbr_io_chunk_free_rcu);
}

/**
 * dbr_io_chunk_alloc() - a chunk for a request, from the pool if it can
 *
 * The allocation is DBR_IO_CHUNK_ALLOC bytes: the request's state follows
 * the chunk in it (struct dbr_io_slot in dbr_io.c).
 *
 * Return: the chunk, or NULL.
 */
struct dbr_io_chunk *dbr_io_chunk_alloc(void)
{
	struct dbr_io_chunk *c = NULL;

	spin_lock(&dbr_io_pool_lock);
	if (dbr_io_pool_n)
		c = dbr_io_pool[--dbr_io_pool_n];
	spin_unlock(&dbr_io_pool_lock);
	if (!c)
		c = dbr_io_chunk_new();
	if (c)
		atomic_inc(&dbr_io_live);
	return c;
}

/** dbr_io_chunk_free() - a request is done with its chunk: pool or free it */
void dbr_io_chunk_free(struct dbr_io_chunk *c)
{
	atomic_dec(&dbr_io_live);
	spin_lock(&dbr_io_pool_lock);
	if (dbr_io_pool_n < DBR_IO_POOL_MAX) {
		dbr_io_pool[dbr_io_pool_n++] = c;
		c = NULL;
	}
	spin_unlock(&dbr_io_pool_lock);
	if (c)
		dbr_io_chunk_destroy(c);
}

/**
 * dbr_io_chunk_setup() - point a chunk at token bytes [@tok_off, + @len)
 * @c: chunk from dbr_io_chunk_alloc()
 * @map: the token mapping the bvecs stand for (the caller's reference)
 * @tok_off: token offset of the first bvec
 * @len: bytes, at most DBR_IO_CHUNK_BYTES
 * @lbs_shift: log2 of the target's logical block size
 *
 * Return: the number of placeholder bvecs to hand to the filesystem.
 */
unsigned int dbr_io_chunk_setup(struct dbr_io_chunk *c,
				struct dbr_token_map *map, u64 tok_off,
				u32 len, u32 lbs_shift)
{
	unsigned int i, nr = DIV_ROUND_UP(len, PAGE_SIZE);

	c->map = map;
	c->tok_off = tok_off;
	c->len = len;
	c->lbs_shift = lbs_shift;
	/* only the blocks of this call are ever looked at */
	bitmap_zero(c->covered, DIV_ROUND_UP(len, 1U << lbs_shift));
	c->whole = false;
	if (c->page_dirty) {
		clear_highpage(c->page);
		c->page_dirty = false;
	}
	for (i = 0; i < nr; i++) {
		c->bvecs[i].bv_page = c->page;
		c->bvecs[i].bv_offset = 0;
		c->bvecs[i].bv_len = min_t(u32, PAGE_SIZE, len - i * PAGE_SIZE);
	}
	return nr;
}

/* ---- queue_rq side ----------------------------------------------------- */

/*
 * The chunk whose placeholder bvecs @bio carries, or NULL. RCU held. Only
 * compares addresses: @bio's bvec array is never dereferenced.
 */
static struct dbr_io_chunk *dbr_io_bio_chunk(struct bio *bio)
{
	unsigned long key = DBR_IO_CHUNK_KEY(bio->bi_io_vec);
	struct dbr_io_chunk *c;

	hash_for_each_possible_rcu(dbr_io_chunk_hash, c, hnode, key) {
		if (DBR_IO_CHUNK_KEY(c) != key)
			continue;
		if (bio->bi_io_vec < c->bvecs ||
		    bio->bi_io_vec >= c->bvecs + DBR_IO_CHUNK_PAGES)
			return NULL;
		return c;
	}
	return NULL;
}

static int dbr_io_add_seg(struct dbr_io_pdu *pdu, dma_addr_t addr, u64 len,
			  bool mapped)
{
	struct dbr_seg *prev = pdu->nr_segs ? &pdu->segs[pdu->nr_segs - 1] : NULL;

	if (prev && !mapped && !test_bit(pdu->nr_segs - 1, pdu->mapped) &&
	    prev->addr + prev->len == addr && prev->len + len <= U32_MAX) {
		prev->len += len;
		return 0;
	}
	if (pdu->nr_segs == DBR_IO_RQ_SEGS)
		return -E2BIG;
	pdu->segs[pdu->nr_segs].addr = addr;
	pdu->segs[pdu->nr_segs].len = len;
	/* bits at and past nr_segs are stale: each entry sets its own */
	__assign_bit(pdu->nr_segs, pdu->mapped, mapped);
	pdu->nr_segs++;
	return 0;
}

/*
 * Mark blocks [@start, @start + @nr) covered. queue_rq runs on several CPUs
 * at once, but the windows of one chunk never share a block: a word wholly
 * inside this window is nobody else's and is stored, the words at its ends
 * may be shared and are or-ed atomically.
 */
static void dbr_io_cover(unsigned long *map, unsigned long start,
			 unsigned long nr)
{
	unsigned long end = start + nr, lo, n;

	while (start < end) {
		lo = start % BITS_PER_LONG;
		n = min(end - start, BITS_PER_LONG - lo);
		if (n == BITS_PER_LONG)
			WRITE_ONCE(map[BIT_WORD(start)], ~0UL);
		else
			set_mask_bits(&map[BIT_WORD(start)], 0,
				      GENMASK(lo + n - 1, lo));
		start += n;
	}
}

/*
 * The token bytes @bio stands for: bvec i of a chunk is token bytes
 * [tok_off + i * PAGE_SIZE, + bv_len), all but the last a whole page, so
 * any stretch of the array the block layer hands us (a bio, or a piece of
 * a split one) is one contiguous window, found from the bio's iterator
 * alone. Return the window's offset in the chunk and its length, or false
 * if it does not lie inside the chunk.
 */
static bool dbr_io_bio_window(struct dbr_io_chunk *c, struct bio *bio,
			      u64 *skip, u32 *len)
{
	unsigned long idx = bio->bi_io_vec - c->bvecs + bio->bi_iter.bi_idx;
	u64 pos = (u64)idx * PAGE_SIZE + dbr_compat_bvec_iter_done(&bio->bi_iter);
	u32 mask = (1U << c->lbs_shift) - 1;

	*skip = pos;
	*len = bio->bi_iter.bi_size;
	return *len && !((pos | *len) & mask) && pos < c->len &&
	       *len <= c->len - pos;
}

/* Mark the blocks of a window of @c covered. */
static void dbr_io_cover_window(struct dbr_io_chunk *c, u64 skip, u32 len)
{
	/*
	 * Marked when issued: if the command fails, the direct-I/O call fails
	 * and the coverage of the chunk is never looked at. A window of the
	 * whole chunk is the only window of its call (windows never share a
	 * block): one flag instead of the bits, so the common case neither
	 * sets nor later scans them (dbr_io_next_gap(), dbr_io_sync_covered()).
	 */
	if (!skip && len == c->len) {
		WRITE_ONCE(c->whole, true);
		return;
	}
	dbr_io_cover(c->covered, skip >> c->lbs_shift, len >> c->lbs_shift);
}

/* The token bytes of token bio @bio of @c as DMA segments; mark covered. */
static int dbr_io_add_token_bio(struct dbr_io_pdu *pdu, struct dbr_io_chunk *c,
				struct bio *bio)
{
	struct dbr_seg_iter it;
	dbr_dma_addr_t addr;
	u64 skip, n;
	u32 len;
	int ret;

	if (!dbr_io_bio_window(c, bio, &skip, &len))
		return -EINVAL;
	ret = dbr_seg_iter_sub(&it, &c->range, skip, len);
	if (ret)
		return ret;
	while (dbr_seg_iter_next(&it, &addr, &n)) {
		ret = dbr_io_add_seg(pdu, addr, n, false);
		if (ret)
			return ret;
	}
	dbr_io_cover_window(c, skip, len);
	return 0;
}

/* An ordinary bio merged into a token request: map its pages one by one. */
static int dbr_io_add_pages(struct dbr_io_pdu *pdu, struct device *dev,
			    struct bio *bio, enum dma_data_direction dir)
{
	struct bvec_iter iter;
	struct bio_vec bv;
	dma_addr_t addr;
	int ret;

	bio_for_each_segment(bv, bio, iter) {
		addr = dma_map_page(dev, bv.bv_page, bv.bv_offset, bv.bv_len,
				    dir);
		if (dma_mapping_error(dev, addr))
			return -ENOMEM;
		ret = dbr_io_add_seg(pdu, addr, bv.bv_len, true);
		if (ret) {
			dma_unmap_page(dev, addr, bv.bv_len, dir);
			return ret;
		}
	}
	return 0;
}

/**
 * dbr_io_rq_map() - DMA segments for a request with placeholder bvecs
 * @req: a read or write request about to be issued
 * @dev: the controller's DMA device
 * @pdu: per-request storage, undone by dbr_io_rq_unmap()
 * @it: set to iterate the segments, for the SGL/PRP builders
 *
 * No DMA mapping happens for placeholder bvecs: their addresses come from the
 * token's premapped runs. Ordinary bios the block layer merged into the same
 * request are mapped page by page. Runs in atomic context.
 *
 * Return: 0 (mapped), 1 (no placeholder bvecs: not a token request, @pdu
 * untouched), -ENOMEM (retry later) or another -errno (fail the request).
 */
int dbr_io_rq_map(struct request *req, struct device *dev,
		  struct dbr_io_pdu *pdu, struct dbr_seg_iter *it)
{
	enum dma_data_direction dir = rq_dma_dir(req);
	struct dbr_io_chunk *first = NULL, *c;
	struct bio *bio, *first_bio;
	bool seen = false;
	int ret = 0;

	if (!atomic_read(&dbr_io_live) || !req->bio)
		return 1;
	rcu_read_lock();
	__rq_for_each_bio(first_bio, req) {
		first = dbr_io_bio_chunk(first_bio);
		if (first)
			break;
	}
	if (!first) {
		rcu_read_unlock();
		return 1;
	}
	pdu->nr_segs = 0;
	/*
	 * A request of one token bio (the usual case: nothing merged into
	 * it) needs no segment array: the builders walk its window of the
	 * token's runs directly. The chunk's reference on the mapping keeps
	 * the runs alive until the command completed.
	 */
	if (req->bio == req->biotail) {
		u64 skip;
		u32 len;

		if (!dbr_io_bio_window(first, first_bio, &skip, &len))
			ret = -EINVAL;
		else if (!skip && len == first->len)
			*it = first->range;	/* the whole chunk: as looked up */
		else
			ret = dbr_seg_iter_sub(it, &first->range, skip, len);
		if (!ret)
			dbr_io_cover_window(first, skip, len);
		rcu_read_unlock();
		return ret;
	}
	__rq_for_each_bio(bio, req) {
		/* bios before the first token bio are known to be ordinary */
		c = NULL;
		if (bio == first_bio) {
			c = first;
			seen = true;
		} else if (seen) {
			c = dbr_io_bio_chunk(bio);
		}
		if (c)
			ret = dbr_io_add_token_bio(pdu, c, bio);
		else
			ret = dbr_io_add_pages(pdu, dev, bio, dir);
		if (ret)
			break;
	}
	rcu_read_unlock();
	if (ret) {
		dbr_io_rq_unmap(req, dev, pdu);
		return ret;
	}
	dbr_seg_iter_init_segs(it, pdu->segs, pdu->nr_segs);
	return 0;
}

/**
 * dbr_io_rq_unmap() - undo dbr_io_rq_map()
 * @req: the request
 * @dev: the controller's DMA device
 * @pdu: what dbr_io_rq_map() filled
 *
 * Only ordinary pages were mapped; token runs stay mapped until the token's
 * mapping is released.
 */
void dbr_io_rq_unmap(struct request *req, struct device *dev,
		     struct dbr_io_pdu *pdu)
{
	unsigned int i;

	for_each_set_bit(i, pdu->mapped, pdu->nr_segs)
		dma_unmap_page(dev, pdu->segs[i].addr, pdu->segs[i].len,
			       rq_dma_dir(req));
	pdu->nr_segs = 0;
}

/**
 * dbr_io_chunks_exit() - module unload: free the pool, wait for chunks
 * being freed
 */
void dbr_io_chunks_exit(void)
{
	while (dbr_io_pool_n)
		dbr_io_chunk_destroy(dbr_io_pool[--dbr_io_pool_n]);
	rcu_barrier();
	WARN_ON(!hash_empty(dbr_io_chunk_hash));
}
