// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * NVMe SGL/PRP builder over DMA runs, no per-page tables.
 *
 * Every builder works in two passes over a private copy of the iterator:
 * the first validates and counts, so the page budget (-E2BIG) and PRP
 * expressibility (-EINVAL) are known before anything is allocated; the second
 * allocates all list pages and fills them. Only -ENOMEM (and -EFAULT, an
 * allocator contract violation) can leave pages behind, and those are in
 * struct dbr_desc_pages for dbr_desc_release(), which is also the completion
 * path: one release for every outcome.
 */
#include "dbr_sgl.h"

/* ---- Runs --------------------------------------------------------------- */

/**
 * dbr_runs_coalesce() - merge runs contiguous in both token offset and DMA
 * @runs: runs sorted by offset, edited in place
 * @nr: number of runs
 *
 * Used once when a token's sg table is turned into runs: IOMMUs and exporters
 * often hand out neighbouring entries, and every merge saves a descriptor on
 * every later I/O. Empty runs are dropped.
 *
 * Return: the new number of runs.
 */
unsigned int dbr_runs_coalesce(struct dbr_run *runs, unsigned int nr)
{
	unsigned int i, out = 0;

	for (i = 0; i < nr; i++) {
		struct dbr_run *last = out ? &runs[out - 1] : NULL;

		if (!runs[i].len)
			continue;
		if (last && last->off + last->len == runs[i].off &&
		    last->dma + last->len == runs[i].dma) {
			last->len += runs[i].len;
			continue;
		}
		runs[out++] = runs[i];
	}
	return out;
}

/**
 * dbr_runs_find() - binary search for the run holding a token offset
 * @runs: runs sorted by offset
 * @nr: number of runs
 * @off: token offset
 *
 * Return: index of the run containing @off, or @nr if no run does.
 */
unsigned int dbr_runs_find(const struct dbr_run *runs, unsigned int nr, u64 off)
{
	unsigned int lo = 0, hi = nr;

	/* first run starting beyond @off; its predecessor is the candidate */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (runs[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || off - runs[lo - 1].off >= runs[lo - 1].len)
		return nr;
	return lo - 1;
}

/**
 * dbr_runs_check() - validate the invariants the iterator relies on
 * @runs: runs
 * @nr: number of runs
 *
 * Checked once per mapping, so the per-I/O paths need not: at least one run,
 * no empty run, offsets contiguous, no address or offset wrap.
 *
 * Return: 0 or -EINVAL.
 */
int dbr_runs_check(const struct dbr_run *runs, unsigned int nr)
{
	unsigned int i;

	if (!nr)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		const struct dbr_run *r = &runs[i];

		if (!r->len || r->off + r->len < r->off ||
		    r->dma + r->len < r->dma)
			return -EINVAL;
		if (i && r->off != runs[i - 1].off + runs[i - 1].len)
			return -EINVAL;
	}
	return 0;
}

/* ---- Segment iterator --------------------------------------------------- */

/**
 * dbr_seg_iter_init_runs() - iterate the window [@off, @off + @len) of runs
 * @it: iterator to initialise
 * @runs: runs that passed dbr_runs_check()
 * @nr: number of runs
 * @off: token offset of the window
 * @len: window length
 *
 * Return: 0, -EINVAL for an empty window, -ERANGE if it leaves the runs.
 */
int dbr_seg_iter_init_runs(struct dbr_seg_iter *it, const struct dbr_run *runs,
			   unsigned int nr, u64 off, u64 len)
{
	unsigned int idx;

	if (!len)
		return -EINVAL;
	idx = dbr_runs_find(runs, nr, off);
	if (idx == nr || off + len < off ||
	    off + len > runs[nr - 1].off + runs[nr - 1].len)
		return -ERANGE;

	*it = (struct dbr_seg_iter) {
		.kind	= DBR_SEG_RUNS,
		.runs	= runs,
		.idx	= idx,
		.nr	= nr,
		.skip	= off - runs[idx].off,
		.left	= len,
		.len	= len,
	};
	return 0;
}

/**
 * dbr_seg_iter_sub() - a window inside the range of a runs iterator
 * @it: iterator to initialise
 * @base: a fresh DBR_SEG_RUNS iterator (dbr_seg_iter_init_runs())
 * @skip: bytes of @base's range before the window
 * @len: window length
 *
 * Starts at @base's run instead of searching the whole token again: a
 * window inside that run costs nothing, a later one a search of the runs
 * after it.
 *
 * Return: 0, -EINVAL for an empty window or a @base of another kind,
 * -ERANGE if the window leaves @base's range.
 */
int dbr_seg_iter_sub(struct dbr_seg_iter *it, const struct dbr_seg_iter *base,
		     u64 skip, u64 len)
{
	const struct dbr_run *run;
	unsigned int idx;
	u64 pos;

	if (!len || base->kind != DBR_SEG_RUNS)
		return -EINVAL;
	if (skip > base->len || len > base->len - skip)
		return -ERANGE;
	idx = base->idx;
	run = &base->runs[idx];
	pos = run->off + base->skip + skip;
	if (pos - run->off >= run->len)
		idx += dbr_runs_find(run, base->nr - idx, pos);
	*it = (struct dbr_seg_iter) {
		.kind	= DBR_SEG_RUNS,
		.runs	= base->runs,
		.idx	= idx,
		.nr	= base->nr,
		.skip	= pos - base->runs[idx].off,
		.left	= len,
		.len	= len,
	};
	return 0;
}

/**
 * dbr_seg_iter_init_segs() - iterate all of an array of mapped segments
 * @it: iterator to initialise
 * @segs: segments
 * @nr: number of segments
 */
void dbr_seg_iter_init_segs(struct dbr_seg_iter *it, const struct dbr_seg *segs,
			    unsigned int nr)
{
	u64 len = 0;
	unsigned int i;

	for (i = 0; i < nr; i++)
		len += segs[i].len;
	*it = (struct dbr_seg_iter) {
		.kind	= DBR_SEG_ARRAY,
		.segs	= segs,
		.nr	= nr,
		.left	= len,
		.len	= len,
	};
}

/**
 * dbr_seg_iter_init_fn() - iterate a source the pure code cannot see
 * @it: iterator to initialise
 * @fn: element fetch, see dbr_seg_next_fn
 * @cur: initial cursor, e.g. the first DMA-mapped scatterlist entry
 * @nr: number of elements, e.g. the mapped nents
 * @len: total bytes; a source holding fewer makes the builders fail -EINVAL
 */
void dbr_seg_iter_init_fn(struct dbr_seg_iter *it, dbr_seg_next_fn fn,
			  void *cur, unsigned int nr, u64 len)
{
	*it = (struct dbr_seg_iter) {
		.kind		= DBR_SEG_FN,
		.cur		= cur,
		.next_fn	= fn,
		.nr		= nr,
		.left		= len,
		.len		= len,
	};
}

/*
 * The whole range as one piece, found without walking: a single segment,
 * or a window inside one run. That is the shape of most small requests, so
 * the builders take it before setting up a merging walk. @it must be fresh.
 */
static bool dbr_seg_iter_one(const struct dbr_seg_iter *it,
			     dbr_dma_addr_t *addr)
{
	if (!it->len || it->left != it->len || it->idx >= it->nr)
		return false;
	switch (it->kind) {
	case DBR_SEG_RUNS:
		if (it->runs[it->idx].len - it->skip < it->len)
			return false;
		*addr = it->runs[it->idx].dma + it->skip;
		return true;
	case DBR_SEG_ARRAY:
		if (it->nr != 1 || it->segs[0].len != it->len)
			return false;
		*addr = it->segs[0].addr;
		return true;
	default:
		return false;
	}
}

/*
 * Merging cursor: joins DMA-contiguous neighbours (uncoalesced runs, segments
 * split at page boundaries) and cuts pieces longer than @cap. One piece of
 * look-ahead is kept to find where a merge ends.
 */
struct dbr_merge {
	struct dbr_seg_iter	it;
	u64			cap;
	dbr_dma_addr_t		addr;
	u64			len;
	dbr_dma_addr_t		ahead_addr;
	u64			ahead_len;
};

static void dbr_merge_init(struct dbr_merge *m, const struct dbr_seg_iter *src,
			   u64 cap)
{
	m->it = *src;
	m->cap = cap;
	m->len = 0;
	m->ahead_len = 0;
}

static bool dbr_merge_next(struct dbr_merge *m, dbr_dma_addr_t *addr, u64 *len)
{
	dbr_dma_addr_t a;
	u64 l;

	if (!m->len) {
		if (m->ahead_len) {
			m->addr = m->ahead_addr;
			m->len = m->ahead_len;
			m->ahead_len = 0;
		} else if (!dbr_seg_iter_next(&m->it, &m->addr, &m->len)) {
			return false;
		}
	}
	while (!m->ahead_len && m->len < m->cap &&
	       dbr_seg_iter_next(&m->it, &a, &l)) {
		if (a == m->addr + m->len) {
			m->len += l;
		} else {
			m->ahead_addr = a;
			m->ahead_len = l;
		}
	}
	*addr = m->addr;
	*len = dbr_min_u64(m->len, m->cap);
	m->addr += *len;
	m->len -= *len;
	return true;
}

/* ---- Descriptor list pages ---------------------------------------------- */

/*
 * Pages for @n entries when one fits inline (SGL: the DPTR descriptor; PRP:
 * PRP2) and a page holds @per entries, the last slot of a non-final page
 * pointing to the next page.
 */
static u64 dbr_list_pages(u64 n, u32 per)
{
	if (n <= 1)
		return 0;
	if (n <= per)
		return 1;
	return div_u64(n - 2, per - 1) + 1;
}

/* Entries in the last of @np pages; the others hold per - 1 plus a link. */
static u32 dbr_list_last(u64 n, u64 np, u32 per)
{
	return n - (np - 1) * (per - 1);
}

/**
 * dbr_desc_cfg_check() - validate a descriptor configuration
 * @cfg: configuration, typically one per controller
 *
 * Return: 0 or -EINVAL.
 */
int dbr_desc_cfg_check(const struct dbr_desc_cfg *cfg)
{
	if (!cfg->alloc || !cfg->free)
		return -EINVAL;
	if (!dbr_is_pow2(cfg->page_size) || cfg->page_size < 32)
		return -EINVAL;
	if (cfg->list_size < 2 * sizeof(struct dbr_sgl_desc) ||
	    cfg->list_size % sizeof(struct dbr_sgl_desc))
		return -EINVAL;
	if (cfg->max_pages > DBR_DESC_PAGES_MAX)
		return -EINVAL;
	return 0;
}

/* Blocks failing this would make the device read the wrong memory. */
static bool dbr_desc_block_ok(dbr_dma_addr_t dma, u32 bytes, u32 boundary)
{
	if (dma & 7)
		return false;
	return !boundary || (dma & (boundary - 1)) + bytes <= boundary;
}

/*
 * Allocate @np blocks: @full bytes each, @last for the final one. Every block
 * is recorded before it is checked, so a failure leaves it releasable.
 */
static int dbr_desc_pages_alloc(const struct dbr_desc_cfg *cfg,
				struct dbr_desc_pages *pages, unsigned int np,
				u32 full, u32 last, u32 boundary)
{
	while (pages->nr < np) {
		unsigned int i = pages->nr;
		u32 bytes = i == np - 1 ? last : full;
		int ret;

		ret = cfg->alloc(cfg->priv, bytes, &pages->cpu[i], &pages->dma[i]);
		if (ret)
			return ret < 0 ? ret : -ENOMEM;
		pages->bytes[i] = bytes;
		pages->nr++;
		if (!dbr_desc_block_ok(pages->dma[i], bytes, boundary))
			return -EFAULT;
	}
	return 0;
}

/**
 * dbr_desc_release() - free the list pages of a command
 * @cfg: configuration the pages were built with
 * @pages: pages; empty afterwards
 *
 * The one inverse of dbr_sgl_build() and dbr_prp_build(), for completions
 * and failed builds alike. Releasing an empty set is a no-op, so it may be
 * called twice or after dbr_desc_pages_init() alone.
 */
void dbr_desc_release(const struct dbr_desc_cfg *cfg,
		      struct dbr_desc_pages *pages)
{
	while (pages->nr) {
		unsigned int i = --pages->nr;

		cfg->free(cfg->priv, pages->bytes[i], pages->cpu[i], pages->dma[i]);
	}
}

/* ---- SGL ---------------------------------------------------------------- */

#define DBR_SGL_PER_PAGE(list_size)	((list_size) / sizeof(struct dbr_sgl_desc))

static void dbr_sgl_set(struct dbr_sgl_desc *d, dbr_dma_addr_t addr, u32 len,
			u8 type)
{
	d->addr = cpu_to_le64(addr);
	d->length = cpu_to_le32(len);
	memset(d->rsvd, 0, sizeof(d->rsvd));
	d->type = DBR_SGL_TYPE(type);
}

/* Link to page @i: Last Segment iff @i is the final page. */
static void dbr_sgl_set_seg(struct dbr_sgl_desc *d,
			    const struct dbr_desc_pages *pages, unsigned int i)
{
	u8 type = i == pages->nr - 1 ? DBR_SGL_LAST_SEGMENT : DBR_SGL_SEGMENT;

	dbr_sgl_set(d, pages->dma[i], pages->bytes[i], type);
}

/**
 * dbr_sgl_count() - SGL Data Block descriptors needed for a range
 * @it: range
 *
 * One per DMA-contiguous piece (after merging neighbours), plus one per
 * DBR_SGL_DESC_MAX_LEN a piece exceeds.
 *
 * Return: count >= 1, -EINVAL if the source does not hold @it->len bytes,
 * -E2BIG beyond INT_MAX.
 */
int dbr_sgl_count(const struct dbr_seg_iter *it)
{
	struct dbr_merge m;
	dbr_dma_addr_t a;
	u64 l, sum = 0;
	int n = 0;

	if (dbr_seg_iter_one(it, &a) && it->len <= DBR_SGL_DESC_MAX_LEN)
		return 1;
	dbr_merge_init(&m, it, DBR_SGL_DESC_MAX_LEN);
	while (dbr_merge_next(&m, &a, &l)) {
		if (n == INT_MAX)
			return -E2BIG;
		n++;
		sum += l;
	}
	if (!n || sum != it->len)
		return -EINVAL;
	return n;
}

static void dbr_sgl_fill(struct dbr_merge *m, const struct dbr_desc_pages *pages)
{
	unsigned int i, k;
	dbr_dma_addr_t a;
	u64 l;

	for (i = 0; i < pages->nr; i++) {
		struct dbr_sgl_desc *d = pages->cpu[i];
		unsigned int nd = pages->bytes[i] / sizeof(*d);
		bool last = i == pages->nr - 1;

		if (!last)
			nd--;
		/* counted before: the cursor cannot run dry here */
		for (k = 0; k < nd && dbr_merge_next(m, &a, &l); k++)
			dbr_sgl_set(&d[k], a, l, DBR_SGL_DATA_BLOCK);
		if (!last)
			dbr_sgl_set_seg(&d[nd], pages, i + 1);
	}
}

/**
 * dbr_sgl_build() - describe a range with NVMe SGLs
 * @it: range
 * @cfg: list page source and budget, passed dbr_desc_cfg_check()
 * @dptr: the command's data pointer, written on success only
 * @pages: list pages now owned by the command; need not be initialised
 *
 * A single piece becomes an inline Data Block and uses no memory. More go
 * to list pages referenced by a Last Segment descriptor (Segment when
 * chained); a full page's last slot links to the next page. The caller sets
 * PSDT (DBR_CMD_PSDT_SGL) and calls dbr_desc_release() after completion or
 * after a failure.
 *
 * Return: 0; -EINVAL bad range (nothing allocated); -E2BIG more than
 * @cfg->max_pages pages needed (nothing allocated); -ENOMEM or -EFAULT
 * (allocator broke its contract) with @pages holding what was allocated.
 */
int dbr_sgl_build(const struct dbr_seg_iter *it, const struct dbr_desc_cfg *cfg,
		  union dbr_dptr *dptr, struct dbr_desc_pages *pages)
{
	u32 per = DBR_SGL_PER_PAGE(cfg->list_size);
	struct dbr_merge m;
	dbr_dma_addr_t a = 0;
	u64 np, l = 0;
	int n, ret;

	dbr_desc_pages_init(pages);
	if (dbr_seg_iter_one(it, &a) && it->len <= DBR_SGL_DESC_MAX_LEN) {
		dbr_sgl_set(&dptr->sgl, a, it->len, DBR_SGL_DATA_BLOCK);
		return 0;
	}
	n = dbr_sgl_count(it);
	if (n < 0)
		return n;

	dbr_merge_init(&m, it, DBR_SGL_DESC_MAX_LEN);
	if (n == 1) {
		dbr_merge_next(&m, &a, &l);
		dbr_sgl_set(&dptr->sgl, a, l, DBR_SGL_DATA_BLOCK);
		return 0;
	}

	np = dbr_list_pages(n, per);
	if (np > cfg->max_pages)
		return -E2BIG;
	ret = dbr_desc_pages_alloc(cfg, pages, np,
				   per * sizeof(struct dbr_sgl_desc),
				   dbr_list_last(n, np, per) * sizeof(struct dbr_sgl_desc),
				   0);
	if (ret)
		return ret;
	dbr_sgl_fill(&m, pages);
	dbr_sgl_set_seg(&dptr->sgl, pages, 0);
	return 0;
}

/* ---- PRP ---------------------------------------------------------------- */

/*
 * Page entry generator: the page addresses after PRP1, produced on the fly
 * from merged pieces; this is what replaces a per-page address table.
 */
struct dbr_prp_gen {
	struct dbr_merge	m;
	dbr_dma_addr_t		next;
	dbr_dma_addr_t		end;
	u32			page_size;
};

/* Start after the page PRP1 points into; returns PRP1. */
static dbr_dma_addr_t dbr_prp_gen_init(struct dbr_prp_gen *g,
				       const struct dbr_seg_iter *it, u32 page_size)
{
	dbr_dma_addr_t a = 0;
	u64 l = 0;

	dbr_merge_init(&g->m, it, U64_MAX);
	dbr_merge_next(&g->m, &a, &l);
	g->page_size = page_size;
	g->next = (a & ~(u64)(page_size - 1)) + page_size;
	g->end = a + l;
	return a;
}

/* Only called for entries dbr_prp_check() has proven to exist. */
static dbr_dma_addr_t dbr_prp_gen_next(struct dbr_prp_gen *g)
{
	dbr_dma_addr_t e;
	u64 l;

	if (g->next >= g->end && dbr_merge_next(&g->m, &g->next, &l))
		g->end = g->next + l;
	e = g->next;
	g->next += g->page_size;
	return e;
}

/* Entries after PRP1 for a valid range starting at @first. */
static u64 dbr_prp_nr_list(dbr_dma_addr_t first, u64 len, u32 page_size)
{
	u64 span = (first & (page_size - 1)) + len;

	return div_u64(span + page_size - 1, page_size) - 1;
}

/**
 * dbr_prp_check() - can PRPs describe a range?
 * @it: range
 * @page_size: controller memory page size
 *
 * After merging DMA-contiguous neighbours, every piece but the first must
 * start on a page boundary and every piece but the last must end on one;
 * the first must be dword aligned.
 *
 * Return: 0, or -EINVAL (use SGLs, or fail the I/O).
 */
int dbr_prp_check(const struct dbr_seg_iter *it, u32 page_size)
{
	u64 mask = page_size - 1, l, sum = 0;
	dbr_dma_addr_t a, end = 0;
	struct dbr_merge m;
	bool first = true;

	if (dbr_seg_iter_one(it, &a))
		return a & 3 ? -EINVAL : 0;
	dbr_merge_init(&m, it, U64_MAX);
	while (dbr_merge_next(&m, &a, &l)) {
		if (first ? (a & 3) : ((a | end) & mask))
			return -EINVAL;
		first = false;
		end = a + l;
		sum += l;
	}
	if (first || sum != it->len)
		return -EINVAL;
	return 0;
}

static void dbr_prp_fill(struct dbr_prp_gen *g, const struct dbr_desc_pages *pages)
{
	unsigned int i, k;

	for (i = 0; i < pages->nr; i++) {
		__le64 *e = pages->cpu[i];
		unsigned int ne = pages->bytes[i] / sizeof(*e);
		bool last = i == pages->nr - 1;

		if (!last)
			ne--;
		for (k = 0; k < ne; k++)
			e[k] = cpu_to_le64(dbr_prp_gen_next(g));
		if (!last)
			e[ne] = cpu_to_le64(pages->dma[i + 1]);
	}
}

/**
 * dbr_prp_build() - describe a range with PRPs
 * @it: range
 * @cfg: list page source and budget, passed dbr_desc_cfg_check()
 * @dptr: the command's data pointer, written on success only
 * @pages: list pages now owned by the command; need not be initialised
 *
 * PRP1 is the first byte; PRP2 the second page, or a PRP list whose pages
 * hold page_size / 8 entries and chain through their last entry. Entries are
 * generated from the pieces page by page, never stored elsewhere. PSDT stays
 * 00b. Call dbr_desc_release() after completion or after a failure.
 *
 * Return: 0; -EINVAL not expressible as PRPs (nothing allocated); -E2BIG
 * more than @cfg->max_pages list pages needed (nothing allocated); -ENOMEM or
 * -EFAULT (allocator broke its contract) with @pages holding what was
 * allocated.
 */
int dbr_prp_build(const struct dbr_seg_iter *it, const struct dbr_desc_cfg *cfg,
		  union dbr_dptr *dptr, struct dbr_desc_pages *pages)
{
	u32 per = cfg->page_size / sizeof(__le64);
	dbr_dma_addr_t prp1, prp2 = 0;
	struct dbr_prp_gen g;
	u64 n, np;
	int ret;

	dbr_desc_pages_init(pages);
	/* one piece over at most two pages: PRP1 and PRP2, no walk */
	if (dbr_seg_iter_one(it, &prp1) && !(prp1 & 3)) {
		n = dbr_prp_nr_list(prp1, it->len, cfg->page_size);
		if (n <= 1) {
			if (n)
				prp2 = (prp1 | (cfg->page_size - 1)) + 1;
			dptr->prp.prp1 = cpu_to_le64(prp1);
			dptr->prp.prp2 = cpu_to_le64(prp2);
			return 0;
		}
	}
	ret = dbr_prp_check(it, cfg->page_size);
	if (ret)
		return ret;

	prp1 = dbr_prp_gen_init(&g, it, cfg->page_size);
	n = dbr_prp_nr_list(prp1, it->len, cfg->page_size);
	if (n == 1)
		prp2 = dbr_prp_gen_next(&g);
	if (n > 1) {
		np = dbr_list_pages(n, per);
		if (np > cfg->max_pages)
			return -E2BIG;
		ret = dbr_desc_pages_alloc(cfg, pages, np, cfg->page_size,
					   dbr_list_last(n, np, per) * sizeof(__le64),
					   cfg->page_size);
		if (ret)
			return ret;
		dbr_prp_fill(&g, pages);
		prp2 = pages->dma[0];
	}
	dptr->prp.prp1 = cpu_to_le64(prp1);
	dptr->prp.prp2 = cpu_to_le64(prp2);
	return 0;
}

/* ---- Command sizing (host only) ----------------------------------------- */

/*
 * How many list pages and commands a range needs, computed independently of
 * the builders: the unit tests check the builders and the budget arithmetic
 * against it. The module needs none of it (the block layer splits requests
 * by the queue limits before queue_rq), so it is not built into the module.
 */
#ifndef __KERNEL__

/* Inverse of dbr_list_pages(): most entries @pages pages describe. */
static u64 dbr_list_cap(unsigned int pages, u32 per)
{
	if (pages > DBR_DESC_PAGES_MAX)
		pages = DBR_DESC_PAGES_MAX;
	return pages ? (u64)pages * (per - 1) + 1 : 1;
}

/**
 * dbr_sgl_count_lists() - SGL list pages needed for a range
 * @it: range
 * @list_size: bytes per list page
 *
 * Return: pages (0: the descriptor fits inline), or a dbr_sgl_count() error.
 */
int dbr_sgl_count_lists(const struct dbr_seg_iter *it, u32 list_size)
{
	int n = dbr_sgl_count(it);

	if (n < 0)
		return n;
	return dbr_list_pages(n, DBR_SGL_PER_PAGE(list_size));
}

/**
 * dbr_sgl_max_descs() - Data Blocks a command can carry within a page budget
 * @list_size: bytes per list page
 * @max_pages: list pages allowed
 *
 * Return: descriptor count, for struct dbr_split_limits.max_descs.
 */
unsigned int dbr_sgl_max_descs(u32 list_size, unsigned int max_pages)
{
	u64 cap = dbr_list_cap(max_pages, DBR_SGL_PER_PAGE(list_size));

	return dbr_min_u64(cap, UINT_MAX);
}

/**
 * dbr_prp_count_lists() - PRP list pages needed for a range
 * @it: range
 * @page_size: controller memory page size (also the list page size)
 *
 * Return: pages (0: PRP1/PRP2 suffice), -EINVAL if PRPs cannot describe the
 * range, -E2BIG beyond INT_MAX.
 */
int dbr_prp_count_lists(const struct dbr_seg_iter *it, u32 page_size)
{
	struct dbr_seg_iter tmp = *it;
	dbr_dma_addr_t a = 0;
	u64 l = 0, np;
	int ret;

	ret = dbr_prp_check(it, page_size);
	if (ret)
		return ret;
	dbr_seg_iter_next(&tmp, &a, &l);
	np = dbr_list_pages(dbr_prp_nr_list(a, it->len, page_size), page_size / 8);
	return np > INT_MAX ? -E2BIG : (int)np;
}

/**
 * dbr_prp_max_entries() - PRP entries a command can carry within a budget
 * @page_size: controller memory page size
 * @max_pages: PRP list pages allowed
 *
 * Return: entries including PRP1, for struct dbr_split_limits.max_descs.
 */
unsigned int dbr_prp_max_entries(u32 page_size, unsigned int max_pages)
{
	return dbr_min_u64(1 + dbr_list_cap(max_pages, page_size / 8), UINT_MAX);
}

/* Bytes covered by the first @max Data Blocks of a range. */
static u64 dbr_sgl_span(const struct dbr_seg_iter *it, unsigned int max)
{
	struct dbr_merge m;
	dbr_dma_addr_t a;
	u64 l, sum = 0;

	dbr_merge_init(&m, it, DBR_SGL_DESC_MAX_LEN);
	while (max-- && dbr_merge_next(&m, &a, &l))
		sum += l;
	return sum;
}

/* Bytes @max PRP entries cover: all pages but the offset into the first. */
static u64 dbr_prp_span(const struct dbr_seg_iter *it, u32 page_size,
			unsigned int max)
{
	struct dbr_seg_iter tmp = *it;
	dbr_dma_addr_t a = 0;
	u64 l = 0;

	if (!dbr_seg_iter_next(&tmp, &a, &l))
		return 0;
	return (u64)max * page_size - (a & (page_size - 1));
}

/**
 * dbr_split_len() - bytes of a range that fit into one command
 * @it: remaining range
 * @lim: controller and budget limits
 * @len: result, a multiple of @lim->block_size
 *
 * The caller issues a command for the first @len bytes, re-initialises the
 * iterator at the remainder and repeats. PRP validity is not checked: a
 * prefix of a PRP-expressible range is PRP-expressible.
 *
 * Return: 0, or -EINVAL if not even one logical block fits (or bad limits).
 */
int dbr_split_len(const struct dbr_seg_iter *it,
		  const struct dbr_split_limits *lim, u64 *len)
{
	u64 bytes = it->len, span = U64_MAX;

	if (!dbr_is_pow2(lim->block_size))
		return -EINVAL;
	if (lim->prp_page_size && !dbr_is_pow2(lim->prp_page_size))
		return -EINVAL;
	if (lim->max_bytes)
		bytes = dbr_min_u64(bytes, lim->max_bytes);
	if (lim->max_descs && lim->prp_page_size)
		span = dbr_prp_span(it, lim->prp_page_size, lim->max_descs);
	else if (lim->max_descs)
		span = dbr_sgl_span(it, lim->max_descs);
	bytes = dbr_min_u64(bytes, span);
	bytes &= ~(u64)(lim->block_size - 1);
	if (!bytes)
		return -EINVAL;
	*len = bytes;
	return 0;
}

#endif /* !__KERNEL__ */
