// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dmab_read() and dmab_write(): plan the request (plan.c), cut it into
 * pieces, run them (direct pieces through the module, compat pieces
 * through a bounce buffer) with up to queue_depth in flight on the borrowed
 * engine's io_uring, move pieces the module refuses with a fallback errno
 * to the compat path, and report the bytes that arrived: the pieces in file
 * order up to the first failure or short piece.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "internal.h"

enum { JOB_PENDING, JOB_INFLIGHT, JOB_DONE };

struct job {
	struct __dmab_piece p;
	int64_t res;		/* bytes, or -errno */
	int slot;		/* compat bounce slot while in flight */
	uint8_t state;
};

struct call {
	struct dmab_file *f;
	struct dmab_buf *b;
	struct __dmab_engine *e;
	struct dmab_result *r;
	bool is_write, compat_off;
	uint32_t token;
	uint64_t len;
	struct job *jobs;
	uint64_t njobs;
	uint64_t *queue;	/* job indices to issue, in order */
	uint64_t qhead, qtail;
	uint64_t stop_after;	/* no job after this index is issued */
	uint32_t free_slots;	/* bitmask of bounce slots */
	unsigned int inflight;
	bool broken;		/* the ring cannot be trusted any more */
};

static void note_reason(struct call *c, uint32_t reason, uint64_t len)
{
	if (!c->r->reasons)
		c->r->reason = reason;
	c->r->reasons |= 1U << reason;
	__dmab_stats_fallback(&c->f->ctx->stats, (int)reason, len);
}

static void add_piece(const struct __dmab_piece *p, void *arg)
{
	struct call *c = arg;
	struct job *j = &c->jobs[c->njobs];

	*j = (struct job){ .p = *p, .slot = -1 };
	c->queue[c->qtail++] = c->njobs++;
}

static void sticky(_Atomic uint32_t *where, uint32_t reason)
{
	uint32_t none = DMAB_REASON_NONE;

	atomic_compare_exchange_strong(where, &none, reason);
}

/*
 * A direct request on @f and @b failed with @err: true if the compat path
 * can serve it (@reason says why it must), after recording what the
 * module's refusal says about the file or buffer, for good.
 */
bool __dmab_refused(struct dmab_file *f, struct dmab_buf *b, bool is_write,
		    int err, uint32_t *reason)
{
	if (!__dmab_direct_fallback(err, reason))
		return false;
	if (err == -EXDEV) {
		sticky(&f->read_reason, DMAB_REASON_MODULE_REFUSED);
		sticky(&f->write_reason, DMAB_REASON_MODULE_REFUSED);
	} else if (err == -EINVAL && is_write) {
		*reason = DMAB_REASON_WOULD_BUFFER;
		sticky(&f->write_reason, *reason);
	} else if (err == -EOPNOTSUPP) {
		sticky(&b->direct_reason, DMAB_REASON_EXPORTER);
	}
	return true;
}

/* Turn a refused direct piece into a compat piece of the same bytes. */
void __dmab_piece_to_compat(struct __dmab_piece *p, uint32_t reason,
			    uint32_t calign, bool is_write)
{
	uint64_t a = calign;

	p->path = __DMAB_COMPAT;
	p->reason = reason;
	p->span_off = DMAB_ALIGN_DOWN(p->foff, a);
	p->span_len = DMAB_ALIGN_UP(p->foff + p->len, a) - p->span_off;
	p->edge = is_write && (p->foff % a || p->len % a);
}

/*
 * A direct piece failed with @err. Returns true if it moved to the compat
 * path (and is to be issued again), false if @err is the piece's result.
 */
static bool fall_back(struct call *c, struct job *j, int err)
{
	uint32_t reason;

	if (!__dmab_refused(c->f, c->b, c->is_write, err, &reason))
		return false;
	if (c->compat_off) {
		if (!c->r->reasons)
			c->r->reason = reason;
		c->r->reasons |= 1U << reason;
		return false;
	}
	note_reason(c, reason, j->p.len);
	__dmab_piece_to_compat(&j->p, reason, c->f->calign, c->is_write);
	return true;
}

static void job_done(struct call *c, uint64_t idx, int64_t res)
{
	struct job *j = &c->jobs[idx];

	j->res = res;
	j->state = JOB_DONE;
	/* after a failure or a short read nothing later is worth issuing */
	if ((res < 0 || (uint64_t)res < j->p.len) && idx < c->stop_after)
		c->stop_after = idx;
}

/* ---- one piece at a time -------------------------------------------------- */

static int64_t run_sync(struct call *c, struct job *j)
{
	uint8_t *bounce = c->e->bounce;
	int64_t r;

	if (j->p.path == __DMAB_DIRECT) {
		c->r->direct_requests++;
		r = __dmab_direct_sync(c->f, c->token, c->is_write, j->p.boff,
				       j->p.foff, j->p.len);
		if (r >= 0 || !fall_back(c, j, (int)r))
			return r;
	}
	c->r->compat_requests++;
	return c->is_write ? __dmab_compat_write_sync(c->f, c->b, &j->p, bounce) :
			     __dmab_compat_read_sync(c->f, c->b, &j->p, bounce);
}

static void exec_sync(struct call *c)
{
	for (uint64_t i = 0; i < c->njobs && i <= c->stop_after; i++)
		job_done(c, i, run_sync(c, &c->jobs[i]));
}

/* ---- many in flight ------------------------------------------------------- */

static uint8_t *slot_mem(struct call *c, int slot)
{
	return c->e->bounce + (uint64_t)slot * c->e->slot_size;
}

static int slot_get(struct call *c)
{
	int s;

	if (!c->free_slots)
		return -1;
	s = __builtin_ctz(c->free_slots);
	c->free_slots &= ~(1U << s);
	return s;
}

static void slot_put(struct call *c, struct job *j)
{
	if (j->slot >= 0)
		c->free_slots |= 1U << j->slot;
	j->slot = -1;
}

/* Queue one job's request; false if it must wait for a bounce slot. */
static bool issue(struct call *c, uint64_t idx)
{
	struct job *j = &c->jobs[idx];
	struct io_uring_sqe *sqe;
	int ret;

	if (j->p.path == __DMAB_COMPAT) {
		j->slot = slot_get(c);
		if (j->slot < 0)
			return false;
		if (c->is_write) {
			ret = __dmab_compat_copy_out(c->b, &j->p,
						     slot_mem(c, j->slot));
			if (ret) {
				slot_put(c, j);
				job_done(c, idx, ret);
				return true;
			}
		}
	}
	sqe = io_uring_get_sqe(&c->e->ring);	/* never NULL: inflight < qd */
	if (j->p.path == __DMAB_DIRECT) {
		c->r->direct_requests++;
		__dmab_direct_prep(sqe, c->f, c->token, c->is_write, j->p.boff,
				   j->p.foff, j->p.len);
	} else if (c->is_write) {
		c->r->compat_requests++;
		io_uring_prep_write(sqe, c->f->cfd, slot_mem(c, j->slot),
				    (unsigned int)j->p.len, j->p.foff);
	} else {
		c->r->compat_requests++;
		io_uring_prep_read(sqe, c->f->cfd, slot_mem(c, j->slot),
				   (unsigned int)j->p.span_len, j->p.span_off);
	}
	io_uring_sqe_set_data64(sqe, idx);
	j->state = JOB_INFLIGHT;
	c->inflight++;
	return true;
}

static void complete(struct call *c, uint64_t idx, int64_t res)
{
	struct job *j = &c->jobs[idx];
	uint8_t *mem;

	c->inflight--;
	if (j->p.path == __DMAB_DIRECT) {
		if (res < 0 && fall_back(c, j, (int)res)) {
			j->state = JOB_PENDING;
			c->queue[c->qtail++] = idx;
			return;
		}
		job_done(c, idx, res);
		return;
	}
	mem = slot_mem(c, j->slot);
	res = __dmab_compat_complete(c->f, c->b, &j->p, mem, c->is_write, res);
	slot_put(c, j);
	job_done(c, idx, res);
}

static int reap(struct call *c)
{
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_submit_and_wait(&c->e->ring, 1);
	if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
		return ret;
	do {
		ret = io_uring_wait_cqe(&c->e->ring, &cqe);
	} while (ret == -EINTR);
	if (ret)
		return ret;
	do {
		uint64_t idx = io_uring_cqe_get_data64(cqe);
		int64_t res = cqe->res;

		io_uring_cqe_seen(&c->e->ring, cqe);
		complete(c, idx, res);
	} while (io_uring_peek_cqe(&c->e->ring, &cqe) == 0);
	return 0;
}

static void exec_ring(struct call *c)
{
	unsigned int qd = c->e->qd;
	int ret;

	c->free_slots = (1U << c->e->nslots) - 1;	/* nslots <= 8 */
	for (;;) {
		while (c->qhead < c->qtail && c->inflight < qd) {
			uint64_t idx = c->queue[c->qhead];
			struct job *j = &c->jobs[idx];

			if (idx > c->stop_after) {	/* not needed any more */
				c->qhead++;
				continue;
			}
			if (j->p.edge) {		/* after the ring drains */
				c->qhead++;
				continue;
			}
			if (!issue(c, idx))
				break;
			c->qhead++;
		}
		if (!c->inflight)
			break;
		ret = reap(c);
		if (ret) {
			/* requests may still be in the kernel: drop the ring */
			c->broken = true;
			for (uint64_t i = 0; i < c->njobs; i++)
				if (c->jobs[i].state == JOB_INFLIGHT)
					job_done(c, i, ret);
			return;
		}
	}
	/* unaligned write edges, through the page cache, once the rest is in */
	for (uint64_t i = 0; i < c->njobs && i <= c->stop_after; i++) {
		struct job *j = &c->jobs[i];

		if (j->p.edge && j->state == JOB_PENDING)
			job_done(c, i, run_sync(c, j));
	}
}

/* ---- the call ----------------------------------------------------------- */

static void account(struct call *c)
{
	struct dmab_result *r = c->r;

	for (uint64_t i = 0; i < c->njobs; i++) {
		struct job *j = &c->jobs[i];

		if (j->state != JOB_DONE)
			break;
		if (j->res < 0) {
			r->error = (int32_t)j->res;
			r->error_offset = j->p.foff;
			break;
		}
		r->bytes += (uint64_t)j->res;
		if (j->p.path == __DMAB_DIRECT)
			r->direct_bytes += (uint64_t)j->res;
		else
			r->compat_bytes += (uint64_t)j->res;
		if ((uint64_t)j->res < j->p.len)
			break;
	}
	/* every write piece moves all its bytes or fails: belt and braces */
	if (!r->error && c->is_write && r->bytes != c->len)
		r->error = -EIO;
}

int __dmab_check_args(struct dmab_file *f, struct dmab_buf *b, bool is_write,
		      uint64_t buf_off, uint64_t file_off, uint64_t len)
{
	if (!f || !b || f->ctx != b->ctx)
		return -EINVAL;
	if (!(b->flags & (is_write ? DMAB_BUF_WRITE : DMAB_BUF_READ)))
		return -EBADF;
	if (f->accmode == (is_write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	if (buf_off > b->length || len > b->length - buf_off)
		return -ERANGE;
	if (file_off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - file_off)
		return -EINVAL;
	return 0;
}

/* The reason the whole request cannot go direct, or NONE. */
uint32_t __dmab_direct_reason(struct dmab_file *f, struct dmab_buf *b,
			      bool is_write)
{
	uint32_t reason = is_write ? f->write_reason : f->read_reason;

	if (reason == DMAB_REASON_NONE)
		reason = b->direct_reason;
	return reason;
}

static int rw(struct dmab_file *f, struct dmab_buf *b, uint64_t buf_off,
	      uint64_t file_off, uint64_t len, struct dmab_result *res,
	      bool is_write)
{
	struct dmab_result local;
	struct call c = { .f = f, .b = b, .is_write = is_write, .r = res,
			  .len = len, .stop_after = UINT64_MAX };
	struct __dmab_seg seg[3];
	uint64_t boff, chunk, n = 0, slot, nslots;
	uint32_t reason;
	unsigned int nseg;
	int ret;

	if (!res)
		c.r = res = &local;
	*res = (struct dmab_result){ 0 };
	ret = __dmab_check_args(f, b, is_write, buf_off, file_off, len);
	if (ret) {
		res->error = ret;	/* not counted: the context may be unknown */
		return ret;
	}
	if (!len)
		return 0;
	c.compat_off = f->ctx->set.compat == DMAB_COMPAT_OFF;
	chunk = f->ctx->set.chunk_size;
	boff = b->offset + buf_off;

	reason = __dmab_direct_reason(f, b, is_write);
	if (reason == DMAB_REASON_NONE && __dmab_buf_token(b, &c.token))
		reason = b->direct_reason;
	nseg = __dmab_plan(file_off, boff, len, reason, f->block_size, seg);
	for (unsigned int i = 0; i < nseg; i++) {
		if (seg[i].path != __DMAB_COMPAT)
			continue;
		if (c.compat_off) {
			res->reason = seg[i].reason;
			res->reasons = 1U << seg[i].reason;
			ret = __dmab_reason_errno(seg[i].reason);
			goto out;
		}
		note_reason(&c, seg[i].reason, seg[i].len);
	}
	for (unsigned int i = 0; i < nseg; i++)
		n += __dmab_pieces(&seg[i], is_write, chunk, f->calign, NULL, NULL);
	c.jobs = malloc(n * sizeof(*c.jobs));
	c.queue = malloc(2 * n * sizeof(*c.queue));	/* each may fall back once */
	c.e = __dmab_engine_get(f->ctx);
	/* a slot holds a compat piece's span: a chunk plus alignment both sides */
	slot = DMAB_ALIGN_UP(chunk, f->calign) + 2ULL * f->calign;
	nslots = DMAB_BOUNCE_MAX / slot;
	nslots = nslots < 1 ? 1 : nslots > DMAB_COMPAT_SLOTS ? DMAB_COMPAT_SLOTS : nslots;
	if (!c.jobs || !c.queue || !c.e ||
	    __dmab_engine_bounce(c.e, slot, (unsigned int)nslots)) {
		ret = -ENOMEM;
		goto free;
	}
	for (unsigned int i = 0; i < nseg; i++)
		__dmab_pieces(&seg[i], is_write, chunk, f->calign, add_piece, &c);

	if (c.njobs == 1 || !c.e->ring_ok)
		exec_sync(&c);
	else
		exec_ring(&c);
	account(&c);
	ret = res->error;
free:
	if (c.e && c.broken)
		__dmab_engine_free(c.e);
	else if (c.e)
		__dmab_engine_put(f->ctx, c.e);
	free(c.queue);
	free(c.jobs);
out:
	res->error = ret;
	__dmab_stats_add_result(&f->ctx->stats, is_write, res);
	return ret;
}

int dmab_read(struct dmab_file *file, struct dmab_buf *buf, uint64_t buf_off,
	      uint64_t file_off, uint64_t len, struct dmab_result *res)
{
	return rw(file, buf, buf_off, file_off, len, res, false);
}

int dmab_write(struct dmab_file *file, struct dmab_buf *buf, uint64_t buf_off,
	       uint64_t file_off, uint64_t len, struct dmab_result *res)
{
	return rw(file, buf, buf_off, file_off, len, res, true);
}
