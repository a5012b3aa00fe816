// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The context: settings, the control device, statistics and a pool of
 * engines (an io_uring and bounce buffers each) that synchronous calls
 * borrow, so that concurrent calls from many threads never share a ring.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dmabridge.h>

#include "engine.h"
#include "internal.h"

/* The ABI the library is built against (docs/abi.md): pinned here too. */
static_assert(sizeof(struct dmabridge_version) == 16, "dmabridge_version");
static_assert(sizeof(struct dmabridge_token_create) == 40,
	      "dmabridge_token_create");
static_assert(sizeof(struct dmabridge_io) == 64, "dmabridge_io");

static const char *env_lookup(const char *name, void *arg)
{
	(void)arg;
	return secure_getenv(name);
}

/* Open the control device; the reason it cannot be used, or NONE. */
static uint32_t ctl_open(struct dmab_ctx *ctx)
{
	struct dmabridge_version v = { 0 };
	int fd;

	fd = open(ctx->set.ctl_path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENODEV || errno == ENXIO ?
		       DMAB_REASON_NO_MODULE : DMAB_REASON_CTL_ACCESS;
	if (ioctl(fd, DMABRIDGE_IOC_VERSION, &v) || v.major != DMABRIDGE_ABI_MAJOR) {
		ctx->set.abi_major = v.major;
		ctx->set.abi_minor = v.minor;
		close(fd);
		return DMAB_REASON_ABI_MISMATCH;
	}
	ctx->set.abi_major = v.major;
	ctx->set.abi_minor = v.minor;
	ctx->ctl = fd;
	return DMAB_REASON_NONE;
}

int dmab_ctx_new(const struct dmab_ctx_opts *opts, struct dmab_ctx **ctxp)
{
	struct dmab_ctx *ctx;
	int ret;

	if (!ctxp)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->ctl = -1;
	ret = __dmab_settings_resolve(opts, env_lookup, NULL, &ctx->set);
	if (ret)
		goto free_ctx;
	ctx->set.module_reason = ctl_open(ctx);
	if (ctx->set.module_reason != DMAB_REASON_NONE &&
	    ctx->set.compat == DMAB_COMPAT_OFF) {
		/* off means direct or nothing */
		ret = __dmab_reason_errno(ctx->set.module_reason);
		goto free_ctx;
	}
	ret = -pthread_mutex_init(&ctx->lock, NULL);
	if (ret)
		goto close_ctl;
	*ctxp = ctx;
	return 0;

close_ctl:
	if (ctx->ctl >= 0)
		close(ctx->ctl);
free_ctx:
	free(ctx);
	return ret;
}

void dmab_ctx_free(struct dmab_ctx *ctx)
{
	struct __dmab_engine *e;

	if (!ctx)
		return;
	while ((e = ctx->idle)) {
		ctx->idle = e->next;
		__dmab_engine_free(e);
	}
	pthread_mutex_destroy(&ctx->lock);
	if (ctx->ctl >= 0)
		close(ctx->ctl);	/* destroys every token of the context */
	free(ctx);
}

int dmab_ctx_settings(const struct dmab_ctx *ctx, struct dmab_settings *s)
{
	if (!ctx || !s)
		return -EINVAL;
	*s = ctx->set;
	return 0;
}

/* ---- engines ------------------------------------------------------------ */

static struct __dmab_engine *engine_new(struct dmab_ctx *ctx)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32,
	};
	struct __dmab_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->qd = ctx->set.queue_depth;
	/* without a ring (seccomp, old kernel) calls run one request at a time */
	e->ring_ok = e->qd > 1 &&
		     io_uring_queue_init_params(e->qd, &e->ring, &p) == 0;
	return e;
}

void __dmab_engine_free(struct __dmab_engine *e)
{
	if (e->ring_ok)
		io_uring_queue_exit(&e->ring);
	free(e->bounce);
	free(e);
}

struct __dmab_engine *__dmab_engine_get(struct dmab_ctx *ctx)
{
	struct __dmab_engine *e;

	pthread_mutex_lock(&ctx->lock);
	e = ctx->idle;
	if (e)
		ctx->idle = e->next;
	pthread_mutex_unlock(&ctx->lock);
	return e ? e : engine_new(ctx);
}

void __dmab_engine_put(struct dmab_ctx *ctx, struct __dmab_engine *e)
{
	pthread_mutex_lock(&ctx->lock);
	e->next = ctx->idle;
	ctx->idle = e;
	pthread_mutex_unlock(&ctx->lock);
}

/*
 * Bounce slots of at least @slot bytes, page aligned (O_DIRECT needs the
 * memory aligned too); kept across calls.
 */
int __dmab_engine_bounce(struct __dmab_engine *e, uint64_t slot,
			 unsigned int nslots)
{
	void *mem;

	slot = DMAB_ALIGN_UP(slot, DMAB_PAGE);
	if (e->bounce && e->slot_size >= slot && e->nslots >= nslots)
		return 0;
	free(e->bounce);
	e->bounce = NULL;
	if (posix_memalign(&mem, DMAB_PAGE, slot * nslots))
		return -ENOMEM;
	e->bounce = mem;
	e->slot_size = slot;
	e->nslots = nslots;
	return 0;
}
