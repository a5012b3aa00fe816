// SPDX-License-Identifier: GPL-2.0
/*
 * dma-buf tokens: one dynamic attachment per dma-buf and controller, mapped
 * once and described as runs of DMA-contiguous bytes.
 *
 * Lifetimes
 *   Attachments are created lazily by dbr_token_map(), one per (dma-buf,
 *   controller), and shared by every token of that dma-buf, in any context:
 *   a token reaches it through a link. Two attachments of one buffer to one
 *   device would be two overlapping DMA mappings of the same memory, which
 *   the DMA API does not allow for a device that writes (DMA-API debugging
 *   reports them), and would hold its bounce buffers twice. The attachment
 *   is mapped for every direction its tokens were created for: a token that
 *   adds one invalidates the current mapping, and the next request remaps.
 *   A link goes with its token (dbr_token_destroy(), after the token's
 *   requests drained); the attachment goes with its last link, or with the
 *   controller (dbr_token_dev_shutdown(), after the controller's requests
 *   drained). All of this runs under dbr_token_mutex, which only orders
 *   attachment creation and teardown, never a request.
 *
 * Invalidation (move_notify)
 *   The exporter calls move_notify with the reservation lock held before it
 *   moves the memory. Requests do not publish fences of their own, so the
 *   exporter cannot see them; instead the invalidated mapping's own fence is
 *   added to the reservation object (usage KERNEL: every waiter, including
 *   the exporter's move, waits for it) and signalled when the last request
 *   using the mapping completes. move_notify therefore never blocks on I/O,
 *   and a reclaim-driven eviction that must not wait sees the buffer busy.
 *   If no fence slot can be reserved, move_notify waits for that fence
 *   itself: slower, still correct.
 *
 * Unmapping
 *   dma_buf_unmap_attachment() needs the reservation lock, but the last
 *   request can complete in interrupt context, and the last reference can
 *   also go inside move_notify, where the lock is already held. So the drain
 *   only signals the fence and queues unmap_work, which takes the lock. The
 *   memory stays DMA-mapped until then, as after any dynamic importer's
 *   invalidation: the exporter must not free it before its unmap callback.
 *
 * Runs
 *   One run per DMA segment of the sg table (sg_dma_address/sg_dma_len only:
 *   exporters of device memory have no pages behind their sg entries).
 *   Neighbours are merged when they are DMA-contiguous and the syncs are
 *   no-ops for them (peer-to-peer, or dma_need_sync() false for every
 *   segment). When a sync does work (swiotlb bounce slots, non-coherent
 *   caches) each run stays one DMA API mapping, so a sync never spans two
 *   mappings: two bounce slots can be bus-contiguous while their original
 *   pages are not. The SGL builder merges bus-contiguous pieces anyway, so
 *   this costs no descriptors.
 */
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/iommu.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <uapi/linux/dmabridge.h>

#include "compat.h"
#include "dbr.h"
#include "dbr_token.h"

/**
 * struct dbr_token_att - a dma-buf attached to one controller
 * @hnode: in dbr_att_hash, keyed by @dmabuf
 * @dev_node: in dbr_token_dev.atts
 * @links: the links of the tokens using it (dbr_token_link.att_node)
 * @dmabuf: the dma-buf (a reference of its own)
 * @tdev: controller
 * @attach: the dynamic attachment
 * @cur: current mapping or NULL; written under the reservation lock
 * @maps_live: mappings created and not yet unmapped
 * @dirs: DMABRIDGE_TOKEN_* directions of the tokens that used it; only
 *	grows; written under dbr_token_mutex and the reservation lock
 * @bounce_bytes: bounce space held of the tokens' share, 0 if the
 *	attachment does not bounce (dbr_bounce_reserve())
 * @rcu: frees the structure after a grace period (RCU readers of links)
 *
 * @hnode, @dev_node and @links are under dbr_token_mutex.
 */
struct dbr_token_att {
	struct hlist_node		hnode;
	struct list_head		dev_node;
	struct list_head		links;
	struct dma_buf			*dmabuf;
	struct dbr_token_dev		*tdev;
	struct dma_buf_attachment	*attach;
	struct dbr_token_map __rcu	*cur;
	atomic_t			maps_live;
	u32				dirs;
	u64				bounce_bytes;
	struct rcu_head			rcu;
};

/**
 * struct dbr_token_link - a token's use of an attachment
 * @tok_node: in dbr_token.links (RCU; changed under dbr_token_mutex)
 * @att_node: in dbr_token_att.links, under dbr_token_mutex
 * @att: the attachment
 * @rcu: frees the structure after a grace period (RCU readers of @tok_node)
 */
struct dbr_token_link {
	struct list_head	tok_node;
	struct list_head	att_node;
	struct dbr_token_att	*att;
	struct rcu_head		rcu;
};

/* Orders attachment creation and teardown; see the file comment. */
static DEFINE_MUTEX(dbr_token_mutex);

/* Every attachment, by dma-buf; under dbr_token_mutex. */
static DEFINE_HASHTABLE(dbr_att_hash, 8);

/* Runs unmap_work; destroyed (drained) at module exit. */
static struct workqueue_struct *dbr_token_wq;

static struct dma_resv *dbr_att_resv(struct dbr_token_att *att)
{
	return att->dmabuf->resv;
}

/* The direction that covers every DMABRIDGE_TOKEN_* direction in @dirs. */
static enum dma_data_direction dbr_dirs_to_dma(u32 dirs)
{
	if (dirs == DMABRIDGE_TOKEN_READ)
		return DMA_FROM_DEVICE;
	if (dirs == DMABRIDGE_TOKEN_WRITE)
		return DMA_TO_DEVICE;
	return DMA_BIDIRECTIONAL;
}

/* ---- the mapping's fence ---- */

static const char *dbr_fence_driver_name(struct dma_fence *fence)
{
	return DBR_DRV_NAME;
}

static const char *dbr_fence_timeline_name(struct dma_fence *fence)
{
	return "token-map";
}

static void dbr_fence_free_rcu(struct rcu_head *rcu)
{
	struct dbr_token_map *map = container_of(rcu, struct dbr_token_map,
						 rcu);
	bool published = map->fence_published;

	kfree(map);
	/*
	 * The last instructions of this module's code that a published fence
	 * runs: dbr_token_exit() ends with rcu_barrier(), which waits for
	 * this callback to return, so the module cannot go while it runs.
	 */
	if (published)
		module_put(THIS_MODULE);
}

static void dbr_fence_release(struct dma_fence *fence)
{
	struct dbr_token_map *map = container_of(fence, struct dbr_token_map,
						 fence);

	/*
	 * RCU readers of the reservation object may still look at @fence
	 * (and call its ops): free it, and let the module go, a grace period
	 * later.
	 */
	call_rcu(&map->rcu, dbr_fence_free_rcu);
}

static const struct dma_fence_ops dbr_fence_ops = {
	.get_driver_name	= dbr_fence_driver_name,
	.get_timeline_name	= dbr_fence_timeline_name,
	.release		= dbr_fence_release,
};

/* ---- mapping: sg table -> runs ---- */

/*
 * Peer-to-peer detection without struct pages: translate the bus address
 * back to a CPU physical address the way the DMA API produced it (through
 * the device's IOMMU DMA domain, or the direct mapping otherwise) and ask
 * whether that is system RAM. A bus address the IOMMU does not translate is
 * a PCI bus address routed between peers (P2PDMA's bus-address mappings).
 * Checking the first byte is enough: one DMA segment comes from one kind of
 * memory (dma_map_sg() of pages, or dma_map_resource() of a BAR).
 */
static bool dbr_dma_is_ram(struct device *dev, dma_addr_t dma)
{
	struct iommu_domain *dom = iommu_get_domain_for_dev(dev);
	phys_addr_t phys;

	if (dom && iommu_is_dma_domain(dom)) {
		phys = iommu_iova_to_phys(dom, dma);
		if (!phys)
			return false;
	} else {
		phys = dma_to_phys(dev, dma);
	}
	return region_intersects(phys, 1, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) == REGION_INTERSECTS;
}

/*
 * Fill @map->runs from @sgt: classify, then merge where syncs allow it.
 * Return: 0, -EINVAL for an empty table, -EOPNOTSUPP for a table that mixes
 * system RAM and device memory (we could not tell which runs to sync).
 */
static int dbr_tmap_build_runs(struct dbr_token_map *map, struct sg_table *sgt)
{
	unsigned int nr = 0, nr_ram = 0, i;
	bool need_sync = false;
	struct scatterlist *sg;
	struct dbr_run *runs;
	u64 off = 0;

	runs = kvmalloc_array(max(sgt->nents, 1U), sizeof(*runs), GFP_KERNEL);
	if (!runs)
		return -ENOMEM;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t dma = sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);

		if (!len)
			continue;
		runs[nr++] = (struct dbr_run){ .off = off, .dma = dma,
					       .len = len };
		off += len;
		if (dbr_dma_is_ram(map->dma_dev, dma))
			nr_ram++;
		if (dma_need_sync(map->dma_dev, dma))
			need_sync = true;
	}
	if (!nr) {
		kvfree(runs);
		return -EINVAL;
	}
	if (nr_ram && nr_ram != nr) {
		dev_warn_ratelimited(map->dma_dev,
				     "dma-buf mixes %u RAM and %u device memory segments: not supported\n",
				     nr_ram, nr - nr_ram);
		kvfree(runs);
		return -EOPNOTSUPP;
	}
	map->p2p = !nr_ram;
	if (map->p2p || !need_sync)
		nr = dbr_runs_coalesce(runs, nr);
	if (dbr_runs_check(runs, nr)) {
		kvfree(runs);
		return -EINVAL;
	}

	map->runs = runs;
	map->nr_runs = nr;
	map->len = off;
	return 0;
}

static void dbr_tmap_unmap_work(struct work_struct *work);

/* Called with the reservation lock held. */
static int dbr_tmap_create(struct dbr_token_att *att, struct dbr_token_map **out)
{
	struct dbr_stats *stats = att->tdev->stats;
	struct dbr_token_map *map;
	struct sg_table *sgt;
	int ret;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	map->att = att;
	map->dma_dev = att->tdev->dma_dev;
	map->stats = stats;
	map->dir = dbr_dirs_to_dma(att->dirs);
	kref_init(&map->ref);
	INIT_WORK(&map->unmap_work, dbr_tmap_unmap_work);
	spin_lock_init(&map->fence_lock);

	sgt = dma_buf_map_attachment(att->attach, map->dir);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_free;
	}
	map->sgt = sgt;
	ret = dbr_tmap_build_runs(map, sgt);
	if (ret)
		goto err_unmap;

	/*
	 * A context of its own: fences of one context must signal in order,
	 * and mappings drain in any order.
	 */
	dma_fence_init(&map->fence, &dbr_fence_ops, &map->fence_lock,
		       dma_fence_context_alloc(1), 1);
	atomic_inc(&att->maps_live);
	dbr_stat_inc(stats, DBR_STAT_MAPS);
	dbr_stat_inc(stats, DBR_STAT_TOKENS);
	dbr_stat_add(stats, DBR_STAT_MAPPED_BYTES, map->len);
	dbr_stat_add(stats, DBR_STAT_MAPPED_RUNS, map->nr_runs);
	*out = map;
	return 0;

err_unmap:
	dma_buf_unmap_attachment(att->attach, sgt, map->dir);
err_free:
	kfree(map);
	return ret;
}

static void dbr_tmap_unmap_work(struct work_struct *work)
{
	struct dbr_token_map *map = container_of(work, struct dbr_token_map,
						 unmap_work);
	struct dbr_token_att *att = map->att;
	struct dma_resv *resv = dbr_att_resv(att);

	dma_resv_lock(resv, NULL);
	dma_buf_unmap_attachment(att->attach, map->sgt, map->dir);
	dma_resv_unlock(resv);
	kvfree(map->runs);
	map->runs = NULL;
	dbr_stat_inc(map->stats, DBR_STAT_UNMAPS);

	/* Last use of @att: teardown waits for maps_live to reach zero. */
	if (atomic_dec_and_test(&att->maps_live))
		wake_up_var(&att->maps_live);
	dma_fence_put(&map->fence);
}

/* Last reference of an invalidated mapping gone: any context. */
static void dbr_tmap_drained(struct kref *ref)
{
	struct dbr_token_map *map = container_of(ref, struct dbr_token_map, ref);

	dma_fence_signal(&map->fence);
	queue_work(dbr_token_wq, &map->unmap_work);
}

/**
 * dbr_token_map_put() - drop a request's mapping reference
 * @map: mapping from dbr_token_map()
 *
 * Any context. The device must no longer access the range.
 */
void dbr_token_map_put(struct dbr_token_map *map)
{
	kref_put(&map->ref, dbr_tmap_drained);
}

/*
 * Make @att's current mapping stale so the next request remaps. Called with
 * the reservation lock held. @publish: add the mapping's fence to the
 * reservation object (move_notify); teardown callers drained their requests
 * and wait for the unmap themselves.
 */
static bool dbr_att_invalidate(struct dbr_token_att *att, bool publish)
{
	struct dma_resv *resv = dbr_att_resv(att);
	struct dbr_stats *stats = att->tdev->stats;
	struct dbr_token_map *map;
	bool wait = false;

	map = rcu_dereference_protected(att->cur, dma_resv_held(resv));
	if (!map)
		return false;

	/* Before the reference goes: a racing lookup must see it stale. */
	WRITE_ONCE(map->stale, true);
	RCU_INIT_POINTER(att->cur, NULL);
	dbr_stat_dec(stats, DBR_STAT_TOKENS);
	dbr_stat_add(stats, DBR_STAT_MAPPED_BYTES, -(s64)map->len);
	dbr_stat_add(stats, DBR_STAT_MAPPED_RUNS, -(s64)map->nr_runs);

	if (publish) {
		if (!dma_resv_reserve_fences(resv, 1)) {
			/* The reservation object may outlive the module. */
			__module_get(THIS_MODULE);
			map->fence_published = true;
			dma_resv_add_fence(resv, &map->fence,
					   DMA_RESV_USAGE_KERNEL);
		} else {
			wait = true;
		}
	}
	if (wait)
		dma_fence_get(&map->fence);
	kref_put(&map->ref, dbr_tmap_drained);
	if (wait) {
		dma_fence_wait(&map->fence, false);
		dma_fence_put(&map->fence);
	}
	return true;
}

static void dbr_att_move_notify(struct dma_buf_attachment *attach)
{
	struct dbr_token_att *att = attach->importer_priv;

	if (dbr_att_invalidate(att, true))
		dbr_stat_inc(att->tdev->stats, DBR_STAT_INVALIDATIONS);
}

static const struct dma_buf_attach_ops dbr_att_ops = {
	.allow_peer2peer	= true,
	.dbr_compat_invalidate_mappings = dbr_att_move_notify,
};

/* ---- attachments ---- */

/* @tok's link to its attachment on @tdev: RCU or dbr_token_mutex. */
static struct dbr_token_link *dbr_link_find(struct dbr_token *tok,
					    struct dbr_token_dev *tdev)
{
	struct dbr_token_link *link;

	list_for_each_entry_rcu(link, &tok->links, tok_node,
				lockdep_is_held(&dbr_token_mutex))
		if (link->att->tdev == tdev)
			return link;
	return NULL;
}

/* Under dbr_token_mutex. */
static struct dbr_token_att *dbr_att_find(struct dma_buf *dmabuf,
					  struct dbr_token_dev *tdev)
{
	struct dbr_token_att *att;

	lockdep_assert_held(&dbr_token_mutex);
	hash_for_each_possible(dbr_att_hash, att, hnode, (unsigned long)dmabuf)
		if (att->dmabuf == dmabuf && att->tdev == tdev)
			return att;
	return NULL;
}

/*
 * Bounce space. Where streaming DMA bounces through swiotlb (swiotlb=force,
 * and every SEV-SNP or TDX guest, where it is forced for all devices), a
 * token's attachment holds bounce slots for its whole dma-buf as long as
 * it lives: a dynamic exporter's mapping does, and an exporter that is not
 * dynamic is mapped by the dma-buf core as soon as it is attached. The
 * pool is the machine's, so unbounded tokens would leave the disk's
 * ordinary I/O waiting for slots. Attachments that bounce may together
 * hold token_bounce_pct percent of the pool; beyond that a request fails
 * with ENOBUFS before anything is attached, and the library takes its
 * compat path. One budget for all controllers: the pool is shared.
 */
static atomic64_t dbr_bounce_held = ATOMIC64_INIT(0);

static bool dbr_att_bounces(struct device *dev)
{
	return is_swiotlb_force_bounce(dev) && !device_iommu_mapped(dev);
}

static int dbr_bounce_reserve(struct dbr_token_att *att, u64 bytes)
{
	u64 cap = div_u64(dbr_compat_bounce_pool_bytes(att->tdev->dma_dev) *
			  READ_ONCE(dbr_token_bounce_pct), 100);

	if (atomic64_add_return(bytes, &dbr_bounce_held) > cap) {
		atomic64_sub(bytes, &dbr_bounce_held);
		return -ENOBUFS;
	}
	att->bounce_bytes = bytes;
	return 0;
}

static void dbr_bounce_release(struct dbr_token_att *att)
{
	atomic64_sub(att->bounce_bytes, &dbr_bounce_held);
	att->bounce_bytes = 0;
}

/* Under dbr_token_mutex: attach @tok's dma-buf to @tdev for @tok's directions. */
static struct dbr_token_att *dbr_att_create(struct dbr_token *tok,
					    struct dbr_token_dev *tdev)
{
	struct dbr_token_att *att;
	int ret;

	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&att->links);
	att->dmabuf = tok->dmabuf;
	att->tdev = tdev;
	att->dirs = tok->flags;
	if (dbr_att_bounces(tdev->dma_dev)) {
		ret = dbr_bounce_reserve(att, tok->size);
		if (ret)
			goto free_att;
	}
	att->attach = dma_buf_dynamic_attach(att->dmabuf, tdev->dma_dev,
					     &dbr_att_ops, att);
	if (IS_ERR(att->attach)) {
		ret = PTR_ERR(att->attach);
		goto release_bounce;
	}
	get_dma_buf(att->dmabuf);
	hash_add(dbr_att_hash, &att->hnode, (unsigned long)att->dmabuf);
	list_add_tail(&att->dev_node, &tdev->atts);
	return att;

release_bounce:
	dbr_bounce_release(att);
free_att:
	kfree(att);
	return ERR_PTR(ret);
}

/*
 * Under dbr_token_mutex: @att is used for @dirs too. The current mapping
 * may have been made for fewer directions; it goes stale, requests still
 * using it finish on it, and the next one maps for all of them once it is
 * unmapped (dbr_token_map_slow()). Its fence is published as by
 * move_notify: an exporter's move after this finds no current mapping to
 * invalidate, and must still wait for the stale one's DMA.
 */
static void dbr_att_widen(struct dbr_token_att *att, u32 dirs)
{
	struct dma_resv *resv = dbr_att_resv(att);

	if ((att->dirs | dirs) == att->dirs)
		return;
	dma_resv_lock(resv, NULL);
	att->dirs |= dirs;
	dbr_att_invalidate(att, true);
	dma_resv_unlock(resv);
}

static void dbr_link_free(struct dbr_token_link *link)
{
	list_del_rcu(&link->tok_node);
	list_del(&link->att_node);
	kfree_rcu(link, rcu);
}

/*
 * Under dbr_token_mutex, with no request left on @att: really unmap and
 * detach, so the exporter sees no attachment of ours afterwards. Tokens
 * still linked to it (the controller is going) lose their link.
 */
static void dbr_att_destroy(struct dbr_token_att *att)
{
	struct dma_resv *resv = dbr_att_resv(att);
	struct dbr_token_link *link, *next;

	dma_resv_lock(resv, NULL);
	dbr_att_invalidate(att, false);
	dma_resv_unlock(resv);
	wait_var_event(&att->maps_live, !atomic_read(&att->maps_live));

	list_for_each_entry_safe(link, next, &att->links, att_node)
		dbr_link_free(link);
	hash_del(&att->hnode);
	list_del(&att->dev_node);
	dma_buf_detach(att->dmabuf, att->attach);
	dma_buf_put(att->dmabuf);
	dbr_bounce_release(att);
	kfree_rcu(att, rcu);
}

/*
 * Under dbr_token_mutex: link @tok to the attachment of its dma-buf on
 * @tdev, attaching on first use by any token.
 */
static struct dbr_token_link *dbr_link_create(struct dbr_token *tok,
					      struct dbr_token_dev *tdev)
{
	struct dbr_token_link *link;
	struct dbr_token_att *att;

	if (tdev->dead)
		return ERR_PTR(-ENODEV);
	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return ERR_PTR(-ENOMEM);
	att = dbr_att_find(tok->dmabuf, tdev);
	if (att) {
		dbr_att_widen(att, tok->flags);
	} else {
		att = dbr_att_create(tok, tdev);
		if (IS_ERR(att)) {
			kfree(link);
			return ERR_CAST(att);
		}
	}
	link->att = att;
	list_add_tail(&link->att_node, &att->links);
	list_add_tail_rcu(&link->tok_node, &tok->links);
	return link;
}

/* Under dbr_token_mutex: @tok is done with @link's attachment. */
static void dbr_link_destroy(struct dbr_token_link *link)
{
	struct dbr_token_att *att = link->att;

	dbr_link_free(link);
	if (list_empty(&att->links))
		dbr_att_destroy(att);
}

/* ---- controllers ---- */

static void dbr_token_dev_drained(struct percpu_ref *ref)
{
	complete(&container_of(ref, struct dbr_token_dev, live)->drained);
}

/**
 * dbr_token_dev_init() - describe a controller to the token code
 * @tdev: embedded in the controller
 * @dma_dev: the device doing the DMA (the NVMe PCI function)
 * @stats: the controller's counters, live until dbr_token_dev_shutdown()
 *
 * Return: 0 or -ENOMEM. Undone by dbr_token_dev_exit().
 */
int dbr_token_dev_init(struct dbr_token_dev *tdev, struct device *dma_dev,
		       struct dbr_stats *stats)
{
	tdev->dma_dev = dma_dev;
	tdev->stats = stats;
	INIT_LIST_HEAD(&tdev->atts);
	tdev->dead = false;
	init_completion(&tdev->drained);
	return percpu_ref_init(&tdev->live, dbr_token_dev_drained, 0,
			       GFP_KERNEL);
}

/**
 * dbr_token_dev_kill() - no new token request may use the controller
 * @tdev: controller going away
 *
 * dbr_token_dev_get() fails from now on (the request gets ENODEV);
 * requests that already hold the controller go on. Idempotent.
 */
void dbr_token_dev_kill(struct dbr_token_dev *tdev)
{
	if (!percpu_ref_is_dying(&tdev->live))
		percpu_ref_kill(&tdev->live);
}

/**
 * dbr_token_dev_shutdown() - unmap and detach every token from a controller
 * @tdev: controller going away
 *
 * Kills @tdev (dbr_token_dev_kill()) and waits until every token request
 * that held it was released, then unmaps and detaches. Call after the
 * controller's disks are gone (their I/O completed or failed, so no request
 * waits on them), before its DMA device is unbound. Tokens stay valid;
 * later requests for @tdev fail with -ENODEV.
 */
void dbr_token_dev_shutdown(struct dbr_token_dev *tdev)
{
	struct dbr_token_att *att, *next;

	dbr_token_dev_kill(tdev);
	wait_for_completion(&tdev->drained);
	mutex_lock(&dbr_token_mutex);
	tdev->dead = true;
	list_for_each_entry_safe(att, next, &tdev->atts, dev_node)
		dbr_att_destroy(att);
	mutex_unlock(&dbr_token_mutex);
}

/** dbr_token_dev_exit() - free what dbr_token_dev_init() allocated */
void dbr_token_dev_exit(struct dbr_token_dev *tdev)
{
	percpu_ref_exit(&tdev->live);
}

/* ---- tokens ---- */

static void dbr_token_free_work(struct work_struct *work);

/**
 * dbr_token_create() - take a reference to a dma-buf for token requests
 * @dmabuf_fd: dma-buf file descriptor of the caller
 * @flags: DMABRIDGE_TOKEN_* (validated by the caller)
 * @out: the new token, with one reference for the caller
 *
 * Nothing is attached or mapped yet: that happens per controller on first
 * use.
 *
 * Return: 0, or -EBADF (not a dma-buf, or not open for the access @flags
 * need), -ENOMEM.
 */
int dbr_token_create(int dmabuf_fd, u32 flags, struct dbr_token **out)
{
	struct dma_buf *dmabuf;
	struct dbr_token *tok;
	fmode_t need = 0;

	dmabuf = dma_buf_get(dmabuf_fd);
	if (IS_ERR(dmabuf))
		return -EBADF;	/* -EINVAL from dma_buf_get(): not a dma-buf */

	/*
	 * The same rule as mmap() of the dma-buf: the device writing into it
	 * (READ) needs the fd open for writing, and vice versa.
	 */
	if (flags & DMABRIDGE_TOKEN_READ)
		need |= FMODE_WRITE;
	if (flags & DMABRIDGE_TOKEN_WRITE)
		need |= FMODE_READ;
	if ((dmabuf->file->f_mode & need) != need) {
		dma_buf_put(dmabuf);
		return -EBADF;
	}

	tok = kzalloc(sizeof(*tok), GFP_KERNEL);
	if (!tok) {
		dma_buf_put(dmabuf);
		return -ENOMEM;
	}
	kref_init(&tok->ref);
	INIT_WORK(&tok->free_work, dbr_token_free_work);
	INIT_LIST_HEAD(&tok->links);
	tok->flags = flags;
	tok->dmabuf = dmabuf;
	tok->size = dmabuf->size;
	*out = tok;
	return 0;
}

/**
 * dbr_token_destroy() - drop the owner's reference and tear the token down
 * @tok: token, already unreachable for new lookups (removed from its context)
 *
 * Sleeps until the requests holding @tok completed, then unmaps and detaches
 * it from every controller and drops the dma-buf.
 */
/*
 * Unlink from every attachment (the last user unmaps and detaches), drop
 * the dma-buf: nothing uses @tok now.
 */
static void dbr_token_teardown(struct dbr_token *tok)
{
	struct dbr_token_link *link, *next;

	mutex_lock(&dbr_token_mutex);
	list_for_each_entry_safe(link, next, &tok->links, tok_node)
		dbr_link_destroy(link);
	mutex_unlock(&dbr_token_mutex);

	dma_buf_put(tok->dmabuf);
	/* dbr_ctx_token_get() may still be looking at it */
	kfree_rcu(tok, rcu);
}

static void dbr_token_free_work(struct work_struct *work)
{
	dbr_token_teardown(container_of(work, struct dbr_token, free_work));
}

/*
 * The last reference went with a request (dbr_token_put()): any context,
 * and possibly the task that is itself waiting in TOKEN_DESTROY, so the
 * teardown, which sleeps, goes to the workqueue.
 */
void __dbr_token_release(struct kref *ref)
{
	struct dbr_token *tok = container_of(ref, struct dbr_token, ref);

	queue_work(dbr_token_wq, &tok->free_work);
}

static void dbr_token_noop_release(struct kref *ref)
{
}

/**
 * dbr_token_destroy() - drop the context's reference to a token
 * @tok: a token no longer reachable through its context
 *
 * No request can reach @tok any more. Without requests in flight it is
 * unmapped and detached from every controller before this returns (the
 * exporter then has no attachment of ours); otherwise that happens when
 * the last of them completes, on the token workqueue. Waiting for them
 * here could never end: the task calling TOKEN_DESTROY may be the one
 * whose task work completes them (its io_uring requests).
 */
void dbr_token_destroy(struct dbr_token *tok)
{
	if (kref_put(&tok->ref, dbr_token_noop_release))
		dbr_token_teardown(tok);
}

/* ---- mapping for a request ---- */

static bool dbr_token_dir_ok(struct dbr_token *tok, enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_FROM_DEVICE:
		return tok->flags & DMABRIDGE_TOKEN_READ;
	case DMA_TO_DEVICE:
		return tok->flags & DMABRIDGE_TOKEN_WRITE;
	default:
		return false;
	}
}

/*
 * Implicit synchronisation with the buffer's other users. The device
 * writing into the buffer (DMA_FROM_DEVICE) is a writer: it must wait for
 * every reader and writer, i.e. usage READ (which includes WRITE and KERNEL).
 * The device reading from it only waits for writers: usage WRITE (includes
 * KERNEL). KERNEL fences (the exporter's moves and clears, our own
 * invalidated mappings) are waited for in both cases. BOOKKEEP fences are not
 * implicit-sync fences (preemption, page table updates) and are not waited
 * for, as by every other implicit-sync participant. Our DMA adds no fence:
 * userspace orders it against GPU work from the request's completion.
 */
static int dbr_token_wait_fences(struct dbr_token *tok,
				 enum dma_data_direction dir, unsigned int flags)
{
	enum dma_resv_usage usage = dma_resv_usage_rw(dir == DMA_FROM_DEVICE);
	struct dma_resv *resv = tok->dmabuf->resv;
	long ret;

	if (dma_resv_test_signaled(resv, usage))
		return 0;
	if (flags & DBR_TOKEN_MAP_NOWAIT)
		return -EAGAIN;
	ret = dma_resv_wait_timeout(resv, usage, true, MAX_SCHEDULE_TIMEOUT);
	return ret < 0 ? ret : 0;
}

/* Lockless: the current mapping of @tok on @tdev, if there is a valid one. */
static struct dbr_token_map *dbr_token_map_fast(struct dbr_token *tok,
						struct dbr_token_dev *tdev)
{
	struct dbr_token_link *link;
	struct dbr_token_map *map = NULL;

	rcu_read_lock();
	link = dbr_link_find(tok, tdev);
	if (link)
		map = rcu_dereference(link->att->cur);
	if (map && !kref_get_unless_zero(&map->ref))
		map = NULL;
	if (map) {
		/* Pairs with the kref_put() in dbr_att_invalidate(). */
		smp_mb__after_atomic();
		if (READ_ONCE(map->stale)) {
			dbr_token_map_put(map);
			map = NULL;
		}
	}
	rcu_read_unlock();
	return map;
}

/* Attach and map under the reservation lock. Return: 0 or -errno. */
static int dbr_token_map_slow(struct dbr_token *tok, struct dbr_token_dev *tdev)
{
	struct dma_resv *resv = tok->dmabuf->resv;
	struct dbr_token_link *link;
	struct dbr_token_att *att;
	struct dbr_token_map *map;
	int ret;

	/*
	 * The attachment stays while @tok is linked to it (we hold @tok) and
	 * the controller is live (the request holds it: dbr_token_dev_get()).
	 */
	mutex_lock(&dbr_token_mutex);
	link = dbr_link_find(tok, tdev);
	if (!link)
		link = dbr_link_create(tok, tdev);
	att = IS_ERR(link) ? ERR_CAST(link) : link->att;
	mutex_unlock(&dbr_token_mutex);
	if (IS_ERR(att))
		return PTR_ERR(att);

	for (;;) {
		ret = dma_resv_lock_interruptible(resv, NULL);
		if (ret)
			return ret;
		map = rcu_dereference_protected(att->cur, dma_resv_held(resv));
		if (map || !atomic_read(&att->maps_live))
			break;
		dma_resv_unlock(resv);
		/*
		 * An invalidated mapping is drained but not unmapped yet.
		 * Its unmap may still write to the memory (swiotlb copies
		 * its bounce slots back for a device-writable mapping), so
		 * it must land before a new mapping's DMA does. Its requests
		 * release it from their completion, never from a task that
		 * could be waiting here. Another waiter may map first, and
		 * maps_live is then never zero again while that mapping is
		 * current: a new current mapping ends the wait too.
		 */
		ret = wait_var_event_interruptible(&att->maps_live,
						   !atomic_read(&att->maps_live) ||
						   rcu_access_pointer(att->cur));
		if (ret)
			return ret;
	}
	if (!map) {
		ret = dbr_tmap_create(att, &map);
		if (!ret) {
			rcu_assign_pointer(att->cur, map);
			/* order @cur before the waiters' check, as wake_up_var() wants */
			smp_mb();
			wake_up_var(&att->maps_live);
		}
	}
	dma_resv_unlock(resv);
	return ret;
}

/**
 * dbr_token_map() - get a mapping of a token for one request
 * @tok: token (a held reference)
 * @tdev: controller that will do the DMA
 * @dir: DMA_FROM_DEVICE (READ: file -> buffer) or DMA_TO_DEVICE (WRITE)
 * @flags: DBR_TOKEN_MAP_NOWAIT: fail with -EAGAIN rather than sleep (no
 *	fence wait, no attach or map; for io_uring's non-blocking issue)
 * @out: the mapping, with a reference for the caller
 *
 * Waits for the reservation fences @dir must respect, then returns the
 * controller's current mapping, attaching and mapping the dma-buf on first
 * use or after an invalidation. No fence is waited for while a mapping
 * reference is held: a newly created mapping is dropped and looked up again
 * after a second fence wait, which covers the exporter's move fence.
 *
 * A failed fence wait counts as err_fence, a failed attach or map as err_map
 * on @tdev; -EBADF and -EAGAIN count nothing (the caller's to count).
 *
 * Return: 0; -EBADF if @tok was not created for @dir; -EAGAIN (NOWAIT);
 * -ERESTARTSYS; -ENODEV after dbr_token_dev_shutdown(); -EOPNOTSUPP if the
 * mapping cannot be used; errors of the exporter's attach/map.
 */
int dbr_token_map(struct dbr_token *tok, struct dbr_token_dev *tdev,
		  enum dma_data_direction dir, unsigned int flags,
		  struct dbr_token_map **out)
{
	struct dbr_token_map *map;
	int ret;

	if (!dbr_token_dir_ok(tok, dir))
		return -EBADF;
	for (;;) {
		ret = dbr_token_wait_fences(tok, dir, flags);
		if (ret) {
			if (ret != -EAGAIN)
				dbr_stat_inc(tdev->stats, DBR_STAT_ERR_FENCE);
			return ret;
		}
		map = dbr_token_map_fast(tok, tdev);
		if (map) {
			*out = map;
			return 0;
		}
		if (flags & DBR_TOKEN_MAP_NOWAIT)
			return -EAGAIN;
		ret = dbr_token_map_slow(tok, tdev);
		if (ret) {
			dbr_stat_inc(tdev->stats, DBR_STAT_ERR_MAP);
			return ret;
		}
	}
}

/* ---- syncs ---- */

/* Inlined into its two callers: @for_device is a constant in each. */
static __always_inline unsigned int
dbr_token_sync(struct dbr_token_map *map, const struct dbr_seg_iter *range,
	       enum dma_data_direction dir, bool for_device)
{
	const struct dbr_run *run = &range->runs[range->idx];
	const struct dbr_run *end = range->runs + range->nr;
	u64 skip = range->skip, left = range->left, l;
	unsigned int n = 0;

	/* a window of the token's runs (dbr_token_map_iter()): walk them */
	if (WARN_ON_ONCE(range->kind != DBR_SEG_RUNS))
		return 0;
	for (; left && run < end; run++, skip = 0) {
		l = min(run->len - skip, left);
		left -= l;
		n++;
		if (map->p2p)
			continue;
		if (for_device)
			dma_sync_single_for_device(map->dma_dev, run->dma + skip,
						   l, dir);
		else
			dma_sync_single_for_cpu(map->dma_dev, run->dma + skip,
						l, dir);
	}
	dbr_stat_add(map->stats, map->p2p ? DBR_STAT_P2P_SYNC_SKIPS :
		     DBR_STAT_DMA_SYNCS, n);
	return map->p2p ? 0 : n;
}

/**
 * dbr_token_sync_for_device() - give a token range to the device
 * @map: mapping (a held reference)
 * @range: the request's bytes, from dbr_token_map_iter() on @map
 * @dir: the request's direction
 *
 * Call before the command is issued, whatever the direction: one
 * dma_sync_single_for_device() per run touched (only the touched bytes), so
 * bounce buffers are filled and caches written back where the platform
 * needs it; the DMA API makes it a no-op elsewhere. Peer-to-peer runs are
 * skipped: they have no CPU cache lines or bounce buffers, and syncing a
 * BAR bus address could apply cache maintenance to MMIO.
 *
 * Return: dma_sync calls made.
 */
unsigned int dbr_token_sync_for_device(struct dbr_token_map *map,
				       const struct dbr_seg_iter *range,
				       enum dma_data_direction dir)
{
	return dbr_token_sync(map, range, dir, true);
}

/**
 * dbr_token_sync_for_cpu() - give a token range back to the CPU
 * @map: mapping (a held reference)
 * @range: the request's bytes, from dbr_token_map_iter() on @map
 * @dir: the request's direction
 *
 * Call after the command completed (or was aborted), whatever the
 * direction; the counterpart of dbr_token_sync_for_device().
 *
 * Return: dma_sync calls made.
 */
unsigned int dbr_token_sync_for_cpu(struct dbr_token_map *map,
				    const struct dbr_seg_iter *range,
				    enum dma_data_direction dir)
{
	return dbr_token_sync(map, range, dir, false);
}

/* ---- module ---- */

int dbr_token_init(void)
{
	/* Unmapping releases IOMMU space and bounce buffers: reclaim path. */
	dbr_token_wq = alloc_workqueue("dbr_token", WQ_UNBOUND | WQ_MEM_RECLAIM,
				       0);
	return dbr_token_wq ? 0 : -ENOMEM;
}

void dbr_token_exit(void)
{
	destroy_workqueue(dbr_token_wq);
	/* dbr_fence_free_rcu() and the token and attachment frees */
	rcu_barrier();
}

MODULE_IMPORT_NS(DBR_COMPAT_NS_DMA_BUF);
