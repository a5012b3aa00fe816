/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* An engine: one io_uring and its bounce slots, used by one call at a time. */
#ifndef DMAB_ENGINE_H
#define DMAB_ENGINE_H

#include <liburing.h>

#include "internal.h"

/* compat requests in flight per call (each holds a chunk-sized slot) */
#define DMAB_COMPAT_SLOTS	8U
/* and at most this much bounce memory per engine (but one slot at least) */
#define DMAB_BOUNCE_MAX		(64ULL << 20)

struct __dmab_engine {
	struct __dmab_engine *next;	/* in the context's idle list */
	struct io_uring ring;		/* SQE128 | CQE32 */
	bool ring_ok;
	unsigned int qd;
	uint8_t *bounce;
	uint64_t slot_size;
	unsigned int nslots;
};

int __dmab_engine_bounce(struct __dmab_engine *e, uint64_t slot,
			 unsigned int nslots);

#endif /* DMAB_ENGINE_H */
