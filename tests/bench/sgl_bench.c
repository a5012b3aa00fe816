// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * sgl_bench - build throughput of the pure SGL and PRP builders
 *
 * Per command: position an iterator in a token (binary search), build the
 * descriptors, release the list pages; as queue_rq and completion would.
 * The list page allocator is a trivial free list so the builder dominates.
 *
 * usage: sgl_bench [ms per case, default 200]
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dbr_sgl.h"

#define TOKEN_RUNS	4096
#define POOL_BLOCKS	64
#define LIST_SIZE	4096
#define ROUNDS		7

static struct dbr_run runs[TOKEN_RUNS];

struct bench_pool {
	unsigned int	top;
	void		*cpu[POOL_BLOCKS];
	dbr_dma_addr_t	dma[POOL_BLOCKS];
};

static int bench_alloc(void *priv, u32 bytes, void **cpu, dbr_dma_addr_t *dma)
{
	struct bench_pool *p = priv;

	(void)bytes;
	if (!p->top)
		return -ENOMEM;
	p->top--;
	*cpu = p->cpu[p->top];
	*dma = p->dma[p->top];
	return 0;
}

static void bench_free(void *priv, u32 bytes, void *cpu, dbr_dma_addr_t dma)
{
	struct bench_pool *p = priv;

	(void)bytes;
	p->cpu[p->top] = cpu;
	p->dma[p->top] = dma;
	p->top++;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef int (*build_fn)(const struct dbr_seg_iter *it,
			const struct dbr_desc_cfg *cfg, union dbr_dptr *dptr,
			struct dbr_desc_pages *pages);

static volatile u64 sink;	/* keeps the results observable */

/* Commands of @nr runs at rotating token offsets; returns ns per command. */
static double run_round(build_fn build, const struct dbr_desc_cfg *cfg,
			unsigned int nr, u64 run_len, double budget_ns)
{
	u64 iters = 0, batch = 256;
	double start = now_ns(), t = start;

	while (t - start < budget_ns) {
		u64 i;

		for (i = 0; i < batch; i++) {
			u64 first = (iters + i) % (TOKEN_RUNS - nr);
			struct dbr_desc_pages pages;
			struct dbr_seg_iter it;
			union dbr_dptr dptr;

			if (dbr_seg_iter_init_runs(&it, runs, TOKEN_RUNS,
						   first * run_len, nr * run_len) ||
			    build(&it, cfg, &dptr, &pages)) {
				fprintf(stderr, "build failed\n");
				exit(1);
			}
			sink += dptr.prp.prp1 ^ dptr.prp.prp2;
			dbr_desc_release(cfg, &pages);
		}
		iters += batch;
		t = now_ns();
	}
	return (t - start) / iters;
}

/* Best of several rounds: other load on the machine only ever adds time. */
static double run_case(build_fn build, const struct dbr_desc_cfg *cfg,
		       unsigned int nr, u64 run_len, double budget_ns)
{
	double best = 0;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		double ns = run_round(build, cfg, nr, run_len, budget_ns / ROUNDS);

		if (!r || ns < best)
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	static const unsigned int counts[] = { 1, 16, 128, 256 };
	static const u64 lens[] = { 4096, 32768 };
	double budget = (argc > 1 ? atof(argv[1]) : 200) * 1e6;
	struct bench_pool pool = { 0 };
	struct dbr_desc_cfg cfg = {
		.alloc = bench_alloc, .free = bench_free, .priv = &pool,
		.page_size = 4096, .list_size = LIST_SIZE,
		.max_pages = DBR_DESC_PAGES_MAX,
	};
	unsigned int i, l, c;

	if (dbr_desc_cfg_check(&cfg))
		return 1;
	for (i = 0; i < POOL_BLOCKS; i++) {
		pool.cpu[i] = aligned_alloc(LIST_SIZE, LIST_SIZE);
		pool.dma[i] = 0x7f0000000000ULL + (u64)i * LIST_SIZE;
		if (!pool.cpu[i])
			return 1;
	}
	pool.top = POOL_BLOCKS;

	printf("%6s %8s %10s %8s %8s %12s %12s\n", "runs", "run_len",
	       "bytes", "descs", "prps", "sgl_ns/cmd", "prp_ns/cmd");
	for (l = 0; l < 2; l++) {
		/* page-aligned runs with DMA gaps, so nothing merges */
		for (i = 0; i < TOKEN_RUNS; i++)
			runs[i] = (struct dbr_run){
				.off = i * lens[l],
				.dma = 0x100000000ULL + i * (lens[l] + 4096),
				.len = lens[l],
			};
		for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			unsigned int nr = counts[c];
			double sgl = run_case(dbr_sgl_build, &cfg, nr, lens[l], budget);
			double prp = run_case(dbr_prp_build, &cfg, nr, lens[l], budget);

			printf("%6u %8llu %10llu %8u %8llu %12.1f %12.1f\n", nr,
			       lens[l], nr * lens[l], nr, nr * lens[l] / 4096,
			       sgl, prp);
		}
	}
	for (i = 0; i < POOL_BLOCKS; i++)
		free(pool.cpu[i]);
	return 0;
}
