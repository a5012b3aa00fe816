// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The streamer: a libdmabridge queue, a completion thread that reaps it
 * when its eventfd fires, and a Vulkan timeline semaphore that the thread
 * signals with each library signal's value. A queue belongs to one thread
 * at a time (-EBUSY otherwise), so the enqueueing thread and the
 * completion thread take turns under one mutex; neither holds it while
 * waiting.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <dmabridge/dmabridge_vk.h>

struct dmab_vk_streamer {
	VkDevice dev;
	VkSemaphore sem;
	struct dmab_queue *q;
	int qfd;		/* the queue's eventfd */
	int stopfd;		/* eventfd: stop the thread */
	pthread_t thread;
	pthread_mutex_t lock;	/* the queue, stats, last value */
	uint64_t last_value;	/* last value enqueued */
	struct dmab_vk_stream_stats stats;
	dmab_vk_completion_fn fn;
	void *arg;
	int thread_error;	/* -errno that stopped the thread */
};

static void account(struct dmab_vk_streamer *s, const struct dmab_completion *c)
{
	if (c->op == DMAB_OP_SIGNAL)
		return;
	s->stats.reads++;
	s->stats.reasons |= c->reasons;
	s->stats.direct_bytes += c->direct_bytes;
	s->stats.compat_bytes += c->compat_bytes;
	if (c->res >= 0)
		s->stats.bytes += (uint64_t)c->res;
	else if (!s->stats.failed++)
		dmab_queue_error(s->q, &s->stats.error);
}

/* Reap what is ready; signal the semaphore for every signal record. */
static int drain(struct dmab_vk_streamer *s)
{
	struct dmab_completion c[16];
	int n, i, total = 0;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		n = dmab_queue_reap(s->q, c, 16, 0);
		for (i = 0; i < n; i++)
			account(s, &c[i]);
		pthread_mutex_unlock(&s->lock);
		if (n <= 0)
			return n < 0 ? n : total;
		for (i = 0; i < n; i++) {
			VkSemaphoreSignalInfo si = {
				.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
				.semaphore = s->sem, .value = c[i].tag,
			};
			VkResult r;

			if (s->fn)
				s->fn(s->arg, &c[i]);
			if (c[i].op != DMAB_OP_SIGNAL)
				continue;
			r = vkSignalSemaphore(s->dev, &si);
			if (r != VK_SUCCESS)
				return dmab_vk_errno(r);
		}
		total += n;
	}
}

static void *completion_thread(void *arg)
{
	struct dmab_vk_streamer *s = arg;
	struct pollfd p[2] = {
		{ .fd = s->qfd, .events = POLLIN },
		{ .fd = s->stopfd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		/*
		 * The eventfd is never missed (dmab_queue_eventfd(3)); the
		 * timeout only bounds how late a piece the library issues
		 * from a reap (compat copies, refills) is pushed on.
		 */
		if (poll(p, 2, 20) < 0 && errno != EINTR) {
			s->thread_error = -errno;
			return NULL;
		}
		ret = drain(s);
		if (ret < 0) {
			s->thread_error = ret;
			return NULL;
		}
		if (p[1].revents & POLLIN) {
			uint64_t done;

			pthread_mutex_lock(&s->lock);
			ret = dmab_queue_signaled(s->q, &done);
			pthread_mutex_unlock(&s->lock);
			if (ret || done >= s->last_value)
				return NULL;
		}
	}
}

int dmab_vk_streamer_new(struct dmab_ctx *ctx, VkDevice dev,
			 unsigned int depth, struct dmab_vk_streamer **sp,
			 struct dmab_vk_status *st)
{
	VkSemaphoreTypeCreateInfo tci = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
		.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
	};
	VkSemaphoreCreateInfo sci = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &tci,
	};
	struct dmab_vk_streamer *s;
	VkResult r;
	int ret;

	if (!ctx || !dev || !sp)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dev = dev;
	s->stopfd = -1;
	pthread_mutex_init(&s->lock, NULL);
	r = vkCreateSemaphore(dev, &sci, NULL, &s->sem);
	if (r != VK_SUCCESS) {
		ret = dmab_vk_errno(r);
		if (st) {
			st->error = ret;
			st->result = r;
			snprintf(st->what, sizeof(st->what),
				 "vkCreateSemaphore(TIMELINE): %s",
				 dmab_vk_result_name(r));
		}
		goto free_s;
	}
	ret = dmab_queue_new(ctx, depth, 0, &s->q);
	if (ret) {
		s->q = NULL;
		goto name_it;
	}
	s->qfd = dmab_queue_eventfd(s->q);
	if (s->qfd < 0) {
		ret = s->qfd;
		goto name_it;
	}
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stopfd < 0) {
		ret = -errno;
		goto name_it;
	}
	ret = -pthread_create(&s->thread, NULL, completion_thread, s);
	if (ret)
		goto name_it;
	/* so that tools (and vk-loader's CPU accounting) can tell it apart */
	pthread_setname_np(s->thread, "dmab-vk-stream");
	*sp = s;
	return 0;
name_it:
	if (st) {
		st->error = ret;
		st->result = VK_SUCCESS;
		snprintf(st->what, sizeof(st->what),
			 "the streamer's libdmabridge queue: %s", strerror(-ret));
	}
free_s:
	if (s->stopfd >= 0)
		close(s->stopfd);
	if (s->q)
		dmab_queue_free(s->q);
	if (s->sem)
		vkDestroySemaphore(dev, s->sem, NULL);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return ret;
}

VkSemaphore dmab_vk_streamer_semaphore(const struct dmab_vk_streamer *s)
{
	return s ? s->sem : VK_NULL_HANDLE;
}

void dmab_vk_streamer_set_callback(struct dmab_vk_streamer *s,
				   dmab_vk_completion_fn fn, void *arg)
{
	pthread_mutex_lock(&s->lock);
	s->fn = fn;
	s->arg = arg;
	pthread_mutex_unlock(&s->lock);
}

/* Retry while the queue is full: the completion thread frees entries. */
static int enqueue(struct dmab_vk_streamer *s, int is_signal,
		   struct dmab_file *file, struct dmab_buf *buf,
		   uint64_t buf_off, uint64_t file_off, uint64_t len,
		   uint64_t tag)
{
	int ret;

	for (;;) {
		if (s->thread_error)
			return s->thread_error;
		pthread_mutex_lock(&s->lock);
		if (is_signal) {
			ret = dmab_queue_signal(s->q, tag);
			if (!ret)
				s->last_value = tag;
		} else {
			ret = dmab_queue_read(s->q, file, buf, buf_off,
					      file_off, len, tag);
		}
		if (!ret)
			ret = dmab_queue_submit(s->q);
		pthread_mutex_unlock(&s->lock);
		if (ret != -EAGAIN)
			return ret;
		poll(NULL, 0, 1);
	}
}

int dmab_vk_streamer_read(struct dmab_vk_streamer *s, struct dmab_file *file,
			  struct dmab_buf *buf, uint64_t buf_off,
			  uint64_t file_off, uint64_t len, uint64_t tag)
{
	if (!s)
		return -EINVAL;
	return enqueue(s, 0, file, buf, buf_off, file_off, len, tag);
}

int dmab_vk_streamer_signal(struct dmab_vk_streamer *s, uint64_t value)
{
	if (!s)
		return -EINVAL;
	return enqueue(s, 1, NULL, NULL, 0, 0, 0, value);
}

int dmab_vk_streamer_wait(struct dmab_vk_streamer *s, uint64_t value,
			  uint64_t timeout_ns)
{
	VkSemaphoreWaitInfo wi = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
		.semaphoreCount = 1, .pSemaphores = &s->sem, .pValues = &value,
	};

	if (!s)
		return -EINVAL;
	return dmab_vk_errno(vkWaitSemaphores(s->dev, &wi, timeout_ns));
}

int dmab_vk_streamer_stats(struct dmab_vk_streamer *s,
			   struct dmab_vk_stream_stats *stats)
{
	if (!s || !stats)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	*stats = s->stats;
	pthread_mutex_unlock(&s->lock);
	return s->thread_error;
}

int dmab_vk_streamer_free(struct dmab_vk_streamer *s)
{
	uint64_t one = 1;
	int ret;

	if (!s)
		return -EINVAL;
	if (write(s->stopfd, &one, sizeof(one)) < 0)
		return -errno;
	pthread_join(s->thread, NULL);
	ret = s->thread_error;
	close(s->stopfd);
	dmab_queue_free(s->q);
	vkDestroySemaphore(s->dev, s->sem, NULL);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return ret;
}
