/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * NVMe SGL/PRP builder over DMA runs, no per-page tables.
 *
 * A dma-buf token is mapped once and coalesced into "runs" (token offset,
 * DMA address, length). Commands are described straight from those runs (or
 * from an ordinary list of mapped segments): one SGL Data Block per contiguous
 * piece, or PRP entries generated page by page on the fly. No array with one
 * entry per controller page exists anywhere.
 *
 * Pure code: see dbr_pure.h.
 */
#ifndef DBR_SGL_H
#define DBR_SGL_H

#include "dbr_pure.h"

/* ---- NVMe wire formats ------------------------------------------------- */

/* SGL descriptor types, bits 7:4 of the type byte (NVMe 2.0, 4.3.2). */
enum {
	DBR_SGL_DATA_BLOCK	= 0x0,
	DBR_SGL_BIT_BUCKET	= 0x1,
	DBR_SGL_SEGMENT		= 0x2,
	DBR_SGL_LAST_SEGMENT	= 0x3,
};

/* Type byte for @t with subtype 0 (address), the only subtype we emit. */
#define DBR_SGL_TYPE(t)		((u8)((t) << 4))

/*
 * CDW0 PSDT = 01b: "SGLs for data, metadata pointer is an address". Same bit
 * as the kernel's NVME_CMD_SGL_METABUF; PRP commands leave PSDT at 00b.
 */
#define DBR_CMD_PSDT_SGL	BIT(6)

/*
 * Longest Data Block we emit: the length field is 32 bits, and splitting at
 * a power of two keeps the remainder page aligned.
 */
#define DBR_SGL_DESC_MAX_LEN	BIT_ULL(31)

/* Upper bound for dbr_desc_cfg.max_pages; sizes struct dbr_desc_pages. */
#define DBR_DESC_PAGES_MAX	8

struct dbr_sgl_desc {
	__le64	addr;
	__le32	length;
	u8	rsvd[3];
	u8	type;
};

/* The command's 16-byte data pointer (DPTR, CDW6..9). */
union dbr_dptr {
	struct dbr_sgl_desc sgl;
	struct {
		__le64	prp1;
		__le64	prp2;
	} prp;
};

DBR_STATIC_ASSERT(sizeof(struct dbr_sgl_desc) == 16);
DBR_STATIC_ASSERT(sizeof(union dbr_dptr) == 16);

/* ---- Runs --------------------------------------------------------------- */

/**
 * struct dbr_run - one DMA-contiguous piece of a token
 * @off: offset in the token; run i + 1 starts at @off + @len of run i
 * @dma: bus address of the first byte
 * @len: length in bytes, never 0
 */
struct dbr_run {
	u64		off;
	dbr_dma_addr_t	dma;
	u64		len;
};

/**
 * struct dbr_seg - one mapped segment of an ordinary request
 * @addr: bus address
 * @len: length in bytes (0 is skipped)
 */
struct dbr_seg {
	dbr_dma_addr_t	addr;
	u32		len;
};

unsigned int dbr_runs_coalesce(struct dbr_run *runs, unsigned int nr);
unsigned int dbr_runs_find(const struct dbr_run *runs, unsigned int nr, u64 off);
int dbr_runs_check(const struct dbr_run *runs, unsigned int nr);

/* ---- Segment iterator --------------------------------------------------- */

struct dbr_seg_iter;

/*
 * Custom source (e.g. a DMA-mapped scatterlist): return element it->idx as
 * (addr, len) and advance it->cur. The generic code bounds the calls by it->nr
 * and increments it->idx. Position lives in the iterator only, so copying the
 * iterator rewinds it: the builders walk their input twice.
 */
typedef bool (*dbr_seg_next_fn)(struct dbr_seg_iter *it, dbr_dma_addr_t *addr,
				u64 *len);

enum dbr_seg_kind {
	DBR_SEG_RUNS,
	DBR_SEG_ARRAY,
	DBR_SEG_FN,
};

/**
 * struct dbr_seg_iter - a byte range of DMA memory as (addr, len) pieces
 * @kind: which member of the union is the source
 * @runs: DBR_SEG_RUNS: token runs
 * @segs: DBR_SEG_ARRAY: segment array
 * @cur: DBR_SEG_FN: opaque cursor owned by @next_fn
 * @next_fn: DBR_SEG_FN: element fetch
 * @idx: next element
 * @nr: number of elements
 * @skip: bytes of element @idx before the window (first run only)
 * @left: bytes still to produce
 * @len: total bytes of the range, fixed
 *
 * Initialise with one of the dbr_seg_iter_init_*() helpers. Builders take it
 * const and iterate a private copy, so one iterator serves count and build.
 */
struct dbr_seg_iter {
	enum dbr_seg_kind	kind;
	union {
		const struct dbr_run	*runs;
		const struct dbr_seg	*segs;
		void			*cur;
	};
	dbr_seg_next_fn		next_fn;
	unsigned int		idx;
	unsigned int		nr;
	u64			skip;
	u64			left;
	u64			len;
};

int dbr_seg_iter_init_runs(struct dbr_seg_iter *it, const struct dbr_run *runs,
			   unsigned int nr, u64 off, u64 len);
int dbr_seg_iter_sub(struct dbr_seg_iter *it, const struct dbr_seg_iter *base,
		     u64 skip, u64 len);
void dbr_seg_iter_init_segs(struct dbr_seg_iter *it, const struct dbr_seg *segs,
			    unsigned int nr);
void dbr_seg_iter_init_fn(struct dbr_seg_iter *it, dbr_seg_next_fn fn,
			  void *cur, unsigned int nr, u64 len);

static inline bool __dbr_seg_iter_fetch(struct dbr_seg_iter *it,
					dbr_dma_addr_t *addr, u64 *len)
{
	switch (it->kind) {
	case DBR_SEG_RUNS:
		*addr = it->runs[it->idx].dma;
		*len = it->runs[it->idx].len;
		return true;
	case DBR_SEG_ARRAY:
		*addr = it->segs[it->idx].addr;
		*len = it->segs[it->idx].len;
		return true;
	default:
		return it->next_fn(it, addr, len);
	}
}

/**
 * dbr_seg_iter_next() - produce the next non-empty piece of the range
 * @it: iterator
 * @addr: bus address of the piece
 * @len: its length, never 0
 *
 * Pieces are returned as the source holds them; merging DMA-contiguous
 * neighbours is the builders' job.
 *
 * Return: false once @it->len bytes were produced or the source ran dry.
 */
static inline bool dbr_seg_iter_next(struct dbr_seg_iter *it,
				     dbr_dma_addr_t *addr, u64 *len)
{
	dbr_dma_addr_t a;
	u64 l;

	while (it->left && it->idx < it->nr) {
		if (!__dbr_seg_iter_fetch(it, &a, &l))
			return false;
		it->idx++;
		/* init guarantees skip < length of the first run */
		a += it->skip;
		l = dbr_min_u64(l - it->skip, it->left);
		it->skip = 0;
		if (!l)
			continue;
		it->left -= l;
		*addr = a;
		*len = l;
		return true;
	}
	return false;
}

/* ---- Descriptor list pages ---------------------------------------------- */

/**
 * struct dbr_desc_cfg - how and within what budget list pages are obtained
 * @alloc: get a block of at least @bytes, CPU-writable and device-readable
 *	(e.g. dma_pool_alloc(GFP_ATOMIC)); 0 or -errno. @bytes never exceeds
 *	@list_size (SGL) or @page_size (PRP), so a driver may serve small
 *	requests from a small pool. PRP blocks must not cross a @page_size
 *	boundary (full ones: @page_size aligned); all blocks 8-byte aligned.
 * @free: give back a block; gets the same @bytes that @alloc got
 * @priv: passed to @alloc and @free
 * @page_size: controller memory page size (CC.MPS), power of two
 * @list_size: bytes of an SGL list page, multiple of 16, at least 32
 * @max_pages: list pages one command may use, 0..DBR_DESC_PAGES_MAX
 *
 * Validate once with dbr_desc_cfg_check(); builders trust it.
 */
struct dbr_desc_cfg {
	int	(*alloc)(void *priv, u32 bytes, void **cpu, dbr_dma_addr_t *dma);
	void	(*free)(void *priv, u32 bytes, void *cpu, dbr_dma_addr_t dma);
	void	*priv;
	u32	page_size;
	u32	list_size;
	unsigned int max_pages;
};

/**
 * struct dbr_desc_pages - list pages owned by one command
 * @nr: valid entries
 * @bytes: size asked of @alloc, also the bytes the device will read
 * @cpu: CPU addresses
 * @dma: bus addresses
 *
 * Filled by the builders, emptied by dbr_desc_release(). Embed it in the
 * request PDU.
 */
struct dbr_desc_pages {
	unsigned int	nr;
	u32		bytes[DBR_DESC_PAGES_MAX];
	void		*cpu[DBR_DESC_PAGES_MAX];
	dbr_dma_addr_t	dma[DBR_DESC_PAGES_MAX];
};

static inline void dbr_desc_pages_init(struct dbr_desc_pages *pages)
{
	pages->nr = 0;
}

int dbr_desc_cfg_check(const struct dbr_desc_cfg *cfg);
void dbr_desc_release(const struct dbr_desc_cfg *cfg,
		      struct dbr_desc_pages *pages);

/* ---- SGL and PRP -------------------------------------------------------- */

int dbr_sgl_count(const struct dbr_seg_iter *it);
int dbr_sgl_build(const struct dbr_seg_iter *it, const struct dbr_desc_cfg *cfg,
		  union dbr_dptr *dptr, struct dbr_desc_pages *pages);

int dbr_prp_check(const struct dbr_seg_iter *it, u32 page_size);
int dbr_prp_build(const struct dbr_seg_iter *it, const struct dbr_desc_cfg *cfg,
		  union dbr_dptr *dptr, struct dbr_desc_pages *pages);

/* ---- Command sizing (host only: unit tests and benchmarks) -------------- */

#ifndef __KERNEL__
int dbr_sgl_count_lists(const struct dbr_seg_iter *it, u32 list_size);
unsigned int dbr_sgl_max_descs(u32 list_size, unsigned int max_pages);
int dbr_prp_count_lists(const struct dbr_seg_iter *it, u32 page_size);
unsigned int dbr_prp_max_entries(u32 page_size, unsigned int max_pages);

/**
 * struct dbr_split_limits - what one command may carry
 * @max_bytes: MDTS in bytes, 0 for no limit
 * @block_size: logical block size, power of two; commands end on a block
 * @prp_page_size: 0 for SGL commands, else the controller page size and the
 *	command uses PRPs
 * @max_descs: SGL Data Blocks (SGL) or PRP entries (PRP) per command, 0 for
 *	no limit; see dbr_sgl_max_descs() and dbr_prp_max_entries()
 */
struct dbr_split_limits {
	u64		max_bytes;
	u32		block_size;
	u32		prp_page_size;
	unsigned int	max_descs;
};

int dbr_split_len(const struct dbr_seg_iter *it,
		  const struct dbr_split_limits *lim, u64 *len);
#endif /* !__KERNEL__ */

/**
 * dbr_use_sgl() - SGL or PRP for an ordinary block request
 * @sgl_supported: controller reports SGL support for this queue (I/O queues
 *	only: admin commands must use PRPs)
 * @bytes: payload bytes
 * @nr_segs: mapped segments
 * @threshold: minimum average segment size for SGLs; 0 disables SGLs
 *
 * Mirrors nvme-pci's nvme_pci_use_sgls(): few large segments favour SGLs,
 * many small ones PRPs. Token I/O should always use SGLs when supported.
 *
 * Return: true to build SGLs.
 */
static inline bool dbr_use_sgl(bool sgl_supported, u64 bytes,
			       unsigned int nr_segs, u32 threshold)
{
	if (!sgl_supported || !threshold || !nr_segs)
		return false;
	return div_u64(bytes + nr_segs - 1, nr_segs) >= threshold;
}

#endif /* DBR_SGL_H */
