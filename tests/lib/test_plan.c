// SPDX-License-Identifier: GPL-2.0
/*
 * Request planning (userspace/lib/plan.c) at every alignment: segments and
 * pieces cover the request exactly, in order; direct pieces are block
 * aligned in the file and the buffer and as large as the alignment allows;
 * compat spans are aligned and fit a bounce slot; write edges are the only
 * unaligned compat writes. And a model run of the pieces (file -> bounce
 * -> buffer, and back) moves exactly the request's bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#include "check.h"

#define FSZ (1U << 16)

static uint8_t file[FSZ], pristine[FSZ], want_file[FSZ];
static uint8_t buf[FSZ + 8192], want[FSZ + 8192], bounce[FSZ + 16384];

struct ctx {
	const struct __dmab_seg *seg;
	uint64_t next, chunk, npieces, nedges;
	uint32_t a, bs;
	bool is_write;
};

static void check_piece(const struct __dmab_piece *p, void *arg)
{
	struct ctx *c = arg;
	uint64_t ce = DMAB_ALIGN_UP(c->chunk, c->a);

	c->npieces++;
	CHECK(p->foff == c->next, "piece at %llu, want %llu",
	      (unsigned long long)p->foff, (unsigned long long)c->next);
	CHECK(p->len > 0, "empty piece");
	CHECK(p->boff - c->seg->boff == p->foff - c->seg->foff, "buffer offset");
	CHECK(p->path == c->seg->path && p->reason == c->seg->reason, "path");
	c->next = p->foff + p->len;
	if (p->path == __DMAB_DIRECT) {
		CHECK(p->len <= c->chunk, "direct piece %llu > chunk",
		      (unsigned long long)p->len);
		CHECK(p->foff % c->bs == 0 && p->len % c->bs == 0 &&
		      p->boff % c->bs == 0, "direct piece unaligned");
		CHECK(!p->edge, "direct edge");
		return;
	}
	CHECK(p->span_off <= p->foff &&
	      p->span_off + p->span_len >= p->foff + p->len, "span");
	CHECK(p->span_len <= ce, "span %llu > slot %llu",
	      (unsigned long long)p->span_len, (unsigned long long)ce);
	if (!c->is_write || !p->edge)
		CHECK(p->span_off % c->a == 0 && p->span_len % c->a == 0,
		      "span not aligned to %u", c->a);
	if (c->is_write) {
		CHECK(p->span_off == p->foff && p->span_len == p->len, "write span");
		if (p->edge) {
			c->nedges++;
			CHECK(p->len < c->a, "edge of %llu bytes",
			      (unsigned long long)p->len);
			CHECK(DMAB_ALIGN_DOWN(p->foff, c->a) ==
			      DMAB_ALIGN_DOWN(p->foff + p->len - 1, c->a),
			      "edge spans blocks");
		}
	}
	/* the model: the piece through a bounce buffer */
	if (!c->is_write) {
		uint64_t end = p->span_off + p->span_len;

		if (end > FSZ)
			end = FSZ;
		memset(bounce, 0xee, sizeof(bounce));
		if (end > p->span_off)
			memcpy(bounce, file + p->span_off, end - p->span_off);
		memcpy(buf + p->boff, bounce + (p->foff - p->span_off), p->len);
	} else {
		memcpy(bounce, buf + p->boff, p->len);
		memcpy(file + p->foff, bounce, p->len);
	}
}

static void direct_model(const struct __dmab_piece *p, bool is_write)
{
	if (is_write)
		memcpy(file + p->foff, buf + p->boff, p->len);
	else
		memcpy(buf + p->boff, file + p->foff, p->len);
}

static void run(uint64_t foff, uint64_t boff, uint64_t len, uint32_t bs,
		uint32_t a, uint64_t chunk, uint32_t reason, bool is_write)
{
	struct __dmab_seg seg[3];
	unsigned int n = __dmab_plan(foff, boff, len, reason, bs, seg);
	uint64_t at = foff, direct = 0;

	memcpy(file, pristine, FSZ);
	memset(buf, 0xa5, sizeof(buf));
	if (is_write)
		for (uint64_t i = 0; i < len; i++)
			buf[boff + i] = (uint8_t)(i * 13 + 1);
	memcpy(want, buf, sizeof(buf));
	if (!is_write)
		memcpy(want + boff, file + foff, len);

	CHECK(len ? n >= 1 && n <= 3 : n == 0, "%u segments", n);
	for (unsigned int i = 0; i < n; i++) {
		struct ctx c = { .seg = &seg[i], .next = seg[i].foff,
				 .chunk = chunk, .a = a, .bs = bs,
				 .is_write = is_write };
		uint64_t np;

		CHECK(seg[i].foff == at, "segment %u at %llu, want %llu", i,
		      (unsigned long long)seg[i].foff, (unsigned long long)at);
		CHECK(seg[i].boff - boff == seg[i].foff - foff, "segment boff");
		at += seg[i].len;
		if (seg[i].path == __DMAB_DIRECT) {
			direct += seg[i].len;
			CHECK(reason == DMAB_REASON_NONE, "direct despite reason");
			CHECK(seg[i].reason == DMAB_REASON_NONE, "direct reason");
		} else if (reason != DMAB_REASON_NONE) {
			CHECK(seg[i].reason == reason, "reason %u, want %u",
			      seg[i].reason, reason);
		} else if (foff % bs != boff % bs) {
			CHECK(seg[i].reason == DMAB_REASON_MISALIGNED, "misaligned");
		} else {
			CHECK(seg[i].reason == DMAB_REASON_UNALIGNED, "unaligned");
			CHECK(seg[i].len < bs || n == 1, "compat edge of %llu",
			      (unsigned long long)seg[i].len);
		}
		np = __dmab_pieces(&seg[i], is_write, chunk, a, check_piece, &c);
		CHECK(np == c.npieces, "piece count %llu vs %llu",
		      (unsigned long long)np, (unsigned long long)c.npieces);
		CHECK(c.next == seg[i].foff + seg[i].len, "pieces end early");
		CHECK(c.nedges <= 2, "%llu edges", (unsigned long long)c.nedges);
		if (seg[i].path == __DMAB_DIRECT) {
			for (uint64_t o = 0; o < seg[i].len; o += chunk) {
				struct __dmab_piece p = {
					.foff = seg[i].foff + o, .boff = seg[i].boff + o,
					.len = seg[i].len - o < chunk ? seg[i].len - o : chunk,
				};
				direct_model(&p, is_write);
			}
		}
	}
	CHECK(at == foff + len, "segments end at %llu", (unsigned long long)at);
	/* the direct middle is as large as the alignment allows */
	if (reason == DMAB_REASON_NONE && foff % bs == boff % bs && len) {
		uint64_t head = (bs - foff % bs) % bs, mid;

		head = head > len ? len : head;
		mid = DMAB_ALIGN_DOWN(len - head, bs);
		CHECK(direct == mid, "direct %llu, want %llu (foff %llu len %llu bs %u)",
		      (unsigned long long)direct, (unsigned long long)mid,
		      (unsigned long long)foff, (unsigned long long)len, bs);
	}
	if (is_write) {
		memcpy(want_file, pristine, FSZ);
		memcpy(want_file + foff, want + boff, len);
		CHECK(!memcmp(file, want_file, FSZ),
		      "write model (foff %llu boff %llu len %llu bs %u a %u chunk %llu)",
		      (unsigned long long)foff, (unsigned long long)boff,
		      (unsigned long long)len, bs, a, (unsigned long long)chunk);
	} else {
		CHECK(!memcmp(buf, want, sizeof(buf)),
		      "read model (foff %llu boff %llu len %llu bs %u a %u chunk %llu)",
		      (unsigned long long)foff, (unsigned long long)boff,
		      (unsigned long long)len, bs, a, (unsigned long long)chunk);
	}
}

int main(void)
{
	static const uint64_t offs[] = { 0, 1, 7, 255, 511, 512, 513, 1023, 4095,
					 4096, 4097, 5000, 8191, 12288 + 100 };
	static const uint64_t lens[] = { 0, 1, 2, 100, 511, 512, 513, 1024, 4095,
					 4096, 4097, 8192 + 3, 12288, 20000,
					 32768 + 512 };
	static const uint32_t bss[] = { 512, 4096 };
	static const uint32_t aligns[] = { 1, 512, 4096 };
	static const uint64_t chunks[] = { 4096, 8192, 1U << 20 };
	uint64_t runs = 0;

	for (uint64_t i = 0; i < FSZ; i++)
		pristine[i] = (uint8_t)(i * 7 + 3);

	for (size_t fi = 0; fi < sizeof(offs) / sizeof(offs[0]); fi++)
	for (size_t bi = 0; bi < sizeof(offs) / sizeof(offs[0]); bi++)
	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++)
	for (size_t si = 0; si < 2; si++)
	for (size_t ai = 0; ai < 3; ai++)
	for (size_t ci = 0; ci < 3; ci++)
	for (int w = 0; w < 2; w++) {
		uint32_t reason = (fi + bi + li) % 5 == 0 ?
				  DMAB_REASON_NOT_DMABRIDGE_DEV : DMAB_REASON_NONE;

		if (offs[fi] + lens[li] > FSZ)
			continue;
		run(offs[fi], offs[bi], lens[li], bss[si], aligns[ai], chunks[ci],
		    reason, w);
		runs++;
	}
	if (failures) {
		printf("FAIL: %d failures\n", failures);
		return 1;
	}
	printf("ok: %llu plans checked\n", (unsigned long long)runs);
	return 0;
}
