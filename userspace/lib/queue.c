// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The asynchronous queue: a request is planned and cut into pieces exactly
 * as dmab_read()/dmab_write() do (plan.c), the pieces wait in the library
 * until dmab_queue_submit() (or a full submission queue, or a reap) issues
 * them on the queue's own io_uring: direct pieces as IORING_OP_URING_CMD on
 * /dev/dmabridge, compat pieces as O_DIRECT reads/writes through a bounce
 * slot and a CPU copy under DMA_BUF_IOCTL_SYNC. A piece the module refuses
 * with a fallback errno is issued again on the compat path. A request
 * completes when none of its pieces is in the kernel any more; a signal
 * when every request enqueued before it has completed.
 *
 * One thread at a time: every call but dmab_queue_signaled() takes the
 * queue's busy flag and fails with -EBUSY if another thread holds it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"

#define ENTER(q) do {							\
	if (!(q))							\
		return -EINVAL;						\
	if (atomic_flag_test_and_set_explicit(&(q)->busy,		\
					      memory_order_acquire))	\
		return -EBUSY;						\
} while (0)
/* @ret is evaluated before the flag is cleared: it is often the call's work */
#define LEAVE(q, ret) do {						\
	int leave_ret_ = (ret);						\
									\
	atomic_flag_clear_explicit(&(q)->busy, memory_order_release);	\
	return leave_ret_;						\
} while (0)

/* ---- signals and completion records (pure) -------------------------------- */

/* The FIFO's next free record: never full, each holds one of the depth entries. */
static struct dmab_completion *post_slot(struct dmab_queue *q)
{
	unsigned int i = q->rhead + q->rcount++;	/* < 2 x depth */

	return &q->ready[i < q->depth ? i : i - q->depth];
}

void __dmab_q_post(struct dmab_queue *q, const struct dmab_completion *c)
{
	*post_slot(q) = *c;
}

static void sig_advance(struct dmab_queue *q)
{
	while (q->scount && !q->sigs[q->shead].left) {
		struct dmab_completion c = {
			.tag = q->sigs[q->shead].value, .op = DMAB_OP_SIGNAL,
		};

		__dmab_q_post(q, &c);
		atomic_store_explicit(&q->signaled, c.tag, memory_order_release);
		q->shead = (q->shead + 1) % q->depth;
		q->scount--;
		q->sig_epoch++;
	}
}

/* A signal: it waits for the requests of the open epoch. */
void __dmab_q_sig_push(struct dmab_queue *q, uint64_t value)
{
	struct __dmab_qsig *s = &q->sigs[(q->shead + q->scount++) % q->depth];

	s->value = value;
	s->left = q->open_left;
	q->open_left = 0;
	q->nsignals++;
	q->last_value = value;
	sig_advance(q);
}

/* A request of @epoch completed (its record is already posted). */
void __dmab_q_req_done(struct dmab_queue *q, uint64_t epoch)
{
	if (epoch == q->nsignals)
		q->open_left--;
	else
		q->sigs[(q->shead + (epoch - q->sig_epoch)) % q->depth].left--;
	sig_advance(q);
}

static void kick(struct dmab_queue *q)
{
	uint64_t one = 1;

	if (q->efd >= 0 && q->rcount)
		(void)!write(q->efd, &one, sizeof(one));
}

/* ---- requests --------------------------------------------------------------- */

static int req_idx(struct dmab_queue *q, struct __dmab_qreq *r)
{
	return (int)(r - q->reqs);
}

static void act_add(struct dmab_queue *q, struct __dmab_qreq *r)
{
	int i = req_idx(q, r);

	r->prev = q->act_tail;
	r->next = -1;
	if (q->act_tail >= 0)
		q->reqs[q->act_tail].next = i;
	else
		q->act_head = i;
	q->act_tail = i;
}

static void act_del(struct dmab_queue *q, struct __dmab_qreq *r)
{
	if (r->prev >= 0)
		q->reqs[r->prev].next = r->next;
	else
		q->act_head = r->next;
	if (r->next >= 0)
		q->reqs[r->next].prev = r->prev;
	else
		q->act_tail = r->prev;
}

/*
 * The pending list: the requests that may have pieces to issue, in enqueue
 * order, so that issuing walks those rather than every request in flight.
 * A request whose piece falls back to the compat path goes back in at its
 * place.
 */
void __dmab_q_pl_add(struct dmab_queue *q, struct __dmab_qreq *r)
{
	int i = req_idx(q, r), after = q->pl_tail;

	if (r->on_plist)
		return;
	while (after >= 0 && q->reqs[after].seq > r->seq)
		after = q->reqs[after].pprev;
	r->pprev = after;
	r->pnext = after >= 0 ? q->reqs[after].pnext : q->pl_head;
	if (r->pnext >= 0)
		q->reqs[r->pnext].pprev = i;
	else
		q->pl_tail = i;
	if (after >= 0)
		q->reqs[after].pnext = i;
	else
		q->pl_head = i;
	r->on_plist = true;
}

void __dmab_q_pl_del(struct dmab_queue *q, struct __dmab_qreq *r)
{
	if (!r->on_plist)
		return;
	if (r->pprev >= 0)
		q->reqs[r->pprev].pnext = r->pnext;
	else
		q->pl_head = r->pnext;
	if (r->pnext >= 0)
		q->reqs[r->pnext].pprev = r->pprev;
	else
		q->pl_tail = r->pprev;
	r->on_plist = false;
}

static void note_reason(struct dmab_queue *q, struct __dmab_qreq *r,
			uint32_t reason, uint64_t len)
{
	if (!r->r.reasons)
		r->r.reason = reason;
	r->r.reasons |= 1U << reason;
	__dmab_stats_fallback(&q->ctx->stats, (int)reason, len);
}

static bool issuable(const struct __dmab_qreq *r, uint32_t i)
{
	const struct __dmab_qjob *j = &r->jobs[i];

	return j->state == __DMAB_J_PENDING && !j->p.edge && !r->cancelled &&
	       i <= r->stop_after;
}

static bool has_issuable(struct __dmab_qreq *r)
{
	for (uint32_t i = r->hint; i < r->njobs; i++)
		if (issuable(r, i))
			return true;
	return false;
}

static void job_done(struct dmab_queue *q, struct __dmab_qreq *r, uint32_t i,
		     int64_t res)
{
	struct __dmab_qjob *j = &r->jobs[i];

	if (j->state == __DMAB_J_PENDING && !j->p.edge)
		q->pending--;
	j->res = res;
	j->state = __DMAB_J_DONE;
	if ((res < 0 || (uint64_t)res < j->p.len) && i < r->stop_after)
		r->stop_after = i;
}

/* A write's unaligned edges, through the page cache, once the rest is in. */
static void run_edges(struct dmab_queue *q, struct __dmab_qreq *r)
{
	for (uint32_t i = 0; i < r->njobs && i <= r->stop_after; i++) {
		struct __dmab_qjob *j = &r->jobs[i];
		int64_t res;

		if (j->state != __DMAB_J_PENDING || !j->p.edge)
			continue;
		if (!q->edge && !(q->edge = malloc(DMAB_ALIGN_MAX))) {
			job_done(q, r, i, -ENOMEM);
			continue;
		}
		r->r.compat_requests++;
		res = __dmab_compat_copy_out(r->b, &j->p, q->edge);
		if (!res)
			res = __dmab_pwrite_full(r->f->fd, q->edge, j->p.len,
						 j->p.foff);
		job_done(q, r, i, res);
	}
}

/* The request is over: post its record and give its slot back. */
static void finish(struct dmab_queue *q, struct __dmab_qreq *r)
{
	struct dmab_result *res = &r->r;
	struct dmab_completion c = { .tag = r->tag,
				     .op = r->is_write ? DMAB_OP_WRITE : DMAB_OP_READ };
	bool dropped = false;
	int64_t error = 0;
	uint64_t error_off = 0;

	bool counted = false;

	if (r->is_write && !r->cancelled)
		run_edges(q, r);
	__dmab_q_pl_del(q, r);
	for (uint32_t i = 0; i < r->njobs; i++) {
		struct __dmab_qjob *j = &r->jobs[i];

		if (j->state == __DMAB_J_PENDING && !j->p.edge)
			q->pending--;	/* never to be issued now */
		if (counted)
			continue;
		if (j->state != __DMAB_J_DONE) {
			dropped = true;
			counted = true;
			continue;
		}
		if (j->res < 0) {
			error = j->res;
			error_off = j->p.foff;
			counted = true;
			continue;
		}
		res->bytes += (uint64_t)j->res;
		if (j->p.path == __DMAB_DIRECT)
			res->direct_bytes += (uint64_t)j->res;
		else
			res->compat_bytes += (uint64_t)j->res;
		if ((uint64_t)j->res < j->p.len)
			counted = true;
	}
	if (r->cancelled && (dropped || error == -ECANCELED))
		error = -ECANCELED;
	else if (!error && dropped)
		error = -EIO;		/* cannot happen: belt and braces */
	else if (!error && r->is_write && res->bytes != r->len)
		error = -EIO;
	res->error = (int32_t)error;
	res->error_offset = error_off;
	__dmab_stats_add_result(&q->ctx->stats, r->is_write, res);
	if (error && error != -ECANCELED) {
		if (!q->failures++)
			q->err = (struct dmab_queue_error){
				.error = (int32_t)error, .op = c.op, .tag = r->tag,
				.file = r->f, .buf_off = r->buf_off,
				.file_off = r->file_off, .len = r->len,
				.error_offset = error_off,
			};
	}
	c.res = error ? error : (int64_t)res->bytes;
	c.direct_bytes = res->direct_bytes;
	c.compat_bytes = res->compat_bytes;
	c.reason = res->reason;
	c.reasons = res->reasons;
	__dmab_q_post(q, &c);
	act_del(q, r);
	if (r->jobs != r->inl)
		free(r->jobs);
	r->jobs = NULL;
	r->next = q->free_req;
	q->free_req = req_idx(q, r);
	__dmab_q_req_done(q, r->epoch);
}

static void maybe_finish(struct dmab_queue *q, struct __dmab_qreq *r)
{
	if (!r->inflight && !has_issuable(r))
		finish(q, r);
}

/*
 * A fast request moved all its bytes: the record, statistics and signal
 * bookkeeping finish() gives a request of one direct piece that did.
 */
static void fast_done(struct dmab_queue *q, struct __dmab_qreq *r)
{
	*post_slot(q) = (struct dmab_completion){
		.tag = r->tag, .res = (int64_t)r->len, .direct_bytes = r->len,
		.op = r->is_write ? DMAB_OP_WRITE : DMAB_OP_READ,
	};
	__dmab_stats_add_direct(&q->ctx->stats, r->is_write, r->len);
	act_del(q, r);
	r->next = q->free_req;
	q->free_req = req_idx(q, r);
	if (r->epoch == q->nsignals && !q->scount)
		q->open_left--;		/* no signal waits: nothing to advance */
	else
		__dmab_q_req_done(q, r->epoch);
}

/*
 * A fast request that needs more than fast_done (a refusal, a failure, a
 * short count, a cancel): give it the one job it would have had from the
 * ordinary enqueue, issued and in the kernel, and let the ordinary path go
 * on from there.
 */
static void fast_to_job(struct __dmab_qreq *r)
{
	uint64_t boff = r->b->offset + r->buf_off;

	r->fast = false;
	r->jobs = r->inl;
	r->jobs[0] = (struct __dmab_qjob){
		.p = { .foff = r->file_off, .boff = boff, .len = r->len,
		       .span_off = r->file_off, .span_len = r->len,
		       .path = __DMAB_DIRECT, .reason = DMAB_REASON_NONE },
		.slot = -1, .state = __DMAB_J_INFLIGHT,
	};
	r->njobs = 1;
	r->hint = 0;
	r->stop_after = UINT32_MAX;
	r->r = (struct dmab_result){ .direct_requests = 1 };
}

/* ---- issuing ---------------------------------------------------------------- */

static int bounce_get(struct dmab_queue *q)
{
	int s;

	if (!q->bounce) {
		uint64_t slot = DMAB_ALIGN_UP(q->ctx->set.chunk_size, DMAB_ALIGN_MAX) +
				2ULL * DMAB_ALIGN_MAX;
		uint64_t n = DMAB_Q_BOUNCE_MAX / slot;
		void *mem;

		n = n < 1 ? 1 : n > DMAB_Q_SLOTS ? DMAB_Q_SLOTS : n;
		if (posix_memalign(&mem, DMAB_PAGE, slot * n))
			return -ENOMEM;
		q->bounce = mem;
		q->slot_size = slot;
		q->nslots = (unsigned int)n;
		q->free_slots = (1U << n) - 1;
	}
	if (!q->free_slots)
		return -EAGAIN;
	s = __builtin_ctz(q->free_slots);
	q->free_slots &= ~(1U << s);
	return s;
}

static uint8_t *slot_mem(struct dmab_queue *q, int slot)
{
	return q->bounce + (uint64_t)slot * q->slot_size;
}

static void slot_put(struct dmab_queue *q, struct __dmab_qjob *j)
{
	if (j->slot >= 0)
		q->free_slots |= 1U << j->slot;
	j->slot = -1;
}

static struct io_uring_sqe *get_sqe(struct dmab_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe) {			/* the SQ is full: submit it */
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

/* A direct piece's SQE, on the registered control fd where there is one. */
static inline void prep_direct(struct dmab_queue *q, struct io_uring_sqe *sqe,
			       const struct __dmab_qreq *r, uint64_t boff,
			       uint64_t foff, uint64_t len)
{
	__dmab_direct_prep(sqe, r->f, r->token, r->is_write, boff, foff, len);
	if (q->fixed) {		/* no fget/fput of it per request */
		sqe->fd = 0;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
}

/*
 * Issue piece @i of @r: 1 issued, 0 it must wait (no bounce slot), or the
 * piece failed at once (its result is recorded) and -1 is returned.
 */
static int issue(struct dmab_queue *q, struct __dmab_qreq *r, uint32_t i)
{
	struct __dmab_qjob *j = &r->jobs[i];
	struct io_uring_sqe *sqe;
	int slot;

	if (j->p.path == __DMAB_COMPAT) {
		slot = bounce_get(q);
		if (slot == -EAGAIN)
			return 0;
		if (slot < 0) {
			job_done(q, r, i, slot);
			return -1;
		}
		j->slot = slot;
		if (r->is_write) {
			int ret = __dmab_compat_copy_out(r->b, &j->p,
							 slot_mem(q, slot));

			if (ret) {
				slot_put(q, j);
				job_done(q, r, i, ret);
				return -1;
			}
		}
	}
	sqe = get_sqe(q);
	if (!sqe) {			/* cannot happen: inflight < depth */
		slot_put(q, j);
		return 0;
	}
	if (j->p.path == __DMAB_DIRECT) {
		r->r.direct_requests++;
		prep_direct(q, sqe, r, j->p.boff, j->p.foff, j->p.len);
	} else if (r->is_write) {
		r->r.compat_requests++;
		io_uring_prep_write(sqe, r->f->cfd, slot_mem(q, j->slot),
				    (unsigned int)j->p.len, j->p.foff);
	} else {
		r->r.compat_requests++;
		io_uring_prep_read(sqe, r->f->cfd, slot_mem(q, j->slot),
				   (unsigned int)j->p.span_len, j->p.span_off);
	}
	io_uring_sqe_set_data64(sqe, (uint64_t)req_idx(q, r) << 32 | i);
	j->state = __DMAB_J_INFLIGHT;
	q->pending--;
	q->inflight++;
	r->inflight++;
	return 1;
}

/*
 * Put what can be issued into the submission queue, in enqueue order (the
 * pending list's). A request leaves the list once nothing of it is left
 * to issue; one that failed at once or has only a write's edges (run by
 * finish) completes here.
 */
static void issue_all(struct dmab_queue *q)
{
	int next;

	for (int ri = q->pl_head; ri >= 0 && q->inflight < q->depth; ri = next) {
		struct __dmab_qreq *r = &q->reqs[ri];

		next = r->pnext;
		while (r->hint < r->njobs && r->jobs[r->hint].state != __DMAB_J_PENDING)
			r->hint++;
		for (uint32_t i = r->hint; i < r->njobs && q->inflight < q->depth; i++) {
			if (!issuable(r, i))
				continue;
			if (!issue(q, r, i))
				break;		/* no bounce slot: later */
		}
		if (!has_issuable(r)) {
			__dmab_q_pl_del(q, r);
			maybe_finish(q, r);
		}
	}
}

/* Hand the submission queue to the kernel; a full CQ is not an error. */
static int submit(struct dmab_queue *q)
{
	int ret = io_uring_submit(&q->ring);

	return ret < 0 && ret != -EAGAIN && ret != -EBUSY && ret != -EINTR ? ret : 0;
}

/* ---- completions ------------------------------------------------------------ */

static void complete(struct dmab_queue *q, uint64_t ud, int64_t res)
{
	struct __dmab_qreq *r;
	struct __dmab_qjob *j;
	uint32_t i = (uint32_t)ud, reason;
	uint8_t *mem;

	if (ud & DMAB_Q_UD_CANCEL) {
		q->cancels--;
		return;
	}
	r = &q->reqs[ud >> 32];
	if (r->fast) {
		/* a fast request is never cancelled (cancel_req makes it a job) */
		if (res == (int64_t)r->len) {
			q->inflight--;
			fast_done(q, r);
			return;
		}
		fast_to_job(r);
	}
	j = &r->jobs[i];
	q->inflight--;
	r->inflight--;
	if (j->p.path == __DMAB_DIRECT) {
		if (res < 0 && res != -ECANCELED &&
		    __dmab_refused(r->f, r->b, r->is_write, (int)res, &reason) &&
		    q->ctx->set.compat != DMAB_COMPAT_OFF) {
			note_reason(q, r, reason, j->p.len);
			__dmab_piece_to_compat(&j->p, reason, r->f->calign,
					       r->is_write);
			j->state = __DMAB_J_PENDING;
			if (!j->p.edge)
				q->pending++;
			if (i < r->hint)
				r->hint = i;
			__dmab_q_pl_add(q, r);
		} else {
			if (res < 0 && __dmab_direct_fallback((int)res, &reason)) {
				if (!r->r.reasons)	/* compat off: say why */
					r->r.reason = reason;
				r->r.reasons |= 1U << reason;
			}
			job_done(q, r, i, res);
		}
		maybe_finish(q, r);
		return;
	}
	mem = slot_mem(q, j->slot);
	res = __dmab_compat_complete(r->f, r->b, &j->p, mem, r->is_write, res);
	slot_put(q, j);
	job_done(q, r, i, res);
	maybe_finish(q, r);
}

/* Take every CQE there is; true if there was one. */
static bool drain_cqes(struct dmab_queue *q)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	/* complete() never touches the ring's CQ: advance once for all */
	io_uring_for_each_cqe(&q->ring, head, cqe) {
		complete(q, io_uring_cqe_get_data64(cqe), cqe->res);
		n++;
	}
	io_uring_cq_advance(&q->ring, n);
	return n;
}

/* Issue, submit and take completions until nothing more moves. */
static int progress(struct dmab_queue *q)
{
	int ret;

	do {
		issue_all(q);
		ret = submit(q);
		if (ret)
			return ret;
	} while (drain_cqes(q));
	return 0;
}

/* ---- the API ---------------------------------------------------------------- */

int dmab_queue_new(struct dmab_ctx *ctx, unsigned int depth,
		   unsigned int flags, struct dmab_queue **qp)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
	};
	struct dmab_queue *q;
	int ret;

	if (!ctx || !qp || flags || depth > DMAB_QUEUE_DEPTH_MAX)
		return -EINVAL;
	if (!depth)
		depth = ctx->set.queue_depth;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	atomic_flag_clear(&q->busy);
	q->ctx = ctx;
	q->depth = depth;
	q->efd = -1;
	q->act_head = q->act_tail = -1;
	q->pl_head = q->pl_tail = -1;
	q->reqs = calloc(depth, sizeof(*q->reqs));
	q->ready = calloc(depth, sizeof(*q->ready));
	q->sigs = calloc(depth, sizeof(*q->sigs));
	if (!q->reqs || !q->ready || !q->sigs) {
		ret = -ENOMEM;
		goto free;
	}
	for (unsigned int i = 0; i < depth; i++)
		q->reqs[i].next = i + 1 < depth ? (int)i + 1 : -1;
	q->free_req = 0;
	/* CQ = 2 x SQ: room for depth pieces and depth cancels */
	ret = io_uring_queue_init_params(depth, &q->ring, &p);
	if (ret)
		goto free;
	/* without it (no module: compat only; an old kernel) the fd is looked up */
	q->fixed = ctx->ctl >= 0 &&
		   !io_uring_register_files(&q->ring, &ctx->ctl, 1);
	*qp = q;
	return 0;
free:
	free(q->reqs);
	free(q->ready);
	free(q->sigs);
	free(q);
	return ret;
}

static void cancel_req(struct dmab_queue *q, struct __dmab_qreq *r)
{
	r->cancelled = true;
	if (r->fast) {
		fast_to_job(r);
		/*
		 * Its SQE not yet taken by the kernel (no SQPOLL: the kernel
		 * reads SQEs only in this thread's io_uring_enter): make it a
		 * NOP whose CQE is ignored, and the piece one never issued, so
		 * that a cancel before submit drops it as it drops any piece.
		 */
		if ((int)(r->sqe_pos -
			  io_uring_smp_load_acquire(q->ring.sq.khead)) >= 0) {
			struct io_uring_sqe *sqe =
				&q->ring.sq.sqes[(r->sqe_pos & q->ring.sq.ring_mask) << 1];

			io_uring_prep_nop(sqe);		/* SQE128: index << 1 */
			io_uring_sqe_set_data64(sqe, DMAB_Q_UD_CANCEL);
			q->cancels++;
			q->inflight--;
			r->inflight = 0;
			r->jobs[0].state = __DMAB_J_PENDING;
			r->r.direct_requests = 0;
			q->pending++;		/* finish() counts it out */
		}
	}
	for (uint32_t i = 0; i < r->njobs; i++) {
		struct __dmab_qjob *j = &r->jobs[i];
		struct io_uring_sqe *sqe;

		if (j->state != __DMAB_J_INFLIGHT || q->cancels >= q->depth)
			continue;
		sqe = get_sqe(q);
		if (!sqe)
			continue;
		io_uring_prep_cancel64(sqe, (uint64_t)req_idx(q, r) << 32 | i, 0);
		io_uring_sqe_set_data64(sqe, DMAB_Q_UD_CANCEL);
		q->cancels++;
	}
	maybe_finish(q, r);
}

int dmab_queue_free(struct dmab_queue *q)
{
	struct io_uring_cqe *cqe;
	int next, ret;

	ENTER(q);
	for (int ri = q->act_head; ri >= 0; ri = next) {
		next = q->reqs[ri].next;
		if (!q->reqs[ri].cancelled)
			cancel_req(q, &q->reqs[ri]);
	}
	io_uring_submit(&q->ring);
	/* the kernel may still write the bounce slots: wait for every piece */
	while (q->inflight || q->cancels) {
		drain_cqes(q);
		if (!q->inflight && !q->cancels)
			break;
		ret = io_uring_wait_cqe(&q->ring, &cqe);
		if (ret && ret != -EINTR && ret != -EAGAIN) {
			q->bounce = NULL;	/* leaked rather than reused */
			break;
		}
	}
	io_uring_queue_exit(&q->ring);
	if (q->efd >= 0)
		close(q->efd);
	for (unsigned int i = 0; i < q->depth; i++)
		if (q->reqs[i].jobs && q->reqs[i].jobs != q->reqs[i].inl)
			free(q->reqs[i].jobs);
	free(q->bounce);
	free(q->edge);
	free(q->reqs);
	free(q->ready);
	free(q->sigs);
	free(q);
	return 0;
}

struct add_ctx {
	struct __dmab_qreq *r;
};

static void add_piece(const struct __dmab_piece *p, void *arg)
{
	struct __dmab_qreq *r = ((struct add_ctx *)arg)->r;

	r->jobs[r->njobs++] = (struct __dmab_qjob){ .p = *p, .slot = -1 };
}

/* What every request starts with, on either enqueue path. */
static inline void req_init(struct dmab_queue *q, struct __dmab_qreq *r,
			    struct dmab_file *f, struct dmab_buf *b,
			    uint64_t buf_off, uint64_t file_off, uint64_t len,
			    uint64_t tag, bool is_write, uint32_t token)
{
	r->seq = q->seq++;
	r->tag = tag;
	r->f = f;
	r->b = b;
	r->buf_off = buf_off;
	r->file_off = file_off;
	r->len = len;
	r->epoch = q->nsignals;
	r->token = token;
	r->is_write = is_write;
	r->cancelled = false;
}

/*
 * The common request, one whole direct piece, when nothing enqueued before
 * it waits to be issued and the SQ has room: its SQE is prepared here, in
 * the place issue_all() would have given it, and it has no jobs until it
 * needs one (fast_to_job). Submitted as any issued piece is.
 */
static int enqueue_fast(struct dmab_queue *q, struct io_uring_sqe *sqe,
			struct dmab_file *f, struct dmab_buf *b,
			uint64_t buf_off, uint64_t file_off, uint64_t len,
			uint64_t tag, bool is_write, uint32_t token)
{
	int i = q->free_req;		/* used < depth: there is one */
	struct __dmab_qreq *r = &q->reqs[i];

	q->free_req = r->next;
	req_init(q, r, f, b, buf_off, file_off, len, tag, is_write, token);
	r->fast = true;
	r->inflight = 1;
	r->sqe_pos = q->ring.sq.sqe_tail - 1;
	prep_direct(q, sqe, r, b->offset + buf_off, file_off, len);
	io_uring_sqe_set_data64(sqe, (uint64_t)i << 32);
	q->inflight++;
	q->used++;
	q->open_left++;
	act_add(q, r);
	return 0;
}

static int enqueue(struct dmab_queue *q, struct dmab_file *f,
		   struct dmab_buf *b, uint64_t buf_off, uint64_t file_off,
		   uint64_t len, uint64_t tag, bool is_write)
{
	struct dmab_result res = { 0 };
	struct __dmab_seg seg[3];
	struct __dmab_qreq *r;
	struct add_ctx ac;
	uint64_t n = 0, chunk = q->ctx->set.chunk_size;
	uint32_t reason, token = 0;
	unsigned int nseg;
	int ret, next;

	ret = __dmab_check_args(f, b, is_write, buf_off, file_off, len);
	if (ret)
		return ret;
	if (f->ctx != q->ctx)
		return -EINVAL;
	if (q->used >= q->depth) {
		ret = progress(q);
		if (ret)
			return ret;
		if (q->used >= q->depth)
			return -EAGAIN;	/* reap first */
	}
	reason = __dmab_direct_reason(f, b, is_write);
	/* the token, once made, never changes: no call for it then */
	if (len && reason == DMAB_REASON_NONE &&
	    !(token = atomic_load_explicit(&b->token, memory_order_acquire)) &&
	    __dmab_buf_token(b, &token))
		reason = b->direct_reason;
	if (reason == DMAB_REASON_NONE && len && len <= chunk && f->block_size &&
	    !((file_off | (b->offset + buf_off) | len) % f->block_size)) {
		struct io_uring_sqe *sqe;

		/* pending requests go first: only when none waits */
		if (q->pl_head < 0 && q->inflight < q->depth &&
		    (sqe = io_uring_get_sqe(&q->ring)))
			return enqueue_fast(q, sqe, f, b, buf_off, file_off, len,
					    tag, is_write, token);
		/* the common case, one whole direct piece: what planning gives */
		nseg = 1;
		seg[0] = (struct __dmab_seg){ .foff = file_off,
					      .boff = b->offset + buf_off,
					      .len = len, .path = __DMAB_DIRECT,
					      .reason = DMAB_REASON_NONE };
	} else {
		nseg = __dmab_plan(file_off, b->offset + buf_off, len, reason,
				   f->block_size, seg);
	}
	for (unsigned int i = 0; i < nseg; i++) {
		if (seg[i].path == __DMAB_COMPAT &&
		    q->ctx->set.compat == DMAB_COMPAT_OFF) {
			/* direct or nothing: refused before anything moves */
			res.reason = seg[i].reason;
			res.reasons = 1U << seg[i].reason;
			res.error = __dmab_reason_errno(seg[i].reason);
			__dmab_stats_add_result(&q->ctx->stats, is_write, &res);
			return res.error;
		}
		/* direct pieces are whole chunks: no need to walk them */
		n += seg[i].path == __DMAB_DIRECT ? (seg[i].len + chunk - 1) / chunk :
		     __dmab_pieces(&seg[i], is_write, chunk, f->calign, NULL, NULL);
	}
	if (n > UINT32_MAX - 1)
		return -EINVAL;
	r = &q->reqs[q->free_req];	/* used < depth: there is one */
	next = r->next;
	/* every field but the inline jobs, which add_piece writes */
	r->jobs = n <= 3 ? r->inl : malloc(n * sizeof(*r->jobs));
	if (!r->jobs)
		return -ENOMEM;		/* the slot stays free */
	r->on_plist = false;
	req_init(q, r, f, b, buf_off, file_off, len, tag, is_write, token);
	r->fast = false;
	r->njobs = 0;
	r->hint = 0;
	r->inflight = 0;
	r->stop_after = UINT32_MAX;
	r->r = (struct dmab_result){ 0 };
	q->free_req = next;
	ac.r = r;
	if (nseg == 1 && n == 1 && seg[0].path == __DMAB_DIRECT) {
		r->jobs[0] = (struct __dmab_qjob){
			.p = { .foff = seg[0].foff, .boff = seg[0].boff,
			       .len = seg[0].len, .span_off = seg[0].foff,
			       .span_len = seg[0].len, .path = __DMAB_DIRECT,
			       .reason = DMAB_REASON_NONE },
			.slot = -1,
		};
		r->njobs = 1;
		q->pending++;
	} else {
		for (unsigned int i = 0; i < nseg; i++) {
			if (seg[i].path == __DMAB_COMPAT)
				note_reason(q, r, seg[i].reason, seg[i].len);
			__dmab_pieces(&seg[i], is_write, chunk, f->calign,
				      add_piece, &ac);
		}
		for (uint32_t i = 0; i < r->njobs; i++)
			if (!r->jobs[i].p.edge)
				q->pending++;
	}
	q->used++;
	q->open_left++;
	act_add(q, r);
	__dmab_q_pl_add(q, r);
	if (!r->njobs) {		/* nothing to move */
		finish(q, r);
		kick(q);
		return 0;
	}
	/*
	 * More is waiting than the submission queue holds: submit it. Not
	 * when it is just full, so that a caller who refills the queue after
	 * a reap submits the lot with one system call. The request is in
	 * either way; a ring error shows at the next submit or reap.
	 */
	if (q->pending > q->depth - q->inflight) {
		issue_all(q);
		(void)submit(q);
	}
	return 0;
}

int dmab_queue_read(struct dmab_queue *q, struct dmab_file *file,
		    struct dmab_buf *buf, uint64_t buf_off, uint64_t file_off,
		    uint64_t len, uint64_t tag)
{
	ENTER(q);
	LEAVE(q, enqueue(q, file, buf, buf_off, file_off, len, tag, false));
}

int dmab_queue_write(struct dmab_queue *q, struct dmab_file *file,
		     struct dmab_buf *buf, uint64_t buf_off, uint64_t file_off,
		     uint64_t len, uint64_t tag)
{
	ENTER(q);
	LEAVE(q, enqueue(q, file, buf, buf_off, file_off, len, tag, true));
}

int dmab_queue_signal(struct dmab_queue *q, uint64_t value)
{
	int ret;

	ENTER(q);
	if (value <= q->last_value)
		LEAVE(q, -EINVAL);	/* a timeline only goes forward */
	if (q->used >= q->depth) {
		ret = progress(q);
		if (ret)
			LEAVE(q, ret);
		if (q->used >= q->depth)
			LEAVE(q, -EAGAIN);
	}
	q->used++;
	__dmab_q_sig_push(q, value);
	kick(q);
	LEAVE(q, 0);
}

int dmab_queue_submit(struct dmab_queue *q)
{
	ENTER(q);
	LEAVE(q, progress(q));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dmab_queue_reap(struct dmab_queue *q, struct dmab_completion *comps,
		    unsigned int max, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	struct io_uring_cqe *cqe;
	unsigned int n, head;
	uint64_t cnt;
	int ret;

	ENTER(q);
	if (!comps || !max || timeout_ms < -1)
		LEAVE(q, -EINVAL);
	if (q->efd >= 0)
		(void)!read(q->efd, &cnt, sizeof(cnt));	/* rearmed below */
	for (;;) {
		if (q->pl_head >= 0)
			issue_all(q);
		if (drain_cqes(q))
			continue;
		/*
		 * Records to hand back, or nothing in the kernel can make a
		 * request complete: submit what was issued, never wait.
		 * Otherwise submit and wait in one system call, as a raw
		 * io_uring_submit_and_wait() loop does.
		 */
		if (q->rcount || q->act_head < 0 || !timeout_ms ||
		    (!q->inflight && !q->cancels)) {
			if (!io_uring_sq_ready(&q->ring))
				break;		/* nothing to submit */
			ret = submit(q);
			if (ret)
				LEAVE(q, ret);
			if (drain_cqes(q))
				continue;
			break;
		}
		if (timeout_ms < 0) {
			ret = io_uring_submit_and_wait(&q->ring, 1);
			ret = ret > 0 ? 0 : ret;
		} else {
			int64_t left = deadline - now_ms();
			struct __kernel_timespec ts;

			if (left <= 0) {
				ret = submit(q);
				if (ret)
					LEAVE(q, ret);
				break;
			}
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			/* SQEs submitted, or -errno (-ETIME: none came) */
			ret = io_uring_submit_and_wait_timeout(&q->ring, &cqe, 1,
							       &ts, NULL);
			ret = ret > 0 ? 0 : ret;
		}
		if (ret == -ETIME) {
			drain_cqes(q);
			break;
		}
		if (ret && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			LEAVE(q, ret);
	}
	n = q->rcount < max ? q->rcount : max;
	head = q->rhead;
	for (unsigned int i = 0; i < n; i++) {
		comps[i] = q->ready[head];
		if (++head == q->depth)
			head = 0;
	}
	q->rhead = head;
	q->rcount -= n;
	q->used -= n;
	kick(q);		/* records left: the eventfd stays readable */
	/*
	 * Nothing left that could post a CQE: clear what the CQEs this call
	 * consumed wrote to the eventfd since it was read above, so that it
	 * is not readable with nothing to reap.
	 */
	if (q->efd >= 0 && !q->rcount && q->act_head < 0 && !q->cancels)
		(void)!read(q->efd, &cnt, sizeof(cnt));
	LEAVE(q, (int)n);
}

int dmab_queue_cancel(struct dmab_queue *q, uint64_t tag)
{
	int next, n = 0;

	ENTER(q);
	for (int ri = q->act_head; ri >= 0; ri = next) {
		struct __dmab_qreq *r = &q->reqs[ri];

		next = r->next;
		if (r->tag != tag || r->cancelled)
			continue;
		cancel_req(q, r);
		n++;
	}
	if (!n)
		LEAVE(q, -ENOENT);
	io_uring_submit(&q->ring);
	kick(q);
	LEAVE(q, n);
}

int dmab_queue_eventfd(struct dmab_queue *q)
{
	int fd, ret;

	ENTER(q);
	if (q->efd < 0) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			LEAVE(q, -errno);
		ret = io_uring_register_eventfd(&q->ring, fd);
		if (ret) {
			close(fd);
			LEAVE(q, ret);
		}
		q->efd = fd;
		kick(q);
	}
	LEAVE(q, q->efd);
}

int dmab_queue_signaled(struct dmab_queue *q, uint64_t *value)
{
	if (!q || !value)
		return -EINVAL;
	*value = atomic_load_explicit(&q->signaled, memory_order_acquire);
	return 0;
}

int dmab_queue_error(struct dmab_queue *q, struct dmab_queue_error *err)
{
	uint32_t n;

	ENTER(q);
	if (!err)
		LEAVE(q, -EINVAL);
	*err = q->err;
	n = q->failures;
	q->err = (struct dmab_queue_error){ 0 };
	q->failures = 0;
	LEAVE(q, (int)(n > INT32_MAX ? INT32_MAX : n));
}
