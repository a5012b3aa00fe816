/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dbr_token.h - dma-buf tokens: attach once per controller, map once,
 * describe the mapping as coalesced DMA runs.
 *
 * Objects and who owns them:
 *
 *   struct dbr_ctx        one open file of /dev/dmabridge; owns its tokens
 *                         (dbr_ctx.h)
 *     struct dbr_token    a dma-buf reference + direction; refcounted (@ref):
 *                         the context holds one, every request holds one
 *       dbr_token_link    the token's use of an attachment (private)
 *         dbr_token_att   one dynamic attachment per dma-buf and controller,
 *                         shared by all tokens of that dma-buf (private)
 *           dbr_token_map one mapping of that attachment, as runs; refcounted:
 *                         the attachment holds one while it is current, every
 *                         request using it holds one
 *   struct dbr_token_dev  a controller as seen by tokens: its DMA device and
 *                         its counters; embedded in the controller
 *
 * How a request uses a token (the I/O path):
 *
 *   tok = dbr_ctx_token_get(ctx, id);                  -ENOENT if unknown
 *   dbr_token_map(tok, tdev, dir, flags, &map);        waits for fences too
 *   dbr_token_map_iter(map, off, len, &it);            -ERANGE if outside
 *   dbr_token_sync_for_device(map, &it, dir);          before the command
 *   ... dbr_sgl_build(&it, ...) / dbr_prp_build(&it, ...), submit ...
 *   dbr_token_sync_for_cpu(map, &it, dir);             after it completed
 *   dbr_token_map_put(map);                            any context
 *   dbr_token_put(tok);                                any context
 *
 * Rules for the holder of a map reference:
 * - never take the dma-buf's reservation lock (no dma_buf_vmap*(),
 *   dma_buf_begin_cpu_access(), dbr_token_map()) while holding it: an
 *   invalidation holding that lock may wait for the reference to go (see
 *   dbr_token.c); put the map first, e.g. before zero-filling holes;
 * - hold it from before the first sync to after the last one and until the
 *   device can no longer touch the buffer (command completed or aborted).
 */
#ifndef DBR_TOKEN_H
#define DBR_TOKEN_H

#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/dma-direction.h>
#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "dbr_sgl.h"
#include "dbr_stats.h"

struct device;
struct dma_buf;
struct dbr_token_att;

/* dbr_params.c: share of the swiotlb pool premapped tokens may hold, % */
extern unsigned int dbr_token_bounce_pct;

/* Tokens one context may hold at a time. */
#define DBR_CTX_MAX_TOKENS	65536

/**
 * struct dbr_token_dev - a controller's DMA device, as tokens see it
 * @dma_dev: device that performs the DMA (the NVMe PCI function)
 * @stats: the controller's counters
 * @atts: attachments to @dma_dev, under dbr_token_mutex
 * @dead: set by dbr_token_dev_shutdown(): no new attachments
 * @live: held by every token request from its target lookup to its
 *	release (dbr_token_dev_get()); killed when the controller goes, so
 *	that its attachments are torn down only when no request can use them
 * @drained: completed when @live, killed, reached zero
 */
struct dbr_token_dev {
	struct device		*dma_dev;
	struct dbr_stats	*stats;
	struct list_head	atts;
	bool			dead;
	struct percpu_ref	live;
	struct completion	drained;
};

/**
 * struct dbr_token - a dma-buf registered with a context
 * @ref: the owning context's reference plus one per request
 * @free_work: tears the token down when a request dropped the last
 *	reference (dbr_token_put())
 * @flags: DMABRIDGE_TOKEN_* direction flags
 * @dmabuf: our reference to the dma-buf
 * @size: size of the dma-buf in bytes
 * @links: one link per controller used so far, to the attachment of
 *	@dmabuf there; RCU list, changed under dbr_token_mutex
 * @rcu: frees the token once lockless lookups can no longer see it
 */
struct dbr_token {
	struct kref		ref;
	struct work_struct	free_work;
	u32			flags;
	struct dma_buf		*dmabuf;
	u64			size;
	struct list_head	links;
	struct rcu_head		rcu;
};

/**
 * struct dbr_token_map - one mapping of a token for one controller
 * @fence: signalled once the mapping is invalidated and no request uses it
 *	any more; published in the dma-buf's reservation object when the
 *	exporter invalidates (move_notify), so the exporter waits for in-flight
 *	DMA before it moves the memory. Owns the memory of this structure.
 * @fence_lock: lock of @fence
 * @ref: the attachment's reference while current, plus one per request
 * @unmap_work: unmaps after the last request, where the resv lock can be
 *	taken
 * @att: attachment this mapping belongs to
 * @dma_dev: the controller's DMA device, for the syncs
 * @stats: the controller's counters
 * @dir: direction it was mapped with (the attachment's tokens' directions)
 * @sgt: what dma_buf_map_attachment() returned
 * @len: bytes described by @runs, from token offset 0
 * @nr_runs: entries in @runs
 * @runs: sorted, DMA-contiguous pieces; see dbr_token.c for when neighbours
 *	are merged
 * @p2p: the runs are peer-to-peer bus addresses (device memory, not system
 *	RAM): the CPU cache and bounce buffers are not involved, syncs skipped
 * @stale: invalidated; new requests must remap
 * @fence_published: @fence was added to the reservation object
 * @rcu: frees the structure after a grace period
 */
struct dbr_token_map {
	struct dma_fence	fence;
	spinlock_t		fence_lock;	/* @fence's lock, as dma_fence_init() wants */
	struct kref		ref;
	struct work_struct	unmap_work;
	struct dbr_token_att	*att;
	struct device		*dma_dev;
	struct dbr_stats	*stats;
	enum dma_data_direction	dir;
	struct sg_table		*sgt;
	u64			len;
	unsigned int		nr_runs;
	struct dbr_run		*runs;
	bool			p2p;
	bool			stale;
	bool			fence_published;
	struct rcu_head		rcu;
};

int dbr_token_init(void);
void dbr_token_exit(void);

/* ---- controllers ---- */

int dbr_token_dev_init(struct dbr_token_dev *tdev, struct device *dma_dev,
		       struct dbr_stats *stats);
void dbr_token_dev_kill(struct dbr_token_dev *tdev);
void dbr_token_dev_shutdown(struct dbr_token_dev *tdev);
void dbr_token_dev_exit(struct dbr_token_dev *tdev);

/**
 * dbr_token_dev_get() - a token request starts using a controller
 * @tdev: the controller of the request's target
 *
 * Return: false once the controller is going away (the request fails with
 * ENODEV); true with a reference to drop with dbr_token_dev_put(), which
 * keeps the controller's attachments until the request is released.
 */
static inline bool dbr_token_dev_get(struct dbr_token_dev *tdev)
{
	return percpu_ref_tryget_live(&tdev->live);
}

/** dbr_token_dev_put() - the request is done with the controller; any context */
static inline void dbr_token_dev_put(struct dbr_token_dev *tdev)
{
	percpu_ref_put(&tdev->live);
}

/* ---- tokens ---- */

int dbr_token_create(int dmabuf_fd, u32 flags, struct dbr_token **out);
void dbr_token_destroy(struct dbr_token *tok);

void __dbr_token_release(struct kref *ref);

/** dbr_token_put() - drop a request's token reference; any context */
static inline void dbr_token_put(struct dbr_token *tok)
{
	kref_put(&tok->ref, __dbr_token_release);
}

/* ---- mappings ---- */

/* dbr_token_map() flags */
#define DBR_TOKEN_MAP_NOWAIT	BIT(0)		/* -EAGAIN instead of sleeping */

int dbr_token_map(struct dbr_token *tok, struct dbr_token_dev *tdev,
		  enum dma_data_direction dir, unsigned int flags,
		  struct dbr_token_map **out);
void dbr_token_map_put(struct dbr_token_map *map);

/**
 * dbr_token_map_iter() - the DMA pieces of a token byte range
 * @map: mapping (a held reference)
 * @off: token offset
 * @len: bytes, > 0
 * @it: iterator to initialise; feeds dbr_sgl_build()/dbr_prp_build() or a
 *	dbr_seg_iter_next() loop, one piece per run touched
 *
 * Return: 0, or -ERANGE if the range is not inside the mapping.
 */
static inline int dbr_token_map_iter(const struct dbr_token_map *map, u64 off,
				     u64 len, struct dbr_seg_iter *it)
{
	if (!len)
		return -ERANGE;
	return dbr_seg_iter_init_runs(it, map->runs, map->nr_runs, off, len);
}

unsigned int dbr_token_sync_for_device(struct dbr_token_map *map,
				       const struct dbr_seg_iter *range,
				       enum dma_data_direction dir);
unsigned int dbr_token_sync_for_cpu(struct dbr_token_map *map,
				    const struct dbr_seg_iter *range,
				    enum dma_data_direction dir);

#endif /* DBR_TOKEN_H */
