// SPDX-License-Identifier: GPL-2.0
/*
 * The asynchronous queue's parts that need no device: the pending list
 * keeps enqueue order (also for a request put back after a fallback),
 * signals complete in
 * order and only after every request enqueued before them (the bookkeeping
 * driven directly), the busy flag turns a second thread away with EBUSY,
 * also while the first is still inside a call's work (io_uring_submit()
 * is interposed here to hold it there), and the public calls' errnos on a
 * queue with nothing but signals in it (a real io_uring; skipped where
 * the host has none); and the whole-block fast path on a file and buffer
 * made by hand, with /dev/null and /dev/zero for the module (test_fast).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "queue.h"

/* A queue with only the bookkeeping: no ring. */
static struct dmab_queue *fake(unsigned int depth)
{
	static struct dmab_completion ready[64];
	static struct __dmab_qsig sigs[64];
	static struct dmab_queue q;

	memset(&q, 0, sizeof(q));
	memset(ready, 0, sizeof(ready));
	q.depth = depth;
	q.ready = ready;
	q.sigs = sigs;
	return &q;
}

static unsigned int pop(struct dmab_queue *q, struct dmab_completion *c)
{
	unsigned int n = q->rcount;

	for (unsigned int i = 0; i < n; i++)
		c[i] = q->ready[(q->rhead + i) % q->depth];
	q->rhead = (q->rhead + n) % q->depth;
	q->rcount = 0;
	return n;
}

/* A request of the open epoch, as enqueue() counts it. */
static uint64_t req(struct dmab_queue *q)
{
	q->open_left++;
	return q->nsignals;
}

static void done(struct dmab_queue *q, uint64_t epoch, uint64_t tag)
{
	struct dmab_completion c = { .tag = tag, .op = DMAB_OP_READ };

	__dmab_q_post(q, &c);
	__dmab_q_req_done(q, epoch);
}

static void test_signals(void)
{
	struct dmab_completion c[64];
	struct dmab_queue *q = fake(16);
	uint64_t a, b, d, e;
	unsigned int n;

	/* nothing before it: a signal completes at once */
	__dmab_q_sig_push(q, 5);
	n = pop(q, c);
	CHECK(n == 1 && c[0].op == DMAB_OP_SIGNAL && c[0].tag == 5, "n %u", n);
	CHECK(q->signaled == 5, "signaled %llu", (unsigned long long)q->signaled);

	/* A B | S10 | D | S20 E: complete D, B, E, A in that order */
	a = req(q);
	b = req(q);
	__dmab_q_sig_push(q, 10);
	d = req(q);
	__dmab_q_sig_push(q, 20);
	e = req(q);
	CHECK(pop(q, c) == 0, "signals completed early");
	done(q, d, 4);
	n = pop(q, c);
	CHECK(n == 1 && c[0].tag == 4, "after D: n %u", n);
	CHECK(q->signaled == 5, "a signal completed before its requests");
	done(q, b, 2);
	done(q, e, 5);
	n = pop(q, c);
	CHECK(n == 2 && c[0].tag == 2 && c[1].tag == 5, "after B, E: n %u", n);
	CHECK(q->signaled == 5, "S10 completed before A");
	done(q, a, 1);
	n = pop(q, c);
	/* A, then S10, then S20 (its only request, D, was already done) */
	CHECK(n == 3 && c[0].tag == 1 && c[1].op == DMAB_OP_SIGNAL &&
	      c[1].tag == 10 && c[2].op == DMAB_OP_SIGNAL && c[2].tag == 20,
	      "after A: n %u, %llu %llu", n, (unsigned long long)c[1].tag,
	      (unsigned long long)c[2].tag);
	CHECK(q->signaled == 20 && q->scount == 0 && q->open_left == 0,
	      "signaled %llu, %u signals left", (unsigned long long)q->signaled,
	      q->scount);

	/* the FIFOs wrap around */
	for (unsigned int round = 0; round < 40; round++) {
		uint64_t x = req(q);

		__dmab_q_sig_push(q, 100 + round);
		CHECK(pop(q, c) == 0, "round %u: signal before its request", round);
		done(q, x, round);
		n = pop(q, c);
		CHECK(n == 2 && c[1].tag == 100 + round, "round %u: n %u", round, n);
	}
}

static void test_busy(void)
{
	struct dmab_completion c;
	struct dmab_queue_error err;
	struct dmab_queue *q = fake(4);
	uint64_t v;

	atomic_flag_test_and_set(&q->busy);	/* another thread is inside */
	CHECK(dmab_queue_submit(q) == -EBUSY, "submit");
	CHECK(dmab_queue_signal(q, 1) == -EBUSY, "signal");
	CHECK(dmab_queue_reap(q, &c, 1, 0) == -EBUSY, "reap");
	CHECK(dmab_queue_cancel(q, 1) == -EBUSY, "cancel");
	CHECK(dmab_queue_eventfd(q) == -EBUSY, "eventfd");
	CHECK(dmab_queue_error(q, &err) == -EBUSY, "error");
	CHECK(dmab_queue_read(q, NULL, NULL, 0, 0, 1, 0) == -EBUSY, "read");
	CHECK(dmab_queue_write(q, NULL, NULL, 0, 0, 1, 0) == -EBUSY, "write");
	CHECK(dmab_queue_free(q) == -EBUSY, "free");
	/* the one call meant for other threads */
	CHECK(dmab_queue_signaled(q, &v) == 0, "signaled");
	atomic_flag_clear(&q->busy);
}

/*
 * liburing's io_uring_submit(), held once on request: the library's call
 * that reaches it (dmab_queue_submit() through progress()) is then inside
 * its work, where the busy flag must still be held.
 */
static atomic_int hold_submit;
static sem_t in_submit, release_submit;

int io_uring_submit(struct io_uring *ring)
{
	static int (*real)(struct io_uring *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "io_uring_submit");
	if (atomic_exchange(&hold_submit, 0)) {
		sem_post(&in_submit);
		sem_wait(&release_submit);
	}
	return real(ring);
}

/* A context without the module (compat only), as on a host without it. */
static struct dmab_ctx *ctx_without_module(void)
{
	struct dmab_ctx_opts opts = { .size = sizeof(opts),
				      .set = DMAB_OPT_CTL_PATH | DMAB_OPT_NO_ENV,
				      .ctl_path = "/nonexistent/dmabridge" };
	struct dmab_ctx *ctx = NULL;

	CHECK(dmab_ctx_new(&opts, &ctx) == 0, "ctx");
	return ctx;
}

/* A queue of 4 on @ctx; NULL (and @ctx freed) where the host has no io_uring. */
static struct dmab_queue *queue_or_skip(struct dmab_ctx *ctx)
{
	struct dmab_queue *q = NULL;
	int ret = dmab_queue_new(ctx, 4, 0, &q);

	if (ret == -ENOSYS || ret == -EPERM) {
		printf("skip: no io_uring on this host (%s)\n", strerror(-ret));
		dmab_ctx_free(ctx);
		return NULL;
	}
	CHECK(ret == 0, "queue_new: %s", strerror(-ret));
	return ret ? NULL : q;
}

static void *submitter(void *p)
{
	return (void *)(intptr_t)dmab_queue_submit(p);
}

static void test_busy_inside(void)
{
	struct dmab_completion c;
	struct dmab_queue *q;
	struct dmab_ctx *ctx;
	pthread_t th;
	void *res;
	int ret;

	ctx = ctx_without_module();
	q = queue_or_skip(ctx);
	if (!q)
		return;
	sem_init(&in_submit, 0, 0);
	sem_init(&release_submit, 0, 0);
	atomic_store(&hold_submit, 1);
	CHECK(pthread_create(&th, NULL, submitter, q) == 0, "pthread_create");
	sem_wait(&in_submit);		/* the other thread is in its submit */
	ret = dmab_queue_submit(q);
	CHECK(ret == -EBUSY, "submit beside a submit at work: %d", ret);
	ret = dmab_queue_reap(q, &c, 1, 0);
	CHECK(ret == -EBUSY, "reap beside a submit at work: %d", ret);
	ret = dmab_queue_signal(q, 1);
	CHECK(ret == -EBUSY, "signal beside a submit at work: %d", ret);
	sem_post(&release_submit);
	pthread_join(th, &res);
	CHECK((intptr_t)res == 0, "the held submit: %d", (int)(intptr_t)res);
	CHECK(dmab_queue_signal(q, 1) == 0, "the flag was not given back");
	CHECK(dmab_queue_free(q) == 0, "free");
	dmab_ctx_free(ctx);
	sem_destroy(&in_submit);
	sem_destroy(&release_submit);
}

static void test_api(void)
{
	struct dmab_completion c[8];
	struct dmab_queue_error err;
	struct dmab_queue *q;
	struct dmab_ctx *ctx;
	struct pollfd pfd;
	uint64_t v = 1, cnt;
	int ret, efd;

	ctx = ctx_without_module();
	CHECK(dmab_queue_new(NULL, 4, 0, &q) == -EINVAL, "no ctx");
	CHECK(dmab_queue_new(ctx, 4, 1, &q) == -EINVAL, "flags");
	CHECK(dmab_queue_new(ctx, DMAB_QUEUE_DEPTH_MAX + 1, 0, &q) == -EINVAL, "depth");
	CHECK(dmab_queue_new(ctx, 4, 0, NULL) == -EINVAL, "no qp");
	q = queue_or_skip(ctx);
	if (!q)
		return;
	CHECK(dmab_queue_free(NULL) == -EINVAL, "free NULL");
	CHECK(dmab_queue_signaled(q, &v) == 0 && v == 0, "nothing signaled: %llu",
	      (unsigned long long)v);
	CHECK(dmab_queue_signaled(q, NULL) == -EINVAL, "signaled NULL");
	CHECK(dmab_queue_reap(q, c, 8, -1) == 0, "reap of nothing waits");
	CHECK(dmab_queue_reap(q, NULL, 8, 0) == -EINVAL, "reap NULL");
	CHECK(dmab_queue_reap(q, c, 0, 0) == -EINVAL, "reap max 0");
	CHECK(dmab_queue_reap(q, c, 8, -2) == -EINVAL, "reap timeout -2");
	CHECK(dmab_queue_cancel(q, 7) == -ENOENT, "cancel of nothing");
	CHECK(dmab_queue_read(q, NULL, NULL, 0, 0, 1, 0) == -EINVAL, "read NULL");
	CHECK(dmab_queue_error(q, NULL) == -EINVAL, "error NULL");
	CHECK(dmab_queue_error(q, &err) == 0 && err.error == 0, "no error");
	CHECK(dmab_queue_submit(q) == 0, "submit of nothing");
	efd = dmab_queue_eventfd(q);
	CHECK(efd >= 0, "eventfd: %s", strerror(-efd));
	CHECK(dmab_queue_eventfd(q) == efd, "a second eventfd");
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0, "eventfd readable with nothing done");
	CHECK(dmab_queue_signal(q, 0) == -EINVAL, "signal 0");
	CHECK(dmab_queue_signal(q, 3) == 0, "signal 3");
	CHECK(dmab_queue_signal(q, 3) == -EINVAL, "signal 3 again");
	CHECK(dmab_queue_signal(q, 2) == -EINVAL, "signal backwards");
	CHECK(poll(&pfd, 1, 0) == 1, "eventfd not readable after a signal");
	for (uint64_t s = 4; s < 7; s++)
		CHECK(dmab_queue_signal(q, s) == 0, "signal %llu", (unsigned long long)s);
	CHECK(dmab_queue_signal(q, 9) == -EAGAIN, "a full queue");
	CHECK(dmab_queue_signaled(q, &v) == 0 && v == 6, "signaled %llu",
	      (unsigned long long)v);
	ret = dmab_queue_reap(q, c, 2, 1000);
	CHECK(ret == 2 && c[0].tag == 3 && c[1].tag == 4 &&
	      c[0].op == DMAB_OP_SIGNAL, "reap 2: %d", ret);
	CHECK(poll(&pfd, 1, 0) == 1, "eventfd not readable with records left");
	ret = dmab_queue_reap(q, c, 8, 0);
	CHECK(ret == 2 && c[0].tag == 5 && c[1].tag == 6, "reap the rest: %d", ret);
	CHECK(poll(&pfd, 1, 0) == 0 || (read(efd, &cnt, 8) == 8 && poll(&pfd, 1, 0) == 0),
	      "eventfd readable with nothing left");
	CHECK(dmab_queue_signal(q, 9) == 0, "room again");
	CHECK(dmab_queue_free(q) == 0, "free");
	dmab_ctx_free(ctx);
}

/* The pending list, as issue_all() walks it: "seq,seq,..." */
static const char *plist(struct dmab_queue *q)
{
	static char out[128];
	size_t n = 0;

	out[0] = 0;
	for (int i = q->pl_head; i >= 0 && n < sizeof(out) - 8; i = q->reqs[i].pnext)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%u",
				      n ? "," : "", (unsigned int)q->reqs[i].seq);
	/* and backwards, so that a broken prev link shows too */
	for (int i = q->pl_tail, k = 0; i >= 0; i = q->reqs[i].pprev, k++)
		if (k > 8)
			return "loop";
	return out;
}

static void test_pending_list(void)
{
	static struct __dmab_qreq reqs[6];
	struct dmab_queue *q = fake(8);

	memset(reqs, 0, sizeof(reqs));
	q->reqs = reqs;
	q->pl_head = q->pl_tail = -1;
	for (int i = 0; i < 6; i++)	/* slots used out of order, as they free */
		reqs[i].seq = (uint64_t)(5 - i);
	for (int i = 5; i >= 0; i--)
		__dmab_q_pl_add(q, &reqs[i]);
	CHECK(!strcmp(plist(q), "0,1,2,3,4,5"), "enqueue order: %s", plist(q));
	__dmab_q_pl_add(q, &reqs[3]);
	CHECK(!strcmp(plist(q), "0,1,2,3,4,5"), "added twice: %s", plist(q));
	__dmab_q_pl_del(q, &reqs[5]);	/* seq 0: the head */
	__dmab_q_pl_del(q, &reqs[2]);	/* seq 3 */
	__dmab_q_pl_del(q, &reqs[0]);	/* seq 5: the tail */
	__dmab_q_pl_del(q, &reqs[0]);
	CHECK(!strcmp(plist(q), "1,2,4"), "after removals: %s", plist(q));
	CHECK(q->reqs[q->pl_tail].seq == 4 && q->reqs[q->pl_head].seq == 1,
	      "head and tail");
	/* a fallback puts a request back at its place, not at the end */
	__dmab_q_pl_add(q, &reqs[2]);
	CHECK(!strcmp(plist(q), "1,2,3,4"), "seq 3 back in: %s", plist(q));
	__dmab_q_pl_add(q, &reqs[5]);
	CHECK(!strcmp(plist(q), "0,1,2,3,4"), "seq 0 back in: %s", plist(q));
	__dmab_q_pl_add(q, &reqs[0]);
	CHECK(!strcmp(plist(q), "0,1,2,3,4,5"), "seq 5 back in: %s", plist(q));
	for (int i = 0; i < 6; i++)
		__dmab_q_pl_del(q, &reqs[i]);
	CHECK(q->pl_head == -1 && q->pl_tail == -1, "empty again");
}

/*
 * The whole-block fast path without a device: a file and a buffer made by
 * hand as the direct path would have them (a token already made), on a
 * context whose control fd is /dev/null (its io_uring command answers
 * 0: a short piece) and then /dev/zero (none: EOPNOTSUPP, a refusal the
 * compat path serves). Checks that the request is prepared at enqueue only
 * when nothing waits before it, that a cancel before submit drops it (its
 * SQE never reaches the kernel), that a short piece and a refusal go on
 * through the ordinary path into the record, the error record and the
 * statistics.
 */
static void test_fast(void)
{
	char path[] = "/tmp/dmab-test-queue-XXXXXX";
	static uint8_t data[65536];
	struct dmab_completion c[4];
	struct dmab_queue_error err;
	struct dmab_stats st;
	struct dmab_queue *q;
	struct dmab_ctx *ctx;
	int ret, ffd, bfd;

	ctx = ctx_without_module();
	ffd = mkstemp(path);
	bfd = memfd_create("dmab-test-queue", MFD_CLOEXEC);
	CHECK(ffd >= 0 && bfd >= 0, "tmp file and memfd");
	if (ffd < 0 || bfd < 0)
		return;
	unlink(path);
	for (unsigned int i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	CHECK(pwrite(ffd, data, sizeof(data), 0) == (ssize_t)sizeof(data) &&
	      ftruncate(bfd, 65536) == 0, "fill");
	ctx->ctl = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct dmab_file f = { .ctx = ctx, .fd = ffd, .cfd = ffd, .accmode = O_RDWR,
			       .read_reason = DMAB_REASON_NONE,
			       .write_reason = DMAB_REASON_NONE,
			       .block_size = 4096, .calign = 4096 };
	struct dmab_file fc = f;	/* the same file, compat only */
	struct dmab_buf b = { .ctx = ctx, .fd = bfd, .size = 65536, .length = 65536,
			      .flags = DMAB_BUF_READ, .token = 5 };

	fc.read_reason = DMAB_REASON_NOT_DMABRIDGE_DEV;
	pthread_mutex_init(&b.lock, NULL);
	ret = dmab_queue_new(ctx, 4, 0, &q);
	if (ret == -ENOSYS || ret == -EPERM || ret == -EINVAL) {
		printf("skip: no SQE128 io_uring on this host (%s)\n", strerror(-ret));
		goto out;
	}
	CHECK(ret == 0, "queue_new: %s", strerror(-ret));
	if (ret)
		goto out;
	CHECK(q->fixed, "the control fd is not the ring's file");

	/* one whole block, nothing before it: prepared at once, not pending */
	CHECK(dmab_queue_read(q, &f, &b, 0, 0, 4096, 1) == 0, "read 1");
	CHECK(q->reqs[0].fast && q->pl_head < 0 && q->pending == 0 &&
	      q->inflight == 1 && io_uring_sq_ready(&q->ring) == 1,
	      "not on the fast path: fast %d pl %d pending %u inflight %u",
	      q->reqs[0].fast, q->pl_head, q->pending, q->inflight);
	/* cancelled before submit: a NOP in its place, the request dropped */
	CHECK(dmab_queue_cancel(q, 1) == 1, "cancel 1");
	CHECK(q->inflight == 0 && q->cancels == 1, "inflight %u cancels %u",
	      q->inflight, q->cancels);
	ret = dmab_queue_reap(q, c, 4, 1000);
	CHECK(ret == 1 && c[0].tag == 1 && c[0].res == -ECANCELED &&
	      !c[0].direct_bytes && !c[0].compat_bytes && !c[0].reasons,
	      "cancelled: %d tag %llu res %lld", ret, (unsigned long long)c[0].tag,
	      (long long)c[0].res);
	CHECK(dmab_queue_reap(q, c, 4, 0) == 0 && q->cancels == 0 && q->inflight == 0,
	      "the NOP's CQE: cancels %u", q->cancels);
	CHECK(dmab_queue_error(q, &err) == 0, "a cancel is no failure");
	CHECK(dmab_ctx_stats(ctx, &st, sizeof(st)) == 0 && st.calls[0] == 1 &&
	      st.errors[ECANCELED] == 1 && !st.requests[DMAB_PATH_DIRECT][0],
	      "stats after the cancel: calls %llu ECANCELED %llu direct requests %llu",
	      (unsigned long long)st.calls[0], (unsigned long long)st.errors[ECANCELED],
	      (unsigned long long)st.requests[DMAB_PATH_DIRECT][0]);

	/* something pending before it: it waits behind, in order */
	CHECK(dmab_queue_read(q, &fc, &b, 8192, 8192, 4096, 2) == 0, "read 2");
	CHECK(dmab_queue_read(q, &f, &b, 4096, 4096, 4096, 3) == 0, "read 3");
	CHECK(q->pending == 2 && io_uring_sq_ready(&q->ring) == 0 &&
	      q->pl_head >= 0 && q->reqs[q->pl_head].tag == 2 &&
	      q->reqs[q->pl_tail].tag == 3 && !q->reqs[q->pl_tail].fast,
	      "behind a pending request: pending %u", q->pending);
	CHECK(dmab_queue_cancel(q, 2) == 1 && dmab_queue_cancel(q, 3) == 1, "cancel 2, 3");
	ret = dmab_queue_reap(q, c, 4, 1000);
	CHECK(ret == 2 && c[0].tag == 2 && c[1].tag == 3 && c[0].res == -ECANCELED &&
	      c[1].res == -ECANCELED, "cancelled pending: %d", ret);

	/* /dev/null's io_uring command answers 0: a short piece, 0 bytes */
	CHECK(dmab_ctx_stats_reset(ctx) == 0, "reset");
	CHECK(dmab_queue_read(q, &f, &b, 12288, 12288, 4096, 6) == 0, "read 6");
	ret = dmab_queue_reap(q, c, 4, 5000);
	CHECK(ret == 1 && c[0].tag == 6 && c[0].res == 0 && !c[0].direct_bytes &&
	      !c[0].compat_bytes && !c[0].reasons,
	      "short: %d tag %llu res %lld", ret, (unsigned long long)c[0].tag,
	      (long long)c[0].res);
	CHECK(dmab_ctx_stats(ctx, &st, sizeof(st)) == 0 && st.calls[0] == 1 &&
	      st.requests[DMAB_PATH_DIRECT][0] == 1 && !st.bytes[DMAB_PATH_DIRECT][0],
	      "stats after the short piece: calls %llu direct %llu",
	      (unsigned long long)st.calls[0],
	      (unsigned long long)st.requests[DMAB_PATH_DIRECT][0]);
	CHECK(dmab_queue_free(q) == 0, "free");

	/* /dev/zero has no io_uring command: EOPNOTSUPP, a refusal */
	close(ctx->ctl);
	ctx->ctl = open("/dev/zero", O_RDWR | O_CLOEXEC);
	CHECK(dmab_queue_new(ctx, 4, 0, &q) == 0 && q->fixed, "a queue on /dev/zero");
	CHECK(dmab_ctx_stats_reset(ctx) == 0, "reset");
	CHECK(dmab_queue_read(q, &f, &b, 12288, 12288, 4096, 4) == 0, "read 4");
	CHECK(q->reqs[q->act_head].fast, "read 4 not fast");
	ret = dmab_queue_reap(q, c, 4, 5000);
	/* the compat copy's DMA_BUF_IOCTL_SYNC fails on a memfd: ENOTTY */
	CHECK(ret == 1 && c[0].tag == 4 && c[0].res < 0 &&
	      c[0].reasons == 1U << DMAB_REASON_EXPORTER &&
	      c[0].reason == DMAB_REASON_EXPORTER,
	      "refused: %d tag %llu res %lld reasons %#x", ret,
	      (unsigned long long)c[0].tag, (long long)c[0].res, c[0].reasons);
	CHECK(b.direct_reason == DMAB_REASON_EXPORTER, "the refusal is not sticky");
	CHECK(dmab_queue_error(q, &err) == 1 && err.tag == 4 && err.file == &f &&
	      err.error == c[0].res && err.file_off == 12288 && err.len == 4096 &&
	      err.op == DMAB_OP_READ, "error record: tag %llu error %d",
	      (unsigned long long)err.tag, err.error);
	CHECK(dmab_ctx_stats(ctx, &st, sizeof(st)) == 0 && st.calls[0] == 1 &&
	      st.requests[DMAB_PATH_DIRECT][0] == 1 &&
	      st.requests[DMAB_PATH_COMPAT][0] == 1 &&
	      st.fallbacks[DMAB_REASON_EXPORTER] == 1 &&
	      st.fallback_bytes[DMAB_REASON_EXPORTER] == 4096 &&
	      st.errors[-c[0].res] == 1,
	      "stats after the refusal: calls %llu direct %llu compat %llu",
	      (unsigned long long)st.calls[0],
	      (unsigned long long)st.requests[DMAB_PATH_DIRECT][0],
	      (unsigned long long)st.requests[DMAB_PATH_COMPAT][0]);
	/* the buffer is compat now: no more fast requests for it */
	CHECK(dmab_queue_read(q, &f, &b, 0, 0, 4096, 5) == 0, "read 5");
	CHECK(!q->reqs[q->act_tail].fast, "fast after the buffer went compat");
	/* freed with a request never submitted */
	CHECK(dmab_queue_free(q) == 0, "free");
out:
	if (b.map)
		munmap(b.map, b.map_len);
	pthread_mutex_destroy(&b.lock);
	close(ctx->ctl);
	ctx->ctl = -1;
	dmab_ctx_free(ctx);
	close(ffd);
	close(bfd);
}

int main(void)
{
	test_fast();
	test_pending_list();
	test_signals();
	test_busy();
	test_busy_inside();
	test_api();
	if (failures)
		return 1;
	printf("ok: queue bookkeeping, busy flag, errnos without a device\n");
	return 0;
}
