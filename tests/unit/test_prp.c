// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * PRP builder: entries are expanded back per the spec's list rules and
 * compared with an independent expansion of the input.
 */
#include "test_helpers.h"

#define KB	1024ULL
#define MB	(1024 * KB)
#define RUNS_MAX 2048

static struct dbr_run runs[RUNS_MAX];
static struct pieces got, want;
static struct fake_pool pool;

/* List pages for @m entries after PRP1, by simulation. */
static unsigned int sim_pages(u64 m, unsigned int per)
{
	unsigned int pages = 0;

	if (m <= 1)
		return 0;
	while (m > per) {
		pages++;
		m -= per - 1;
	}
	return pages + 1;
}

static void build_verify(const struct dbr_seg_iter *it,
			 const struct dbr_desc_cfg *cfg, unsigned int npages,
			 union dbr_dptr *out)
{
	struct dbr_desc_pages pages;
	union dbr_dptr dptr;
	u64 list_bytes;

	memset(&pages, 0xff, sizeof(pages));
	fake_pool_init(&pool);
	CHECK_RET(dbr_prp_check(it, cfg->page_size), 0);
	CHECK_RET(dbr_prp_count_lists(it, cfg->page_size), npages);
	CHECK_RET(dbr_prp_build(it, cfg, &dptr, &pages), 0);
	CHECK_EQ(pages.nr, npages);
	CHECK_EQ(pool.live, npages);
	CHECK(decode_prp(&pool, &dptr, it->len, cfg->page_size, &got,
			 &list_bytes));
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
			const struct dbr_desc_cfg *cfg, unsigned int npages,
			union dbr_dptr *out)
{
	struct dbr_seg_iter it;

	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, nr, off, len), 0);
	ref_window(&want, runs, nr, off, len);
	build_verify(&it, cfg, npages, out);
}

static void expect_fail(unsigned int nr, u64 off, u64 len,
			const struct dbr_desc_cfg *cfg, int err)
{
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr;

	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, nr, off, len), 0);
	fake_pool_init(&pool);
	if (err == -EINVAL) {
		CHECK_RET(dbr_prp_check(&it, cfg->page_size), -EINVAL);
		CHECK_RET(dbr_prp_count_lists(&it, cfg->page_size), -EINVAL);
	}
	CHECK_RET(dbr_prp_build(&it, cfg, &dptr, &pages), err);
	CHECK_EQ(pool.calls, 0);
	CHECK_EQ(pages.nr, 0);
}

static void test_one_page(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	static const u8 want_bytes[16] = {
		0x00, 0x08, 0x34, 0x12, 0x01, 0x00, 0x00, 0x00,	/* PRP1 */
		0, 0, 0, 0, 0, 0, 0, 0,				/* PRP2 */
	};
	union dbr_dptr dptr;

	make_runs(runs, 1, 0x112340000ULL, 64 * KB, 0);
	verify_runs(1, 0, 4096, &cfg, 0, &dptr);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp1), 0x112340000ULL);
	CHECK_EQ(dptr.prp.prp2, 0);
	verify_runs(1, 0x800, 512, &cfg, 0, &dptr);
	CHECK(!memcmp(&dptr, want_bytes, 16));
	verify_runs(1, 0x800, 0x800, &cfg, 0, &dptr);	/* to the page end */
	CHECK_EQ(dptr.prp.prp2, 0);
	CHECK_EQ(pool.calls, 0);
}

static void test_two_pages(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	union dbr_dptr dptr;

	make_runs(runs, 1, 0x112340000ULL, 64 * KB, 0);
	verify_runs(1, 0, 8192, &cfg, 0, &dptr);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp2), 0x112341000ULL);
	/* first page offset: 4 KiB from +0x200 still touches two pages */
	verify_runs(1, 0x200, 4096, &cfg, 0, &dptr);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp1), 0x112340200ULL);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp2), 0x112341000ULL);
	/* two separate runs */
	make_runs(runs, 2, 0x200000000ULL, 4 * KB, 1 * MB);
	verify_runs(2, 0, 8192, &cfg, 0, &dptr);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp2), runs[1].dma);
	CHECK_EQ(pool.calls, 0);
}

static void test_small_list(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	union dbr_dptr dptr;

	make_runs(runs, 3, 0x200000000ULL, 4 * KB, 1 * MB);
	verify_runs(3, 0x100, 3 * 4096 - 0x200, &cfg, 1, &dptr);
	CHECK_EQ(pool.bytes_seen[0], 16);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp1), runs[0].dma + 0x100);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp2), FAKE_DMA_BASE);
}

/* 513 entries: PRP1 and one exactly full list page; 514 chain. */
static void test_list_boundaries(void)
{
	static const struct { u64 m; unsigned int pages; u32 last; } cases[] = {
		{ 511, 1, 511 * 8 }, { 512, 1, 4096 }, { 513, 2, 2 * 8 },
		{ 1022, 2, 511 * 8 }, { 1023, 2, 4096 }, { 1024, 3, 2 * 8 },
	};
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	unsigned int i;

	make_runs(runs, 1, 0x400000000ULL, 8 * MB, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u64 len = (cases[i].m + 1) * 4096;

		CHECK_EQ(sim_pages(cases[i].m, 512), cases[i].pages);
		verify_runs(1, 0, len, &cfg, cases[i].pages, NULL);
		CHECK_EQ(pool.bytes_seen[cases[i].pages - 1], cases[i].last);
		/* the same entry count from an offset start */
		verify_runs(1, 0x200, len - 0x400, &cfg, cases[i].pages, NULL);
	}
}

/* The link entry sits in the last slot and points at the next page. */
static void test_chain_link(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr;
	const __le64 *e0, *e1;

	make_runs(runs, 1, 0x400000000ULL, 8 * MB, 0);
	fake_pool_init(&pool);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 1, 0, 514 * 4096), 0);
	CHECK_RET(dbr_prp_build(&it, &cfg, &dptr, &pages), 0);
	CHECK_EQ(pages.nr, 2);
	e0 = pool.blk[0].cpu;
	e1 = pool.blk[1].cpu;
	CHECK_EQ(le64_to_cpu(e0[0]), 0x400001000ULL);
	CHECK_EQ(le64_to_cpu(e0[510]), 0x400000000ULL + 511 * 4096);
	CHECK_EQ(le64_to_cpu(e0[511]), pool.blk[1].dma);
	CHECK_EQ(le64_to_cpu(e1[0]), 0x400000000ULL + 512 * 4096);
	CHECK_EQ(le64_to_cpu(e1[1]), 0x400000000ULL + 513 * 4096);
	dbr_desc_release(&cfg, &pages);
	CHECK_EQ(pool.live, 0);
}

/* 1 MiB in one run: 256 entries, none of them stored anywhere but the list. */
static void test_1mib_run(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr;
	const __le64 *e;
	unsigned int k;

	make_runs(runs, 1, 0x500000000ULL, 1 * MB, 0);
	verify_runs(1, 0, 1 * MB, &cfg, 1, NULL);
	CHECK_EQ(pool.bytes_seen[0], 255 * 8);
	CHECK_EQ(got.n, 1);

	fake_pool_init(&pool);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 1, 0, 1 * MB), 0);
	CHECK_RET(dbr_prp_build(&it, &cfg, &dptr, &pages), 0);
	CHECK_EQ(le64_to_cpu(dptr.prp.prp1), 0x500000000ULL);
	e = pool.blk[0].cpu;
	for (k = 0; k < 255; k++)
		CHECK_EQ(le64_to_cpu(e[k]), 0x500000000ULL + (k + 1) * 4096);
	dbr_desc_release(&cfg, &pages);

	/* unaligned start: one more page touched */
	make_runs(runs, 1, 0x500000000ULL, 2 * MB, 0);
	verify_runs(1, 0x200, 1 * MB, &cfg, 1, NULL);
	CHECK_EQ(pool.bytes_seen[0], 256 * 8);
}

static void test_not_expressible(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);

	/* middle run starting off a page boundary */
	make_runs(runs, 3, 0x600000000ULL, 4 * KB, 1 * MB);
	runs[1].dma += 0x200;
	expect_fail(3, 0, 3 * 4096, &cfg, -EINVAL);
	/* ... but fine as the only piece of a window */
	verify_runs(3, 4096, 4096, &cfg, 0, NULL);

	/* first run ending off a page boundary, another following */
	make_runs(runs, 2, 0x600000000ULL, 4 * KB - 512, 1 * MB);
	expect_fail(2, 0, 2 * 4096 - 1024, &cfg, -EINVAL);
	/* the last run may end anywhere */
	make_runs(runs, 2, 0x600000000ULL, 4 * KB, 1 * MB);
	verify_runs(2, 0, 4096 + 100, &cfg, 0, NULL);

	/* PRP1 must be dword aligned */
	make_runs(runs, 1, 0x600000002ULL, 4 * KB, 0);
	expect_fail(1, 0, 1024, &cfg, -EINVAL);
}

/* Contiguous segments split mid-page are merged first, so PRPs work. */
static void test_merge_segs(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_seg segs[] = {
		{ 0x700000000ULL, 1000 }, { 0x7000003e8ULL, 5000 },
		{ 0x700001770ULL, 2192 }, { 0x710000000ULL, 4096 },
		{ 0x710001000ULL, 0 }, { 0x720000000ULL, 300 },
	};
	struct dbr_seg_iter it;

	dbr_seg_iter_init_segs(&it, segs, 6);
	want.n = 0;
	pieces_push(&want, 0x700000000ULL, 8192);
	pieces_push(&want, 0x710000000ULL, 4096);
	pieces_push(&want, 0x720000000ULL, 300);
	build_verify(&it, &cfg, 1, NULL);

	segs[1].addr++;		/* now a real gap mid-page */
	dbr_seg_iter_init_segs(&it, segs, 6);
	CHECK_RET(dbr_prp_check(&it, 4096), -EINVAL);
}

static void test_max_pages(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 1);

	make_runs(runs, 1, 0x400000000ULL, 8 * MB, 0);
	verify_runs(1, 0, 513 * 4096, &cfg, 1, NULL);
	expect_fail(1, 0, 514 * 4096, &cfg, -E2BIG);
	cfg = fake_cfg(&pool, 4096, 4096, 0);
	verify_runs(1, 0x200, 8192 - 0x400, &cfg, 0, NULL);
	expect_fail(1, 0, 3 * 4096, &cfg, -E2BIG);
}

static void test_alloc_fail(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr, before;
	int at;

	make_runs(runs, 1, 0x400000000ULL, 8 * MB, 0);
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 1, 0, 1100 * 4096), 0);
	CHECK_RET(dbr_prp_count_lists(&it, 4096), 3);
	memset(&before, 0x5a, sizeof(before));
	for (at = 0; at < 3; at++) {
		fake_pool_init(&pool);
		pool.fail_at = at;
		dptr = before;
		CHECK_RET(dbr_prp_build(&it, &cfg, &dptr, &pages), -ENOMEM);
		CHECK_EQ(pages.nr, at);
		CHECK_EQ(pool.live, at);
		CHECK(!memcmp(&dptr, &before, sizeof(dptr)));
		dbr_desc_release(&cfg, &pages);
		CHECK_EQ(pool.live, 0);
	}
}

/* List blocks must not cross a memory page: the controller would misread. */
static void test_bad_block(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 4096, 4096, 8);
	struct dbr_desc_pages pages;
	struct dbr_seg_iter it;
	union dbr_dptr dptr;

	make_runs(runs, 1, 0x400000000ULL, 8 * MB, 0);

	/* a small list at an in-page offset is fine */
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 1, 0, 3 * 4096), 0);
	fake_pool_init(&pool);
	pool.misalign = 8;
	CHECK_RET(dbr_prp_build(&it, &cfg, &dptr, &pages), 0);
	CHECK(decode_prp(&pool, &dptr, it.len, 4096, &got, &(u64){ 0 }));
	dbr_desc_release(&cfg, &pages);
	/* crossing the page end is not */
	fake_pool_init(&pool);
	pool.misalign = 4096 - 8;
	CHECK_RET(dbr_prp_build(&it, &cfg, &dptr, &pages), -EFAULT);
	CHECK_EQ(pages.nr, 1);
	dbr_desc_release(&cfg, &pages);
	CHECK_EQ(pool.live, 0);
	/* a full page must be page aligned */
	CHECK_RET(dbr_seg_iter_init_runs(&it, runs, 1, 0, 600 * 4096), 0);
	fake_pool_init(&pool);
	pool.misalign = 8;
	CHECK_RET(dbr_prp_build(&it, &cfg, &dptr, &pages), -EFAULT);
	CHECK_EQ(pages.nr, 1);
	dbr_desc_release(&cfg, &pages);
	CHECK_EQ(pool.live, 0);
}

static void test_other_page_sizes(void)
{
	struct dbr_desc_cfg cfg = fake_cfg(&pool, 65536, 4096, 8);

	make_runs(runs, 1, 0x800000000ULL, 4 * MB, 0);
	verify_runs(1, 0, 1 * MB, &cfg, 1, NULL);
	CHECK_EQ(pool.bytes_seen[0], 15 * 8);
	cfg = fake_cfg(&pool, 8192, 4096, 8);
	verify_runs(1, 4096, 12288, &cfg, 0, NULL);	/* 2 pages of 8K */
	verify_runs(1, 4096, 12289, &cfg, 1, NULL);	/* 3 */
	/* 4 KiB runs are not 8 KiB aligned in the middle */
	make_runs(runs, 3, 0x800000000ULL, 4 * KB, 4 * KB);
	expect_fail(3, 0, 3 * 4096, &cfg, -EINVAL);
}

/* Random layouts at small page sizes, so lists chain often. */
static void test_fuzz(void)
{
	static const u32 psizes[] = { 64, 512, 4096 };
	u64 seed = 0x243f6a8885a308d3ULL;
	unsigned int iter, valid = 0, invalid = 0, big = 0;

	for (iter = 0; iter < 4000; iter++) {
		u32 ps = psizes[xorshift(&seed) % 3];
		struct dbr_desc_cfg cfg = fake_cfg(&pool, ps, 4096, 8);
		unsigned int nr = 1 + xorshift(&seed) % 100, i, np;
		u64 dma = 0x1000000000ULL, total = 0, off, len, m;
		int ok = 1;

		for (i = 0; i < nr; i++) {
			u64 l = ps * (1 + xorshift(&seed) % 12);
			u64 gap = xorshift(&seed) % 3 ? ps * (xorshift(&seed) % 9) : 0;

			if (xorshift(&seed) % 300 == 0)
				l -= 4 * (1 + xorshift(&seed) % (ps / 4 - 1));
			runs[i] = (struct dbr_run){ total, dma, l };
			total += l;
			dma += l + gap;
			if (xorshift(&seed) % 300 == 0)
				dma += 4;
		}
		CHECK_RET(dbr_runs_check(runs, nr), 0);
		off = xorshift(&seed) % total;
		if (xorshift(&seed) % 8)
			off &= ~3ULL;
		len = 1 + xorshift(&seed) % (total - off);

		ref_window(&want, runs, nr, off, len);
		pieces_normalize(&want);
		for (i = 0; i < want.n; i++) {
			u64 end = want.addr[i] + want.len[i];

			if ((i == 0 && (want.addr[0] & 3)) ||
			    (i > 0 && (want.addr[i] & (ps - 1))) ||
			    (i < want.n - 1 && (end & (ps - 1))))
				ok = 0;
		}
		m = (want.addr[0] % ps + len + ps - 1) / ps - 1;
		np = sim_pages(m, ps / 8);
		invalid += !ok;
		big += ok && np > 8;
		if (!ok)
			expect_fail(nr, off, len, &cfg, -EINVAL);
		else if (np > 8)
			expect_fail(nr, off, len, &cfg, -E2BIG);
		else
			verify_runs(nr, off, len, &cfg, np, NULL);
		valid += ok && np <= 8;
	}
	/* the generator must exercise every outcome */
	CHECK(valid > 1000 && invalid > 300 && big > 100);	/* the generator must mostly produce valid input */
}

int main(void)
{
	RUN(test_one_page);
	RUN(test_two_pages);
	RUN(test_small_list);
	RUN(test_list_boundaries);
	RUN(test_chain_link);
	RUN(test_1mib_run);
	RUN(test_not_expressible);
	RUN(test_merge_segs);
	RUN(test_max_pages);
	RUN(test_alloc_fail);
	RUN(test_bad_block);
	RUN(test_other_page_sizes);
	RUN(test_fuzz);
	return 0;
}
