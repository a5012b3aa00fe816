/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The asynchronous queue's objects (queue.c). Here rather than in queue.c
 * so that the host unit test (tests/lib/test_queue.c) can reach the parts
 * that need no device: the signal bookkeeping and the busy flag.
 */
#ifndef DMAB_QUEUE_H
#define DMAB_QUEUE_H

#include <liburing.h>

#include "internal.h"

/* compat pieces in flight per queue (each holds a bounce slot) */
#define DMAB_Q_SLOTS		8U
#define DMAB_Q_BOUNCE_MAX	(64ULL << 20)
/* user_data of the queue's own cancel requests: their CQEs are ignored */
#define DMAB_Q_UD_CANCEL	(1ULL << 63)

enum { __DMAB_J_PENDING, __DMAB_J_INFLIGHT, __DMAB_J_DONE };

struct __dmab_qjob {
	struct __dmab_piece p;
	int64_t res;			/* bytes, or -errno, once done */
	int slot;			/* compat bounce slot while in flight */
	uint8_t state;
};

/* An enqueued read or write until it completes. */
struct __dmab_qreq {
	int prev, next;			/* the active list (enqueue order) */
	int pprev, pnext;		/* the pending list, while on it */
	bool on_plist;
	uint64_t seq;			/* enqueue order */
	uint64_t tag;
	struct dmab_file *f;
	struct dmab_buf *b;
	uint64_t buf_off, file_off, len;
	uint64_t epoch;			/* signals enqueued before it */
	uint32_t token;
	bool is_write, cancelled;
	/*
	 * fast: one whole direct piece whose SQE enqueue prepared at once,
	 * with no jobs yet (jobs NULL, njobs 0); sqe_pos: that SQE's place
	 * in the SQ (liburing's sqe_tail when it was taken). Until its CQE
	 * it needs nothing else; a refusal, a short count or a cancel gives
	 * it its one job (fast_to_job in queue.c) and the ordinary path.
	 */
	bool fast;
	unsigned int sqe_pos;
	struct __dmab_qjob *jobs;	/* inl, or allocated */
	struct __dmab_qjob inl[3];
	uint32_t njobs, hint;		/* hint: no pending job below it */
	uint32_t inflight;
	uint32_t stop_after;		/* no job after this index is issued */
	struct dmab_result r;
};

struct __dmab_qsig {
	uint64_t value;
	uint64_t left;			/* its requests not yet complete */
};

struct dmab_queue {
	struct dmab_ctx *ctx;
	atomic_flag busy;
	struct io_uring ring;		/* SQE128 | CQE32 */
	unsigned int depth;		/* entries enqueued, not yet reaped */
	unsigned int used;
	unsigned int inflight;		/* pieces in the kernel (<= depth) */
	unsigned int cancels;		/* cancel requests in the kernel */
	unsigned int pending;		/* pieces not yet issued */

	struct __dmab_qreq *reqs;	/* depth slots */
	int free_req;			/* free slots, chained by next */
	int act_head, act_tail;		/* requests not yet complete */
	int pl_head, pl_tail;		/* those with pieces to issue, in order */
	uint64_t seq;			/* requests enqueued */

	struct dmab_completion *ready;	/* completed, not reaped: a FIFO */
	unsigned int rhead, rcount;

	struct __dmab_qsig *sigs;	/* signals not yet complete: a FIFO */
	unsigned int shead, scount;
	uint64_t sig_epoch;		/* epoch of sigs[shead] */
	uint64_t nsignals;		/* signals enqueued: the open epoch */
	uint64_t open_left;		/* open epoch's incomplete requests */
	uint64_t last_value;		/* the last signal enqueued */
	_Atomic uint64_t signaled;	/* the last signal completed */

	uint8_t *bounce;		/* compat slots, made on first use */
	uint64_t slot_size;
	unsigned int nslots;
	uint32_t free_slots;
	uint8_t *edge;			/* write edges: DMAB_ALIGN_MAX bytes */

	int efd;			/* eventfd, -1 until asked for */
	bool fixed;			/* the control fd is the ring's file 0 */

	struct dmab_queue_error err;	/* first failure since the query */
	uint32_t failures;
};

/* signal bookkeeping (pure; unit-tested) */
void __dmab_q_sig_push(struct dmab_queue *q, uint64_t value);
void __dmab_q_req_done(struct dmab_queue *q, uint64_t epoch);
void __dmab_q_post(struct dmab_queue *q, const struct dmab_completion *c);
/* the pending list (pure; unit-tested): in enqueue order, by seq */
void __dmab_q_pl_add(struct dmab_queue *q, struct __dmab_qreq *r);
void __dmab_q_pl_del(struct dmab_queue *q, struct __dmab_qreq *r);

#endif /* DMAB_QUEUE_H */
