// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Request planning, pure arithmetic: which bytes of a read or write go by
 * the direct path and which by the compat path, and how each is cut into
 * requests that run concurrently. Unit-tested on the host
 * (tests/lib/test_plan.c) at every alignment.
 */
#include "internal.h"

static void seg_set(struct __dmab_seg *s, uint64_t foff, uint64_t boff,
		    uint64_t len, uint32_t path, uint32_t reason)
{
	*s = (struct __dmab_seg){ .foff = foff, .boff = boff, .len = len,
				  .path = path, .reason = reason };
}

unsigned int __dmab_plan(uint64_t foff, uint64_t boff, uint64_t len,
			 uint32_t reason, uint32_t bs, struct __dmab_seg seg[3])
{
	uint64_t head, mid, tail;
	unsigned int n = 0;

	if (!len)
		return 0;
	if (reason == DMAB_REASON_NONE && (!bs || foff % bs != boff % bs))
		reason = DMAB_REASON_MISALIGNED;
	if (reason != DMAB_REASON_NONE) {
		seg_set(&seg[0], foff, boff, len, __DMAB_COMPAT, reason);
		return 1;
	}
	head = (bs - foff % bs) % bs;
	if (head > len)
		head = len;
	mid = DMAB_ALIGN_DOWN(len - head, bs);
	tail = len - head - mid;
	if (!mid) {
		seg_set(&seg[0], foff, boff, len, __DMAB_COMPAT,
			DMAB_REASON_UNALIGNED);
		return 1;
	}
	if (head)
		seg_set(&seg[n++], foff, boff, head, __DMAB_COMPAT,
			DMAB_REASON_UNALIGNED);
	seg_set(&seg[n++], foff + head, boff + head, mid, __DMAB_DIRECT,
		DMAB_REASON_NONE);
	if (tail)
		seg_set(&seg[n++], foff + head + mid, boff + head + mid, tail,
			__DMAB_COMPAT, DMAB_REASON_UNALIGNED);
	return n;
}

static uint64_t emit(const struct __dmab_seg *s, uint64_t from, uint64_t to,
		     uint64_t span_off, uint64_t span_end, bool edge,
		     __dmab_piece_fn fn, void *arg)
{
	struct __dmab_piece p = {
		.foff = from, .boff = s->boff + (from - s->foff),
		.len = to - from, .span_off = span_off,
		.span_len = span_end - span_off, .path = s->path,
		.reason = s->reason, .edge = edge,
	};

	if (fn)
		fn(&p, arg);
	return 1;
}

uint64_t __dmab_pieces(const struct __dmab_seg *s, bool is_write,
		       uint64_t chunk, uint32_t calign,
		       __dmab_piece_fn fn, void *arg)
{
	uint64_t pos = s->foff, end = s->foff + s->len, n = 0, next, a;

	if (s->path == __DMAB_DIRECT) {
		for (; pos < end; pos = next) {
			next = end - pos > chunk ? pos + chunk : end;
			n += emit(s, pos, next, pos, next, false, fn, arg);
		}
		return n;
	}
	a = calign ? calign : 1;
	chunk = DMAB_ALIGN_UP(chunk, a);	/* pieces inside one window */
	while (pos < end) {
		next = DMAB_ALIGN_DOWN(pos, chunk) + chunk;
		if (next > end)
			next = end;
		if (!is_write) {
			/* a read bounces its whole aligned span */
			n += emit(s, pos, next, DMAB_ALIGN_DOWN(pos, a),
				  DMAB_ALIGN_UP(next, a), false, fn, arg);
			pos = next;
			continue;
		}
		/* writes: unaligned edges on their own, written buffered */
		if (pos % a) {
			uint64_t e = DMAB_ALIGN_UP(pos, a);

			next = e < end ? e : end;
			n += emit(s, pos, next, pos, next, true, fn, arg);
		} else if (next % a) {
			uint64_t d = DMAB_ALIGN_DOWN(next, a);

			if (d > pos)
				n += emit(s, pos, d, pos, d, false, fn, arg);
			n += emit(s, d, next, d, next, true, fn, arg);
		} else {
			n += emit(s, pos, next, pos, next, false, fn, arg);
		}
		pos = next;
	}
	return n;
}
