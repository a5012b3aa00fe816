// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Per-context statistics: relaxed atomic counters, so that calls from many
 * threads count without a lock; a snapshot is not atomic as a whole.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define ADD(c, v) atomic_fetch_add_explicit(&(c), (v), memory_order_relaxed)
#define GET(c) atomic_load_explicit(&(c), memory_order_relaxed)
#define SET0(c) atomic_store_explicit(&(c), 0, memory_order_relaxed)

void __dmab_stats_add_result(struct __dmab_stats *st, int dir,
			     const struct dmab_result *r)
{
	ADD(st->calls[dir], 1);
	ADD(st->bytes[DMAB_PATH_DIRECT][dir], r->direct_bytes);
	ADD(st->bytes[DMAB_PATH_COMPAT][dir], r->compat_bytes);
	ADD(st->requests[DMAB_PATH_DIRECT][dir], r->direct_requests);
	ADD(st->requests[DMAB_PATH_COMPAT][dir], r->compat_requests);
	if (r->error) {
		int e = -r->error;

		ADD(st->errors[e > 0 && e < DMAB_STATS_ERRNOS ? e :
			       DMAB_STATS_ERRNOS - 1], 1);
	}
}

void __dmab_stats_fallback(struct __dmab_stats *st, int reason, uint64_t len)
{
	if (reason < 0 || reason >= DMAB_STATS_REASONS)
		return;
	ADD(st->fallbacks[reason], 1);
	ADD(st->fallback_bytes[reason], len);
}

/*
 * Copy the counters into @stats, of @size bytes (sizeof(struct dmab_stats)
 * of the caller's header: a smaller, older structure gets its prefix).
 */
int dmab_ctx_stats(struct dmab_ctx *ctx, struct dmab_stats *stats, size_t size)
{
	struct __dmab_stats *st;
	struct dmab_stats s;

	if (!ctx || !stats || !size)
		return -EINVAL;
	st = &ctx->stats;
	for (int d = 0; d < 2; d++) {
		s.calls[d] = GET(st->calls[d]);
		for (int p = 0; p < 2; p++) {
			s.bytes[p][d] = GET(st->bytes[p][d]);
			s.requests[p][d] = GET(st->requests[p][d]);
		}
	}
	for (int i = 0; i < DMAB_STATS_REASONS; i++) {
		s.fallbacks[i] = GET(st->fallbacks[i]);
		s.fallback_bytes[i] = GET(st->fallback_bytes[i]);
	}
	for (int i = 0; i < DMAB_STATS_ERRNOS; i++)
		s.errors[i] = GET(st->errors[i]);
	memcpy(stats, &s, size < sizeof(s) ? size : sizeof(s));
	return 0;
}

int dmab_ctx_stats_reset(struct dmab_ctx *ctx)
{
	struct __dmab_stats *st;

	if (!ctx)
		return -EINVAL;
	st = &ctx->stats;
	for (int d = 0; d < 2; d++) {
		SET0(st->calls[d]);
		for (int p = 0; p < 2; p++) {
			SET0(st->bytes[p][d]);
			SET0(st->requests[p][d]);
		}
	}
	for (int i = 0; i < DMAB_STATS_REASONS; i++) {
		SET0(st->fallbacks[i]);
		SET0(st->fallback_bytes[i]);
	}
	for (int i = 0; i < DMAB_STATS_ERRNOS; i++)
		SET0(st->errors[i]);
	return 0;
}
