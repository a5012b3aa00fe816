// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * SGL builder: descriptors are decoded back like a strict controller would
 * and compared with an independent expansion of the input.
 */
#include "test_helpers.h"

#define KB	1024ULL
#define GB	(1024ULL * 1024 * 1024)
#define RUNS_MAX 2048

static struct dbr_run runs[RUNS_MAX];
static struct pieces got, want;
static struct fake_pool pool;

/* Pages for @n descriptors, by simulation rather than by formula. */
static unsigned int sim_pages(unsigned int n, unsigned int per)
{
	unsigned int pages = 0;

	if (n == 1)
		return 0;
	while (n > per) {
		pages++;
		n -= per - 1;
	}
	return pages + 1;
}

/*
 * Build, decode, compare with @want (normalized here), check descriptor and
 * page counts and that the device reads exactly the allocated list bytes;
 * then release and check nothing leaked.
 */
static void build_verify(const struct dbr_seg_iter *it,
			 const struct dbr_desc_cfg *cfg, unsigned int descs,
			 unsigned int npages, union dbr_dptr *out)
{
	struct dbr_desc_pages pages;
	union dbr_dptr dptr;
	unsigned int got_descs;
	u64 list_bytes;

	memset(&pages, 0xff, sizeof(pages));	/* builder must initialise */
	fake_pool_init(&pool);
	CHECK_RET(dbr_sgl_count(it), descs);
	CHECK_RET(dbr_sgl_count_lists(it, cfg->list_size), npages);
	CHECK_RET(dbr_sgl_build(it, cfg, &dptr, &pages), 0);
	CHECK_EQ(pages.nr, npages);
	CHECK_EQ(pool.live, npages);
	CHECK(decode_sgl(&pool, &dptr, &got, &got_descs, &list_bytes));
	CHECK_EQ(got_descs, descs);
	CHECK_EQ(list_bytes, fake_live_bytes(&pool));
	pieces_normalize(&got);
	pieces_normalize(&want);
	CHECK(pieces_equal(&got, &want));
	if (out)
		*out = dptr;
	dbr_desc_release(cfg, &pages);
	CHECK_EQ(pages.nr, 0);
	CHECK_EQ(pool.live, 0);
}

static void verify_runs(unsigned int nr, u64 off, u64 len,
			const struct dbr_desc_cfg *cfg, unsigned int descs,
			unsigned int npages, union dbr_dptr *out)
{
	struct dbr_seg_iter it;

	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, nr, off, len), 0);
	ref_window(&want, runs, nr, off, len);
	build_verify(&it, cfg, descs, npages, out);
}

static void test_single_inline(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	static const u8 want_bytes[16] = {
		0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0x00, 0x00,	/* addr */
		0x00, 0x30, 0x00, 0x00,				/* len */
		0, 0, 0, 0x00,					/* Data Block */
	};
	union dbr_dptr dptr;

	make_runs(runs, 1, 0x9a7856341200ULL, 64 * KB, 0);
	verify_runs(1, 0, 12 * KB, &cfg, 1, 0, &dptr);
	CHECK_EQ(pool.calls, 0);
	CHECK(!memcmp(&dptr, want_bytes, 16));
}

static void test_two_runs(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	const u8 *list;
	union dbr_dptr dptr;
	static const u8 want_list[32] = {
		0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x0e, 0x00, 0x00, 0, 0, 0, 0x00,
		0x00, 0x00, 0x00, 0x20, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x02, 0x00, 0x00, 0, 0, 0, 0x00,
	};

	make_runs(runs, 2, 0x100000000ULL, 4 * KB, 0x1ffff000ULL);
	verify_runs(2, 0x200, 4 * KB, &cfg, 2, 1, &dptr);
	CHECK_EQ(pool.bytes_seen[0], 32);
	/* DPTR: Last Segment, 2 descriptors, pointing at the list */
	CHECK_EQ(le64_to_cpu(dptr.sgl.addr), FAKE_DMA_BASE);
	CHECK_EQ(le32_to_cpu(dptr.sgl.length), 32);
	CHECK_EQ(dptr.sgl.type, 0x30);

	/* byte-exact list content, read before release */
	fake_pool_init(&pool);
	CHECK_RET(dbr_sgl_build(&(struct dbr_seg_iter){ 0 }, &cfg, &dptr, &pages),
		  -EINVAL);
	{
		struct dbr_seg_iter it;

		CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 2, 0x200, 4 * KB), 0);
		CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), 0);
	}
	list = pool.blk[0].cpu;
	CHECK(!memcmp(list, want_list, 32));
	dbr_desc_release(&cfg, &pages);
	CHECK_EQ(pool.live, 0);
}

/* Builders merge DMA-contiguous input even if nobody coalesced it. */
static void test_merge(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_seg segs[6] = {
		{ 0x10000, 4096 }, { 0x11000, 4096 }, { 0x12000, 0 },
		{ 0x12000, 100 }, { 0x12064, 3996 }, { 0x20000, 512 },
	};
	struct dbr_seg_iter it;

	make_runs(runs, 16, 0x40000000, 4 * KB, 0);	/* all contiguous */
	verify_runs(16, 100, 16 * 4 * KB - 200, &cfg, 1, 0, NULL);

	dbr_seg_iter_init_segs(&it, segs, 6);
	want.n = 0;
	pieces_push(&want, 0x10000, 3 * 4096);
	pieces_push(&want, 0x20000, 512);
	build_verify(&it, &cfg, 2, 1, NULL);
}

/* A request that starts inside run 3 and ends inside run 7. */
static void test_window_mid(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	u64 off = 3 * 64 * KB + 4096 + 512, end = 7 * 64 * KB + 8192;

	make_runs(runs, 10, 0x200000000ULL, 64 * KB, 64 * KB);
	verify_runs(10, off, end - off, &cfg, 5, 1, NULL);
	CHECK_EQ(got.addr[0], runs[3].dma + 4096 + 512);
	CHECK_EQ(got.len[4], 8192);
	CHECK_EQ(pool.bytes_seen[0], 5 * 16);
}

static u8 desc_type(const struct dbr_sgl_desc *d)
{
	return d->type;
}

/* 256 fit a 4 KiB page; 257 chain; 511, 512, 513 straddle 2 and 3 pages. */
static void test_page_boundaries(void)
{
	static const struct { unsigned int n, pages; } cases[] = {
		{ 255, 1 }, { 256, 1 }, { 257, 2 }, { 510, 2 }, { 511, 2 },
		{ 512, 3 }, { 513, 3 }, { 766, 3 }, { 767, 4 },
	};
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	unsigned int i;

	make_runs(runs, 1024, 0x300000000ULL, 4 * KB, 4 * KB);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int n = cases[i].n;

		CHECK_EQ(sim_pages(n, 256), cases[i].pages);
		verify_runs(n, 0, n * 4 * KB, &cfg, n, cases[i].pages, NULL);
	}
}

/* Link descriptors: types and lengths, checked on the raw pages. */
static void test_chain_links(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	const struct dbr_sgl_desc *p0, *p1;
	struct dbr_seg_iter it;
	union dbr_dptr dptr;

	make_runs(runs, 513, 0x300000000ULL, 4 * KB, 4 * KB);

	fake_pool_init(&pool);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 257, 0, 257 * 4 * KB), 0);
	CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), 0);
	CHECK_EQ(desc_type(&dptr.sgl), 0x20);		/* Segment: chained */
	CHECK_EQ(le32_to_cpu(dptr.sgl.length), 4096);
	p0 = pool.blk[0].cpu;
	CHECK_EQ(desc_type(&p0[255]), 0x30);		/* next is last */
	CHECK_EQ(le64_to_cpu(p0[255].addr), pool.blk[1].dma);
	CHECK_EQ(le32_to_cpu(p0[255].length), 2 * 16);
	CHECK_EQ(le64_to_cpu(p0[254].addr), runs[254].dma);
	p1 = pool.blk[1].cpu;
	CHECK_EQ(le64_to_cpu(p1[0].addr), runs[255].dma);
	CHECK_EQ(le64_to_cpu(p1[1].addr), runs[256].dma);
	dbr_desc_release(&cfg, &pages);

	fake_pool_init(&pool);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 513, 0, 513 * 4 * KB), 0);
	CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), 0);
	CHECK_EQ(pages.nr, 3);
	CHECK_EQ(pool.bytes_seen[0], 4096);
	CHECK_EQ(pool.bytes_seen[1], 4096);
	CHECK_EQ(pool.bytes_seen[2], 3 * 16);
	CHECK_EQ(desc_type(&dptr.sgl), 0x20);
	p0 = pool.blk[0].cpu;
	p1 = pool.blk[1].cpu;
	CHECK_EQ(desc_type(&p0[255]), 0x20);
	CHECK_EQ(le32_to_cpu(p0[255].length), 4096);
	CHECK_EQ(desc_type(&p1[255]), 0x30);
	CHECK_EQ(le32_to_cpu(p1[255].length), 48);
	CHECK_EQ(le64_to_cpu(p1[255].addr), pool.blk[2].dma);
	dbr_desc_release(&cfg, &pages);
	CHECK_EQ(pool.live, 0);
}

static void test_max_pages(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 2);
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr;

	make_runs(runs, 512, 0x300000000ULL, 4 * KB, 4 * KB);
	verify_runs(511, 0, 511 * 4 * KB, &cfg, 511, 2, NULL);

	fake_pool_init(&pool);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 512, 0, 512 * 4 * KB), 0);
	CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), -E2BIG);
	CHECK_EQ(pool.calls, 0);
	CHECK_EQ(pages.nr, 0);

	/* no list pages at all: only an inline descriptor is possible */
	cfg = fake_cfg(&pool, 4096, 4096, 0);
	verify_runs(1, 0, 4096, &cfg, 1, 0, NULL);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 2, 0, 8192), 0);
	CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), -E2BIG);
	CHECK_EQ(pool.calls, 0);
}

/* -ENOMEM part way: what was allocated is reported and released. */
static void test_alloc_fail(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr, before;
	int at;

	make_runs(runs, 513, 0x300000000ULL, 4 * KB, 4 * KB);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 513, 0, 513 * 4 * KB), 0);
	memset(&before, 0x5a, sizeof(before));
	for (at = 0; at < 3; at++) {
		fake_pool_init(&pool);
		pool.fail_at = at;
		dptr = before;
		CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), -ENOMEM);
		CHECK_EQ(pages.nr, at);
		CHECK_EQ(pool.live, at);
		CHECK(!memcmp(&dptr, &before, sizeof(dptr)));
		dbr_desc_release(&cfg, &pages);
		CHECK_EQ(pool.live, 0);
		CHECK_EQ(pages.nr, 0);
		dbr_desc_release(&cfg, &pages);	/* idempotent */
	}
}

/* An allocator handing out non-qword-aligned blocks is caught. */
static void test_bad_block(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr;

	make_runs(runs, 3, 0x300000000ULL, 4 * KB, 4 * KB);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 3, 0, 3 * 4 * KB), 0);
	fake_pool_init(&pool);
	pool.misalign = 4;
	CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), -EFAULT);
	CHECK_EQ(pages.nr, 1);
	dbr_desc_release(&cfg, &pages);
	CHECK_EQ(pool.live, 0);

	/* qword aligned is enough for SGL lists */
	fake_pool_init(&pool);
	pool.misalign = 8;
	CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), 0);
	dbr_desc_release(&cfg, &pages);
}

/* Runs beyond the 32-bit length field are cut into 2 GiB Data Blocks. */
static void test_huge_run(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	union dbr_dptr dptr;

	runs[0] = (struct dbr_run){ .off = 0, .dma = 1ULL << 40, .len = 5 * GB };
	runs[1] = (struct dbr_run){ .off = 5 * GB, .dma = 1ULL << 41,
				    .len = 4096 };
	verify_runs(2, 0, 5 * GB + 4096, &cfg, 4, 1, NULL);
	CHECK_EQ(got.n, 2);
	verify_runs(1, 4096, 2 * GB, &cfg, 1, 0, &dptr);
	CHECK_EQ(le32_to_cpu(dptr.sgl.length), 0x80000000U);
	verify_runs(1, 4096, 2 * GB + 1, &cfg, 2, 1, NULL);
}

/* Tiny list pages make every chaining case cheap to enumerate. */
static void test_small_lists(void)
{
	static const u32 sizes[] = { 32, 48, 64, 256 };
	unsigned int s, n;

	make_runs(runs, 64, 0x500000000ULL, 4 * KB, 512);
	for (s = 0; s < 4; s++) {
		struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, sizes[s], 8);
		unsigned int per = sizes[s] / 16;

		for (n = 1; n <= 64; n++) {
			unsigned int np = sim_pages(n, per);
			struct dbr_desc_pages pages;
			struct dbr_seg_iter it;
			union dbr_dptr dptr;

			if (np <= 8) {
				verify_runs(n, 0, n * 4 * KB, &cfg, n, np, NULL);
				continue;
			}
			fake_pool_init(&pool);
			CHECK_RET(dbr_seg_iter_init_runs(&it, runs, n, 0,
							 n * 4 * KB), 0);
			CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), -E2BIG);
			CHECK_EQ(pool.calls, 0);
		}
	}
}

/* Random runs, gaps (some zero, so merging matters) and windows. */
static void test_fuzz(void)
{
	static const u32 sizes[] = { 32, 48, 64, 256, 4096 };
	u64 seed = 0x9e3779b97f4a7c15ULL;
	unsigned int iter;

	for (iter = 0; iter < 3000; iter++) {
		unsigned int nr = 1 + xorshift(&seed) % 300, i, descs, np;
		u32 list_size = sizes[xorshift(&seed) % 5];
		struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, list_size, 8);
		u64 dma = 0x1000000000ULL, total = 0, off, len;
		struct dbr_desc_pages pages;
		struct dbr_seg_iter it;
		union dbr_dptr dptr;

		for (i = 0; i < nr; i++) {
			u64 l = 1 + xorshift(&seed) % (3 * 4096);
			u64 gap = xorshift(&seed) % 4 ? xorshift(&seed) % 65536 : 0;

			if (xorshift(&seed) % 2)
				l = (l + 511) & ~511ULL;
			runs[i] = (struct dbr_run){ total, dma, l };
			total += l;
			dma += l + gap;
		}
		CHECK_RET(dbr_runs_check(runs, nr), 0);
		off = xorshift(&seed) % total;
		len = 1 + xorshift(&seed) % (total - off);
		CHECK_RET(dbr_seg_iter_init_runs(&it, runs, nr, off, len), 0);

		ref_window(&want, runs, nr, off, len);
		pieces_normalize(&want);
		descs = want.n;
		np = sim_pages(descs, list_size / 16);
		if (np <= 8) {
			build_verify(&it, &cfg, descs, np, NULL);
			continue;
		}
		fake_pool_init(&pool);
		CHECK_RET(dbr_sgl_build(&it, &cfg, &dptr, &pages), -E2BIG);
		CHECK_EQ(pool.calls, 0);
	}
}

int main(void)
{
	RUN(test_single_inline);
	RUN(test_two_runs);
	RUN(test_merge);
	RUN(test_window_mid);
	RUN(test_page_boundaries);
	RUN(test_chain_links);
	RUN(test_max_pages);
	RUN(test_alloc_fail);
	RUN(test_bad_block);
	RUN(test_huge_run);
	RUN(test_small_lists);
	RUN(test_fuzz);
	return 0;
}
