/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Shared helpers for the pure-code unit tests: assertions, a fake DMA pool
 * standing in for dma_pool_alloc(), independent reference expansions and
 * strict decoders that read descriptors back the way a controller (and
 * QEMU's validating NVMe model) does.
 */
#ifndef DBR_TEST_HELPERS_H
#define DBR_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

#include "dbr_sgl.h"

/* ---- Assertions: print where and what, then fail the binary ------------ */

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			exit(1);					\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		unsigned long long _a = (a), _b = (b);			\
		if (_a != _b) {						\
			fprintf(stderr, "%s:%d: %s == %s failed: "	\
				"0x%llx (%llu) != 0x%llx (%llu)\n",	\
				__FILE__, __LINE__, #a, #b,		\
				_a, _a, _b, _b);			\
			exit(1);					\
		}							\
	} while (0)

#define CHECK_RET(expr, want)						\
	do {								\
		long long _r = (expr), _w = (want);			\
		if (_r != _w) {						\
			fprintf(stderr, "%s:%d: %s returned %lld, "	\
				"want %lld\n", __FILE__, __LINE__,	\
				#expr, _r, _w);				\
			exit(1);					\
		}							\
	} while (0)

#define RUN(fn)								\
	do {								\
		fn();							\
		printf("ok %s\n", #fn);					\
	} while (0)

/* ---- Piece lists -------------------------------------------------------- */

#define PIECES_MAX	16384

struct pieces {
	unsigned int	n;
	u64		addr[PIECES_MAX];
	u64		len[PIECES_MAX];
};

static inline void pieces_push(struct pieces *p, u64 addr, u64 len)
{
	CHECK(p->n < PIECES_MAX);
	p->addr[p->n] = addr;
	p->len[p->n] = len;
	p->n++;
}

/* Merge DMA-contiguous neighbours: the canonical form both sides reduce to. */
static inline void pieces_normalize(struct pieces *p)
{
	unsigned int i, out = 0;

	for (i = 0; i < p->n; i++) {
		if (out && p->addr[out - 1] + p->len[out - 1] == p->addr[i]) {
			p->len[out - 1] += p->len[i];
			continue;
		}
		p->addr[out] = p->addr[i];
		p->len[out] = p->len[i];
		out++;
	}
	p->n = out;
}

static inline int pieces_equal(const struct pieces *a, const struct pieces *b)
{
	unsigned int i;

	if (a->n != b->n) {
		fprintf(stderr, "piece count %u != %u\n", a->n, b->n);
		return 0;
	}
	for (i = 0; i < a->n; i++) {
		if (a->addr[i] != b->addr[i] || a->len[i] != b->len[i]) {
			fprintf(stderr, "piece %u: 0x%llx+0x%llx != 0x%llx+0x%llx\n",
				i, a->addr[i], a->len[i], b->addr[i], b->len[i]);
			return 0;
		}
	}
	return 1;
}

/* Reference: the window [off, off + len) of @runs, computed without dbr_*. */
static inline void ref_window(struct pieces *p, const struct dbr_run *runs,
			      unsigned int nr, u64 off, u64 len)
{
	u64 end = off + len;
	unsigned int i;

	p->n = 0;
	for (i = 0; i < nr; i++) {
		u64 lo = runs[i].off > off ? runs[i].off : off;
		u64 hi = runs[i].off + runs[i].len < end ?
			 runs[i].off + runs[i].len : end;

		if (lo < hi)
			pieces_push(p, runs[i].dma + (lo - runs[i].off), hi - lo);
	}
}

/* Runs of @run_len each, @gap bytes apart in DMA space (0: contiguous). */
static inline void make_runs(struct dbr_run *runs, unsigned int nr, u64 dma,
			     u64 run_len, u64 gap)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		runs[i].off = i * run_len;
		runs[i].dma = dma + i * (run_len + gap);
		runs[i].len = run_len;
	}
}

/* ---- Fake DMA pool ------------------------------------------------------ */

#define FAKE_DMA_BASE	0x7f0000000000ULL
#define FAKE_DMA_STRIDE	0x100000ULL	/* aligns every block to 1 MiB */
#define FAKE_BLOCKS	256

struct fake_block {
	void		*cpu;
	dbr_dma_addr_t	dma;
	u32		bytes;
	int		live;
};

struct fake_pool {
	struct fake_block blk[FAKE_BLOCKS];
	unsigned int	nr;		/* blocks handed out so far */
	unsigned int	calls;		/* alloc calls, failed ones included */
	unsigned int	live;
	int		fail_at;	/* alloc call index that fails, -1 none */
	u64		misalign;	/* added to every returned dma address */
	u32		bytes_seen[FAKE_BLOCKS];
};

static inline void fake_pool_init(struct fake_pool *fp)
{
	memset(fp, 0, sizeof(*fp));
	fp->fail_at = -1;
}

static inline int fake_alloc(void *priv, u32 bytes, void **cpu,
			     dbr_dma_addr_t *dma)
{
	struct fake_pool *fp = priv;
	struct fake_block *b;

	CHECK(bytes > 0);
	if ((int)fp->calls++ == fp->fail_at)
		return -ENOMEM;
	CHECK(fp->nr < FAKE_BLOCKS);
	b = &fp->blk[fp->nr];
	/* exact size, so ASan and valgrind catch any write past the block */
	b->cpu = malloc(bytes);
	CHECK(b->cpu);
	memset(b->cpu, 0xa5, bytes);	/* unwritten slots decode as garbage */
	b->dma = FAKE_DMA_BASE + fp->nr * FAKE_DMA_STRIDE + fp->misalign;
	b->bytes = bytes;
	b->live = 1;
	fp->bytes_seen[fp->nr] = bytes;
	fp->nr++;
	fp->live++;
	*cpu = b->cpu;
	*dma = b->dma;
	return 0;
}

static inline void fake_free(void *priv, u32 bytes, void *cpu,
			     dbr_dma_addr_t dma)
{
	struct fake_pool *fp = priv;
	unsigned int i;

	for (i = 0; i < fp->nr; i++) {
		struct fake_block *b = &fp->blk[i];

		if (b->dma != dma)
			continue;
		CHECK(b->live);
		CHECK(b->cpu == cpu);
		CHECK_EQ(b->bytes, bytes);
		free(b->cpu);
		b->live = 0;
		fp->live--;
		return;
	}
	fprintf(stderr, "free of unknown dma 0x%llx\n", dma);
	exit(1);
}

/* CPU view of [dma, dma + len) inside one live block, or NULL. */
static inline void *fake_lookup(struct fake_pool *fp, u64 dma, u64 len)
{
	unsigned int i;

	for (i = 0; i < fp->nr; i++) {
		struct fake_block *b = &fp->blk[i];

		if (b->live && dma >= b->dma && dma - b->dma + len <= b->bytes)
			return (char *)b->cpu + (dma - b->dma);
	}
	fprintf(stderr, "device read outside list memory: 0x%llx+%llu\n",
		dma, len);
	return NULL;
}

static inline u64 fake_live_bytes(const struct fake_pool *fp)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < fp->nr; i++)
		if (fp->blk[i].live)
			sum += fp->blk[i].bytes;
	return sum;
}

static inline struct dbr_desc_cfg fake_cfg(struct fake_pool *fp, u32 page_size,
					   u32 list_size, unsigned int max_pages)
{
	struct dbr_desc_cfg cfg = {
		.alloc		= fake_alloc,
		.free		= fake_free,
		.priv		= fp,
		.page_size	= page_size,
		.list_size	= list_size,
		.max_pages	= max_pages,
	};

	CHECK_RET(dbr_desc_cfg_check(&cfg), 0);
	return cfg;
}

/* ---- Decoders ----------------------------------------------------------- */

static inline int sgl_desc_sane(const struct dbr_sgl_desc *d)
{
	if (d->rsvd[0] || d->rsvd[1] || d->rsvd[2] || (d->type & 0xf)) {
		fprintf(stderr, "SGL descriptor: reserved bits or subtype set\n");
		return 0;
	}
	return 1;
}

/*
 * Walk an SGL like a strict controller: a segment pointer may only be the last
 * descriptor of a segment, only a Segment (not a Last Segment) may contain one,
 * a Segment must end in one, lengths are non-zero multiples of 16. Data Blocks
 * go to @out; @descs counts them, @list_bytes the list memory read.
 */
static inline int decode_sgl(struct fake_pool *fp, const union dbr_dptr *dptr,
			     struct pieces *out, unsigned int *descs,
			     u64 *list_bytes)
{
	struct dbr_sgl_desc cur = dptr->sgl;

	out->n = 0;
	*descs = 0;
	*list_bytes = 0;
	if (!sgl_desc_sane(&cur))
		return 0;
	if (cur.type >> 4 == DBR_SGL_DATA_BLOCK) {
		if (!le32_to_cpu(cur.length))
			return 0;
		pieces_push(out, le64_to_cpu(cur.addr), le32_to_cpu(cur.length));
		*descs = 1;
		return 1;
	}
	for (;;) {
		u8 type = cur.type >> 4;
		u32 seg_len = le32_to_cpu(cur.length);
		const struct dbr_sgl_desc *seg;
		unsigned int i, n;

		if (type != DBR_SGL_SEGMENT && type != DBR_SGL_LAST_SEGMENT) {
			fprintf(stderr, "SGL: bad segment type %u\n", type);
			return 0;
		}
		if (!seg_len || seg_len % 16) {
			fprintf(stderr, "SGL: bad segment length %u\n", seg_len);
			return 0;
		}
		seg = fake_lookup(fp, le64_to_cpu(cur.addr), seg_len);
		if (!seg)
			return 0;
		*list_bytes += seg_len;
		n = seg_len / 16;
		for (i = 0; i < n; i++) {
			u8 t = seg[i].type >> 4;

			if (!sgl_desc_sane(&seg[i]))
				return 0;
			if (t == DBR_SGL_DATA_BLOCK) {
				if (!le32_to_cpu(seg[i].length))
					return 0;
				pieces_push(out, le64_to_cpu(seg[i].addr),
					    le32_to_cpu(seg[i].length));
				(*descs)++;
				continue;
			}
			if ((t != DBR_SGL_SEGMENT && t != DBR_SGL_LAST_SEGMENT) ||
			    i != n - 1 || type == DBR_SGL_LAST_SEGMENT) {
				fprintf(stderr, "SGL: misplaced type %u at %u/%u\n",
					t, i, n);
				return 0;
			}
		}
		if (type == DBR_SGL_LAST_SEGMENT)
			return 1;
		if ((seg[n - 1].type >> 4) == DBR_SGL_DATA_BLOCK) {
			fprintf(stderr, "SGL: Segment does not end in a link\n");
			return 0;
		}
		cur = seg[n - 1];
	}
}

/*
 * Expand PRP1/PRP2 for a @len byte transfer the way the spec reads them: PRP
 * list entries continue to the end of a memory page, whose last entry links
 * to the next list when more than one page of data remains. Every entry but
 * PRP1 must be page aligned. Pages go to @out, one piece each.
 */
static inline int decode_prp(struct fake_pool *fp, const union dbr_dptr *dptr,
			     u64 len, u32 page_size, struct pieces *out,
			     u64 *list_bytes)
{
	u64 mask = page_size - 1;
	u64 prp1 = le64_to_cpu(dptr->prp.prp1);
	u64 prp2 = le64_to_cpu(dptr->prp.prp2);
	u64 first = page_size - (prp1 & mask);
	u64 list;

	out->n = 0;
	*list_bytes = 0;
	if (prp1 & 3)
		return 0;
	if (first > len)
		first = len;
	pieces_push(out, prp1, first);
	len -= first;
	if (!len)
		return prp2 == 0;
	if (len <= page_size) {
		if (prp2 & mask)
			return 0;
		pieces_push(out, prp2, len);
		return 1;
	}
	list = prp2;
	if (list & 7)
		return 0;
	while (len) {
		u64 *e = fake_lookup(fp, list, 8);
		u64 ent;

		if (!e)
			return 0;
		*list_bytes += 8;
		ent = le64_to_cpu(*e);
		if ((list & mask) == page_size - 8 && len > page_size) {
			list = ent;
			if (list & mask) {
				fprintf(stderr, "PRP: unaligned list link\n");
				return 0;
			}
			continue;
		}
		if (ent & mask) {
			fprintf(stderr, "PRP: unaligned entry 0x%llx\n", ent);
			return 0;
		}
		pieces_push(out, ent, len < page_size ? len : page_size);
		len -= len < page_size ? len : page_size;
		list += 8;
	}
	return 1;
}

/* ---- Deterministic pseudo-random numbers for the fuzz loops ------------ */

static inline u64 xorshift(u64 *s)
{
	u64 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

#endif /* DBR_TEST_HELPERS_H */
