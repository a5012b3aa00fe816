// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Run arithmetic, the segment iterator, command sizing and the SGL/PRP
 * decision: everything but the descriptor writers.
 */
#include "test_helpers.h"

#define KB	1024ULL
#define MB	(1024 * KB)
#define GB	(1024 * MB)

static struct pieces got, want;

static void collect(struct pieces *p, const struct dbr_seg_iter *src)
{
	struct dbr_seg_iter it = *src;
	dbr_dma_addr_t a;
	u64 l;

	p->n = 0;
	while (dbr_seg_iter_next(&it, &a, &l)) {
		CHECK(l > 0);
		pieces_push(p, a, l);
	}
}

static void test_coalesce(void)
{
	struct dbr_run r[] = {
		{ .off = 0,	.dma = 0x10000, .len = 4096 },
		{ .off = 4096,	.dma = 0x11000, .len = 4096 },	/* merges */
		{ .off = 8192,	.dma = 0x12000, .len = 0 },	/* dropped */
		{ .off = 8192,	.dma = 0x12000, .len = 8192 },	/* merges */
		{ .off = 16384,	.dma = 0x20000, .len = 4096 },	/* DMA gap */
		{ .off = 20480,	.dma = 0x21000, .len = 100 },	/* merges */
		{ .off = 20580,	.dma = 0x21064, .len = 28 },	/* merges */
		{ .off = 20608,	.dma = 0x10000, .len = 4096 },	/* backwards */
	};
	/* DMA-contiguous but not offset-contiguous: must stay apart */
	struct dbr_run s[] = {
		{ .off = 0,	.dma = 0x1000, .len = 4096 },
		{ .off = 8192,	.dma = 0x2000, .len = 4096 },
	};
	struct dbr_run one = { .off = 0, .dma = 0, .len = 0 };

	CHECK_RET(dbr_runs_coalesce(r, 8), 3);
	CHECK_EQ(r[0].off, 0);
	CHECK_EQ(r[0].dma, 0x10000);
	CHECK_EQ(r[0].len, 16384);
	CHECK_EQ(r[1].off, 16384);
	CHECK_EQ(r[1].dma, 0x20000);
	CHECK_EQ(r[1].len, 4096 + 128);
	CHECK_EQ(r[2].off, 20608);
	CHECK_EQ(r[2].dma, 0x10000);
	CHECK_EQ(r[2].len, 4096);
	CHECK_RET(dbr_runs_check(r, 3), 0);

	CHECK_RET(dbr_runs_coalesce(s, 2), 2);
	CHECK_EQ(s[1].off, 8192);
	CHECK_RET(dbr_runs_coalesce(&one, 1), 0);
	CHECK_RET(dbr_runs_coalesce(NULL, 0), 0);
}

static void test_find(void)
{
	struct dbr_run r[5];
	unsigned int i;

	/* uneven lengths so a wrong midpoint cannot pass by symmetry */
	static const u64 lens[] = { 4096, 100, 1, 65536, 4096 };
	u64 off = 1000;

	for (i = 0; i < 5; i++) {
		r[i] = (struct dbr_run){ .off = off, .dma = 0x100000 * (i + 1),
					 .len = lens[i] };
		off += lens[i];
	}
	CHECK_RET(dbr_runs_check(r, 5), 0);
	CHECK_RET(dbr_runs_find(r, 5, 0), 5);		/* before the first */
	CHECK_RET(dbr_runs_find(r, 5, 999), 5);
	CHECK_RET(dbr_runs_find(r, 5, 1000), 0);
	CHECK_RET(dbr_runs_find(r, 5, 5095), 0);
	CHECK_RET(dbr_runs_find(r, 5, 5096), 1);
	CHECK_RET(dbr_runs_find(r, 5, 5195), 1);
	CHECK_RET(dbr_runs_find(r, 5, 5196), 2);	/* 1-byte run */
	CHECK_RET(dbr_runs_find(r, 5, 5197), 3);
	CHECK_RET(dbr_runs_find(r, 5, 5197 + 65535), 3);
	CHECK_RET(dbr_runs_find(r, 5, 5197 + 65536), 4);
	CHECK_RET(dbr_runs_find(r, 5, off - 1), 4);
	CHECK_RET(dbr_runs_find(r, 5, off), 5);		/* end is outside */
	CHECK_RET(dbr_runs_find(r, 5, U64_MAX), 5);
	CHECK_RET(dbr_runs_find(r, 0, 1000), 0);
	CHECK_RET(dbr_runs_find(r, 1, 1000), 0);

	/* exhaustive against a linear scan */
	for (off = 990; off < r[4].off + r[4].len + 10; off += 7) {
		unsigned int lin = 5;

		for (i = 0; i < 5; i++)
			if (off >= r[i].off && off < r[i].off + r[i].len)
				lin = i;
		CHECK_RET(dbr_runs_find(r, 5, off), lin);
	}
}

static void test_runs_check(void)
{
	struct dbr_run r[3];

	make_runs(r, 3, 0x1000, 4096, 4096);
	CHECK_RET(dbr_runs_check(r, 3), 0);
	CHECK_RET(dbr_runs_check(r, 0), -EINVAL);
	r[1].len = 0;
	CHECK_RET(dbr_runs_check(r, 3), -EINVAL);
	make_runs(r, 3, 0x1000, 4096, 4096);
	r[2].off++;					/* hole */
	CHECK_RET(dbr_runs_check(r, 3), -EINVAL);
	make_runs(r, 3, 0x1000, 4096, 4096);
	r[2].off--;					/* overlap */
	CHECK_RET(dbr_runs_check(r, 3), -EINVAL);
	make_runs(r, 3, 0x1000, 4096, 4096);
	r[2].dma = U64_MAX - 100;			/* address wraps */
	CHECK_RET(dbr_runs_check(r, 3), -EINVAL);
	make_runs(r, 1, 0, 4096, 0);
	r[0].off = U64_MAX - 10;			/* offset wraps */
	CHECK_RET(dbr_runs_check(r, 1), -EINVAL);
}

/* Window from inside run 3 to inside run 7, like a request mid-token. */
static void test_iter_window(void)
{
	struct dbr_run r[10];
	struct dbr_seg_iter it;
	u64 off, len;

	make_runs(r, 10, 0x40000000, 64 * KB, 4096);
	off = 3 * 64 * KB + 512;
	len = 7 * 64 * KB + 1000 - off;
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, off, len), 0);
	CHECK_EQ(it.len, len);
	collect(&got, &it);
	CHECK_EQ(got.n, 5);
	CHECK_EQ(got.addr[0], r[3].dma + 512);
	CHECK_EQ(got.len[0], 64 * KB - 512);
	CHECK_EQ(got.addr[1], r[4].dma);
	CHECK_EQ(got.len[1], 64 * KB);
	CHECK_EQ(got.addr[4], r[7].dma);
	CHECK_EQ(got.len[4], 1000);
	ref_window(&want, r, 10, off, len);
	CHECK(pieces_equal(&got, &want));

	/* inside one run */
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, 100, 200), 0);
	collect(&got, &it);
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.addr[0], r[0].dma + 100);
	CHECK_EQ(got.len[0], 200);

	/* whole token, last byte */
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, 0, 640 * KB), 0);
	collect(&got, &it);
	CHECK_EQ(got.n, 10);
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, 640 * KB - 1, 1), 0);
	collect(&got, &it);
	CHECK_EQ(got.n, 1);
	CHECK_EQ(got.addr[0], r[9].dma + 64 * KB - 1);

	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, 0, 0), -EINVAL);
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, 0, 640 * KB + 1), -ERANGE);
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, 640 * KB, 1), -ERANGE);
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 10, 4096, U64_MAX), -ERANGE);
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 0, 0, 1), -ERANGE);
}

/* Windows of a chunk's iterator: same pieces as a fresh search. */
static void test_iter_sub(void)
{
	struct dbr_run r[10];
	struct dbr_seg_iter base, it, ref;
	struct dbr_seg seg = { 0x1000, 4096 };
	static const u64 cases[][2] = {
		{ 0, 4096 },			/* start of the first run */
		{ 100, 200 },			/* inside the first run */
		{ 64 * KB - 512 - 1, 1 },	/* its last byte */
		{ 64 * KB - 512, 4096 },	/* exactly the next run */
		{ 64 * KB - 1024, 8192 },	/* across a boundary */
		{ 4 * 64 * KB + 7, 64 * KB },	/* several runs later */
		{ 0, 6 * 64 * KB - 512 },	/* the whole base */
		{ 6 * 64 * KB - 512 - 1, 1 },	/* its last byte */
	};
	u64 off = 2 * 64 * KB + 512, blen = 6 * 64 * KB - 512;
	unsigned int i;

	make_runs(r, 10, 0x40000000, 64 * KB, 4096);
	CHECK_RET(dbr_seg_iter_init_runs(&base, r, 10, off, blen), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_RET(dbr_seg_iter_sub(&it, &base, cases[i][0], cases[i][1]), 0);
		CHECK_RET(dbr_seg_iter_init_runs(&ref, r, 10, off + cases[i][0],
						 cases[i][1]), 0);
		CHECK_EQ(it.idx, ref.idx);
		CHECK_EQ(it.skip, ref.skip);
		collect(&got, &it);
		collect(&want, &ref);
		CHECK(pieces_equal(&got, &want));
	}
	/* outside the base, even where the token has bytes */
	CHECK_RET(dbr_seg_iter_sub(&it, &base, 0, blen + 1), -ERANGE);
	CHECK_RET(dbr_seg_iter_sub(&it, &base, blen, 1), -ERANGE);
	CHECK_RET(dbr_seg_iter_sub(&it, &base, U64_MAX, 1), -ERANGE);
	CHECK_RET(dbr_seg_iter_sub(&it, &base, 1, U64_MAX), -ERANGE);
	CHECK_RET(dbr_seg_iter_sub(&it, &base, 0, 0), -EINVAL);
	dbr_seg_iter_init_segs(&ref, &seg, 1);
	CHECK_RET(dbr_seg_iter_sub(&it, &ref, 0, 1), -EINVAL);
}

/* A linked list stands in for a scatterlist the pure code cannot see. */
struct node {
	dbr_dma_addr_t	addr;
	u64		len;
	struct node	*next;
};

static bool node_next(struct dbr_seg_iter *it, dbr_dma_addr_t *addr, u64 *len)
{
	struct node *n = it->cur;

	CHECK(n);
	*addr = n->addr;
	*len = n->len;
	it->cur = n->next;
	return true;
}

static void test_iter_segs_fn(void)
{
	struct dbr_seg segs[] = {
		{ 0x1000, 4096 }, { 0x9000, 0 }, { 0x2000, 100 }, { 0x5000, 8 },
	};
	struct node n3 = { 0x300000, 4096, NULL };
	struct node n2 = { 0x200000, 0, &n3 };
	struct node n1 = { 0x100000, 512, &n2 };
	struct dbr_seg_iter it, copy;

	dbr_seg_iter_init_segs(&it, segs, 4);
	CHECK_EQ(it.len, 4096 + 100 + 8);
	collect(&got, &it);
	CHECK_EQ(got.n, 3);		/* the empty segment is skipped */
	CHECK_EQ(got.addr[1], 0x2000);
	CHECK_EQ(got.len[2], 8);

	dbr_seg_iter_init_fn(&it, node_next, &n1, 3, 512 + 4096);
	copy = it;
	collect(&got, &it);
	CHECK_EQ(got.n, 2);
	CHECK_EQ(got.addr[1], 0x300000);
	/* iterating a copy left the original at the start */
	CHECK(copy.cur == &n1 && copy.idx == 0);
	CHECK_RET(dbr_sgl_count(&it), 2);
	CHECK_RET(dbr_sgl_count(&it), 2);

	/* declared longer than the source: a bug the builders refuse */
	dbr_seg_iter_init_fn(&it, node_next, &n1, 3, 512 + 4096 + 1);
	CHECK_RET(dbr_sgl_count(&it), -EINVAL);
	CHECK_RET(dbr_prp_check(&it, 4096), -EINVAL);
	/* declared shorter: truncated, like a window */
	dbr_seg_iter_init_fn(&it, node_next, &n1, 3, 600);
	collect(&got, &it);
	CHECK_EQ(got.n, 2);
	CHECK_EQ(got.len[1], 88);
	/* nothing at all */
	dbr_seg_iter_init_segs(&it, segs, 0);
	CHECK_RET(dbr_sgl_count(&it), -EINVAL);
	CHECK_RET(dbr_prp_check(&it, 4096), -EINVAL);
}

static void test_split(void)
{
	struct dbr_split_limits lim = { .block_size = 512 };
	struct dbr_run r[8];
	struct dbr_seg_iter it;
	u64 len;

	make_runs(r, 8, 0x80000000, 128 * KB, 4096);
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 8, 0, 1 * MB), 0);

	/* no limits: everything */
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 1 * MB);

	/* MDTS exactly the window, one below, one block, below a block */
	lim.max_bytes = 1 * MB;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 1 * MB);
	lim.max_bytes = 1 * MB - 1;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 1 * MB - 512);
	lim.max_bytes = 512;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 512);
	lim.max_bytes = 511;
	CHECK_RET(dbr_split_len(&it, &lim, &len), -EINVAL);

	/* descriptor budget: ends on a run boundary */
	lim.max_bytes = 0;
	lim.max_descs = 3;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 3 * 128 * KB);
	lim.max_descs = 8;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 1 * MB);
	lim.max_descs = 9;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 1 * MB);
	/* both limits: the smaller wins */
	lim.max_descs = 3;
	lim.max_bytes = 256 * KB + 4096;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 256 * KB + 4096);

	/* window starting mid-run, 1000 bytes short of a block multiple */
	lim = (struct dbr_split_limits){ .block_size = 4096, .max_descs = 2 };
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 8, 1000, 300 * KB), 0);
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	/* 2 descs cover 256 KiB - 1000 bytes: round down to a block */
	CHECK_EQ(len, 256 * KB - 4096);
	lim.max_descs = 1;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 124 * KB);

	/* a first piece smaller than a block with one descriptor: stuck */
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 8, 128 * KB - 100, 8192), 0);
	CHECK_RET(dbr_split_len(&it, &lim, &len), -EINVAL);
	lim.max_descs = 2;
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 8192);

	/* PRP: entries are pages, the first one shortened by the offset */
	lim = (struct dbr_split_limits){ .block_size = 512,
					 .prp_page_size = 4096,
					 .max_descs = 4 };
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 8, 0, 1 * MB), 0);
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 16 * KB);
	CHECK_RET(dbr_seg_iter_init_runs(&it, r, 8, 512, 1 * MB - 512), 0);
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 16 * KB - 512);
	lim.max_descs = dbr_prp_max_entries(4096, 0);
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 8 * KB - 512);
	lim.max_descs = dbr_prp_max_entries(4096, 1);
	CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
	CHECK_EQ(len, 1 * MB - 512);	/* 513 entries cover more */

	/* bad limits */
	lim.block_size = 0;
	CHECK_RET(dbr_split_len(&it, &lim, &len), -EINVAL);
	lim.block_size = 520;
	CHECK_RET(dbr_split_len(&it, &lim, &len), -EINVAL);
	lim.block_size = 512;
	lim.prp_page_size = 3000;
	CHECK_RET(dbr_split_len(&it, &lim, &len), -EINVAL);
}

/* Splitting a long window repeatedly covers it exactly, within the limits. */
static void test_split_walk(void)
{
	struct dbr_split_limits lim = { .max_bytes = 96 * KB,
					.block_size = 4096, .max_descs = 5 };
	struct dbr_run r[64];
	struct dbr_seg_iter it;
	u64 off = 4096, end = 63 * 12 * KB, len;
	unsigned int cmds = 0;

	make_runs(r, 64, 0x100000000ULL, 12 * KB, 8192);
	while (off < end) {
		CHECK_RET(dbr_seg_iter_init_runs(&it, r, 64, off, end - off), 0);
		CHECK_RET(dbr_split_len(&it, &lim, &len), 0);
		CHECK(len <= 96 * KB && len % 4096 == 0);
		/* first: 8 KiB left of run 0 + 4 runs; then 5 whole runs */
		if (cmds == 0)
			CHECK_EQ(len, 56 * KB);
		else if (off + len < end)
			CHECK_EQ(len, 60 * KB);
		CHECK_RET(dbr_seg_iter_init_runs(&it, r, 64, off, len), 0);
		CHECK(dbr_sgl_count(&it) <= 5);
		off += len;
		cmds++;
	}
	CHECK_EQ(off, end);
	CHECK_EQ(cmds, 1 + 12);		/* 696 KiB after the first = 11 * 60 + 36 */
}

static void test_max_helpers(void)
{
	CHECK_EQ(dbr_sgl_max_descs(4096, 0), 1);
	CHECK_EQ(dbr_sgl_max_descs(4096, 1), 256);
	CHECK_EQ(dbr_sgl_max_descs(4096, 2), 511);
	CHECK_EQ(dbr_sgl_max_descs(4096, 3), 766);
	CHECK_EQ(dbr_sgl_max_descs(256, 1), 16);
	CHECK_EQ(dbr_sgl_max_descs(4096, 100), 8 * 255 + 1);	/* clamped */
	CHECK_EQ(dbr_prp_max_entries(4096, 0), 2);
	CHECK_EQ(dbr_prp_max_entries(4096, 1), 513);
	CHECK_EQ(dbr_prp_max_entries(4096, 2), 1024);
	CHECK_EQ(dbr_prp_max_entries(65536, 1), 8193);
}

static void test_use_sgl(void)
{
	CHECK(!dbr_use_sgl(false, 1 * MB, 1, 32 * KB));
	CHECK(!dbr_use_sgl(true, 1 * MB, 1, 0));
	CHECK(!dbr_use_sgl(true, 1 * MB, 0, 32 * KB));
	CHECK(dbr_use_sgl(true, 1 * MB, 1, 32 * KB));
	CHECK(dbr_use_sgl(true, 64 * KB, 2, 32 * KB));		/* avg == threshold */
	CHECK(!dbr_use_sgl(true, 64 * KB - 2, 2, 32 * KB));	/* avg just below */
	CHECK(dbr_use_sgl(true, 64 * KB - 1, 2, 32 * KB));	/* rounds up */
	CHECK(!dbr_use_sgl(true, 1 * MB, 256, 32 * KB));
	CHECK(dbr_use_sgl(true, 16 * GB, 3, 1));
}

static int nop_alloc(void *priv, u32 bytes, void **cpu, dbr_dma_addr_t *dma)
{
	(void)priv, (void)bytes, (void)cpu, (void)dma;
	return -ENOMEM;
}

static void nop_free(void *priv, u32 bytes, void *cpu, dbr_dma_addr_t dma)
{
	(void)priv, (void)bytes, (void)cpu, (void)dma;
}

static void test_cfg_check(void)
{
	struct dbr_desc_cfg ok = { .alloc = nop_alloc, .free = nop_free,
				   .page_size = 4096, .list_size = 4096,
				   .max_pages = DBR_DESC_PAGES_MAX };
	struct dbr_desc_cfg c;
	struct dbr_desc_pages pages;

	CHECK_RET(dbr_desc_cfg_check(&ok), 0);
	c = ok, c.max_pages = 0;
	CHECK_RET(dbr_desc_cfg_check(&c), 0);
	c = ok, c.list_size = 32;
	CHECK_RET(dbr_desc_cfg_check(&c), 0);
	c = ok, c.alloc = NULL;
	CHECK_RET(dbr_desc_cfg_check(&c), -EINVAL);
	c = ok, c.free = NULL;
	CHECK_RET(dbr_desc_cfg_check(&c), -EINVAL);
	c = ok, c.page_size = 4095;
	CHECK_RET(dbr_desc_cfg_check(&c), -EINVAL);
	c = ok, c.page_size = 0;
	CHECK_RET(dbr_desc_cfg_check(&c), -EINVAL);
	c = ok, c.list_size = 16;
	CHECK_RET(dbr_desc_cfg_check(&c), -EINVAL);
	c = ok, c.list_size = 4008;
	CHECK_RET(dbr_desc_cfg_check(&c), -EINVAL);
	c = ok, c.max_pages = DBR_DESC_PAGES_MAX + 1;
	CHECK_RET(dbr_desc_cfg_check(&c), -EINVAL);

	/* releasing an empty set is a no-op, twice */
	dbr_desc_pages_init(&pages);
	dbr_desc_release(&ok, &pages);
	dbr_desc_release(&ok, &pages);
	CHECK_EQ(pages.nr, 0);
}

int main(void)
{
	RUN(test_coalesce);
	RUN(test_find);
	RUN(test_runs_check);
	RUN(test_iter_window);
	RUN(test_iter_sub);
	RUN(test_iter_segs_fn);
	RUN(test_split);
	RUN(test_split_walk);
	RUN(test_max_helpers);
	RUN(test_use_sgl);
	RUN(test_cfg_check);
	return 0;
}
