// SPDX-License-Identifier: GPL-2.0
/*
 * Request data -> NVMe data pointer.
 *
 * Two steps, kept apart so other sources of DMA segments can plug in:
 *   1. dbr_map_segments(): where are the bytes? Regular pages are mapped
 *      with the DMA API: one segment with dma_map_bvec, more with the block
 *      layer's scatterlist-less iterator where the kernel has it (7.x,
 *      dbr_compat_rq_dma_map), else blk_rq_map_sg + dma_map_sg. Token requests
 *      (placeholder pages standing for a premapped dma-buf) will produce
 *      their segments from the token's runs here instead.
 *   2. dbr_build_dptr(): decide SGL or PRP (dbr_use_sgl) and build it with
 *      the pure builder in dbr_sgl.c, list pages from the DMA pools.
 */
#include <linux/dma-mapping.h>

#include "compat.h"
#include "dbr_io.h"
#include "dbr_nvme.h"

/* ---- descriptor list pages --------------------------------------------- */

static int dbr_desc_alloc(void *priv, u32 bytes, void **cpu,
			  dbr_dma_addr_t *dma)
{
	struct dbr_ctrl *ctrl = priv;
	struct dma_pool *pool;
	dma_addr_t addr;

	pool = bytes <= DBR_SMALL_POOL_SIZE ? ctrl->small_pool : ctrl->page_pool;
	*cpu = dma_pool_alloc(pool, GFP_ATOMIC, &addr);
	if (!*cpu)
		return -ENOMEM;
	*dma = addr;
	return 0;
}

static void dbr_desc_free(void *priv, u32 bytes, void *cpu, dbr_dma_addr_t dma)
{
	struct dbr_ctrl *ctrl = priv;
	struct dma_pool *pool;

	pool = bytes <= DBR_SMALL_POOL_SIZE ? ctrl->small_pool : ctrl->page_pool;
	dma_pool_free(pool, cpu, dma);
}

int dbr_pools_create(struct dbr_ctrl *ctrl)
{
	ctrl->page_pool = dma_pool_create("dmabridge list page", ctrl->dev,
					  DBR_CTRL_PAGE_SIZE,
					  DBR_CTRL_PAGE_SIZE, 0);
	if (!ctrl->page_pool)
		return -ENOMEM;
	/* 256-byte blocks aligned to 256 never cross a controller page */
	ctrl->small_pool = dma_pool_create("dmabridge list 256", ctrl->dev,
					   DBR_SMALL_POOL_SIZE,
					   DBR_SMALL_POOL_SIZE, 0);
	if (!ctrl->small_pool)
		goto destroy_page_pool;

	ctrl->desc_cfg = (struct dbr_desc_cfg) {
		.alloc		= dbr_desc_alloc,
		.free		= dbr_desc_free,
		.priv		= ctrl,
		.page_size	= DBR_CTRL_PAGE_SIZE,
		.list_size	= DBR_CTRL_PAGE_SIZE,
		.max_pages	= DBR_MAX_DESC_PAGES,
	};
	if (WARN_ON(dbr_desc_cfg_check(&ctrl->desc_cfg)))
		goto destroy_small_pool;
	return 0;

destroy_small_pool:
	dma_pool_destroy(ctrl->small_pool);
destroy_page_pool:
	dma_pool_destroy(ctrl->page_pool);
	return -ENOMEM;
}

void dbr_pools_destroy(struct dbr_ctrl *ctrl)
{
	dma_pool_destroy(ctrl->small_pool);
	dma_pool_destroy(ctrl->page_pool);
}

/* Token requests keep their DMA segments where others keep the sg list. */
static struct dbr_io_pdu *dbr_io_pdu(struct dbr_iod *iod)
{
	BUILD_BUG_ON(sizeof(struct dbr_io_pdu) >
		     DBR_MAX_SEGS * sizeof(struct scatterlist));
	return (struct dbr_io_pdu *)iod->sg;
}

/* Ordinary requests mapped by the block layer keep their segments there too. */
static struct dbr_seg *dbr_iod_segs(struct dbr_iod *iod)
{
	/* dbr_compat_rq_dma_map() wants room for one more than it maps */
	BUILD_BUG_ON((DBR_MAX_SEGS + 1) * sizeof(struct dbr_seg) >
		     DBR_MAX_SEGS * sizeof(struct scatterlist));
	return (struct dbr_seg *)iod->sg;
}

/* ---- step 1: DMA segments ---------------------------------------------- */

static bool dbr_sg_next(struct dbr_seg_iter *it, dbr_dma_addr_t *addr, u64 *len)
{
	struct scatterlist *sg = it->cur;

	*addr = sg_dma_address(sg);
	*len = sg_dma_len(sg);
	it->cur = sg_next(sg);
	return true;
}

static blk_status_t dbr_map_sg(struct dbr_ctrl *ctrl, struct request *req,
			       struct dbr_seg_iter *it)
{
	struct dbr_iod *iod = dbr_iod(req);
	struct dbr_data *data = &iod->data;

	sg_init_table(iod->sg, blk_rq_nr_phys_segments(req));
	data->nr_sg = dbr_compat_blk_rq_map_sg(req, iod->sg);
	if (!data->nr_sg)
		return BLK_STS_IOERR;
	data->nents = dma_map_sg_attrs(ctrl->dev, iod->sg, data->nr_sg,
				       rq_dma_dir(req), DMA_ATTR_NO_WARN);
	if (!data->nents) {
		data->nr_sg = 0;
		return BLK_STS_RESOURCE;
	}
	dbr_seg_iter_init_fn(it, dbr_sg_next, iod->sg, data->nents,
			     blk_rq_payload_bytes(req));
	return BLK_STS_OK;
}

static void dbr_unmap_sg(struct dbr_ctrl *ctrl, struct request *req)
{
	struct dbr_iod *iod = dbr_iod(req);
	struct dbr_data *data = &iod->data;

	if (!data->nr_sg)
		return;
	dma_unmap_sg(ctrl->dev, iod->sg, data->nr_sg, rq_dma_dir(req));
	data->nr_sg = 0;
	data->nents = 0;
}

/*
 * One contiguous bvec: map it directly, no scatterlist. The check against
 * the payload also excludes requests whose bios merged into one segment.
 */
static bool dbr_map_single(struct dbr_ctrl *ctrl, struct request *req,
			   struct dbr_seg_iter *it, blk_status_t *ret)
{
	struct dbr_data *data = &dbr_iod(req)->data;
	struct bio_vec bv;
	dma_addr_t addr;

	if (blk_rq_nr_phys_segments(req) != 1)
		return false;
	bv = req_bvec(req);
	if (bv.bv_len != blk_rq_payload_bytes(req))
		return false;
	addr = dma_map_bvec(ctrl->dev, &bv, rq_dma_dir(req), 0);
	if (dma_mapping_error(ctrl->dev, addr)) {
		*ret = BLK_STS_RESOURCE;
		return true;
	}
	data->single.addr = addr;
	data->single.len = bv.bv_len;
	dbr_seg_iter_init_segs(it, &data->single, 1);
	*ret = BLK_STS_OK;
	return true;
}

/* Where the bytes of @req live, as DMA segments. */
static blk_status_t dbr_map_segments(struct dbr_ctrl *ctrl,
				     struct request *req,
				     struct dbr_seg_iter *it)
{
	struct dbr_iod *iod = dbr_iod(req);
	blk_status_t ret;
	int err;

	if (blk_rq_nr_phys_segments(req) > DBR_MAX_SEGS)
		return BLK_STS_IOERR;
	/* placeholder pages: the token's premapped runs, no DMA map */
	err = dbr_io_rq_map(req, ctrl->dev, dbr_io_pdu(iod), it);
	iod->data.token = !err;
	if (!err)
		return BLK_STS_OK;
	if (err == -ENOMEM)
		return BLK_STS_RESOURCE;
	if (err < 0) {
		dev_err_ratelimited(ctrl->dev, "token request not mappable: %d\n",
				    err);
		return BLK_STS_IOERR;
	}
	if (dbr_map_single(ctrl, req, it, &ret))
		return ret;
	if (!dbr_compat_rq_dma_map(req, ctrl->dev, &iod->data.dma,
				   dbr_iod_segs(iod), DBR_MAX_SEGS, &ret))
		return dbr_map_sg(ctrl, req, it);
	if (!ret)
		dbr_seg_iter_init_segs(it, dbr_iod_segs(iod), iod->data.dma.nr);
	return ret;
}

static void dbr_unmap_segments(struct dbr_ctrl *ctrl, struct request *req)
{
	struct dbr_iod *iod = dbr_iod(req);
	struct dbr_data *data = &iod->data;

	if (data->token) {
		dbr_io_rq_unmap(req, ctrl->dev, dbr_io_pdu(iod));
		data->token = false;
		return;
	}
	if (data->single.len) {
		dma_unmap_page(ctrl->dev, data->single.addr, data->single.len,
			       rq_dma_dir(req));
		data->single.len = 0;
		return;
	}
	if (dbr_compat_rq_dma_unmap(req, ctrl->dev, &data->dma,
				    dbr_iod_segs(iod)))
		return;
	dbr_unmap_sg(ctrl, req);
}

/* ---- step 2: data pointer ---------------------------------------------- */

/*
 * SGLs when the controller takes them on this queue and either the request
 * benefits (large average segment) or PRPs cannot describe it at all (no
 * virt boundary is set on SGL-capable controllers).
 */
static bool dbr_want_sgl(struct dbr_ctrl *ctrl, struct dbr_queue *q,
			 struct request *req, const struct dbr_seg_iter *it)
{
	if (!q->qid || !ctrl->sgl)
		return false;
	/* token requests: one descriptor per run is the point of SGLs */
	if (dbr_iod(req)->data.token)
		return READ_ONCE(dbr_token_sgl) != DBR_TOKEN_SGL_OFF;
	if (dbr_use_sgl(true, blk_rq_payload_bytes(req), it->nr,
			READ_ONCE(dbr_sgl_threshold)))
		return true;
	return dbr_prp_check(it, DBR_CTRL_PAGE_SIZE) != 0;
}

static blk_status_t dbr_build_dptr(struct dbr_ctrl *ctrl, struct dbr_queue *q,
				   struct request *req,
				   const struct dbr_seg_iter *it,
				   struct nvme_command *cmd)
{
	struct dbr_data *data = &dbr_iod(req)->data;
	union dbr_dptr dptr;
	int ret;

	BUILD_BUG_ON(sizeof(dptr) != sizeof(cmd->common.dptr));
	data->use_sgl = dbr_want_sgl(ctrl, q, req, it);
	if (data->token && !data->use_sgl &&
	    READ_ONCE(dbr_token_sgl) == DBR_TOKEN_SGL_FORCE) {
		dev_err_ratelimited(ctrl->dev, "token_sgl=force but the controller has no SGLs\n");
		return BLK_STS_NOTSUPP;
	}
	if (data->use_sgl)
		ret = dbr_sgl_build(it, &ctrl->desc_cfg, &dptr, &data->pages);
	else
		ret = dbr_prp_build(it, &ctrl->desc_cfg, &dptr, &data->pages);
	if (ret) {
		dbr_desc_release(&ctrl->desc_cfg, &data->pages);
		if (ret == -ENOMEM)
			return BLK_STS_RESOURCE;
		dev_err_ratelimited(ctrl->dev,
				    "cannot describe %u bytes in %u segments with %s: %d\n",
				    blk_rq_payload_bytes(req), it->nr,
				    data->use_sgl ? "SGLs" : "PRPs", ret);
		return BLK_STS_IOERR;
	}
	memcpy(&cmd->common.dptr, &dptr, sizeof(dptr));
	if (data->use_sgl)
		cmd->common.flags |= NVME_CMD_SGL_METABUF;
	if (data->token) {
		if (data->use_sgl)
			dbr_stat_add(&ctrl->stats, DBR_STAT_SGL_DESCS,
				     dbr_sgl_count(it));
		else
			dbr_stat_inc(&ctrl->stats, DBR_STAT_PRP_FALLBACKS);
	}
	return BLK_STS_OK;
}

/**
 * dbr_map_data() - map a request's data and set the command's data pointer
 * @ctrl: controller
 * @q: the queue the command goes to (admin commands take PRPs only)
 * @req: request with at least one physical segment
 * @cmd: command whose DPTR and PSDT are set
 *
 * Undone by dbr_unmap_data(), also after a failure here.
 *
 * Return: BLK_STS_OK, BLK_STS_RESOURCE to retry later, or an error.
 */
blk_status_t dbr_map_data(struct dbr_ctrl *ctrl, struct dbr_queue *q,
			  struct request *req, struct nvme_command *cmd)
{
	struct dbr_seg_iter it;
	blk_status_t ret;

	ret = dbr_map_segments(ctrl, req, &it);
	if (ret)
		return ret;
	ret = dbr_build_dptr(ctrl, q, req, &it, cmd);
	if (ret)
		dbr_unmap_segments(ctrl, req);
	return ret;
}

void dbr_unmap_data(struct dbr_ctrl *ctrl, struct request *req)
{
	dbr_desc_release(&ctrl->desc_cfg, &dbr_iod(req)->data.pages);
	dbr_unmap_segments(ctrl, req);
}
