/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dbr_ctx.h - contexts: one per open file description of /dev/dmabridge,
 * owning the tokens created through it (dbr_ctx.c). dbr_uapi.c turns the
 * ioctls into calls here; requests (dbr_io.c) look their token up here.
 */
#ifndef DBR_CTX_H
#define DBR_CTX_H

#include <linux/bitmap.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <uapi/linux/dmabridge.h>

struct block_device;
struct dbr_token;
struct dbr_token_dev;
struct file;

/**
 * struct dbr_ctx_target - a registered target (DMABRIDGE_IOC_TARGET_REGISTER)
 * @ref: the context's reference while registered, plus one per request
 * @file: the target file (a reference, dropped with the last @ref)
 * @bdev: the disk its data is on, as dbr_io.c found it at registration
 * @tdev: the dmabridge controller of @bdev; @file keeps it alive
 * @rcu: freed after a grace period: requests look it up locklessly
 */
struct dbr_ctx_target {
	struct kref		ref;
	struct file		*file;
	struct block_device	*bdev;
	struct dbr_token_dev	*tdev;
	struct rcu_head		rcu;
};

/**
 * struct dbr_ctx - one open file description of /dev/dmabridge
 * @tokens: id -> struct dbr_token; the xarray holds the context's reference.
 *	An id being created is reserved (reads as no token) until its
 *	creator published it.
 * @lock: serialises the removal of tokens (TOKEN_DESTROY), so that a
 *	removal never takes another creator's reservation; and every change
 *	of @targets and @target_used
 * @fast: the published tokens of ids below DBR_CTX_FAST_TOKENS again, for
 *	the request path: one load instead of an xarray walk per request.
 *	Set after @tokens on publication, cleared before it on removal.
 * @targets: registered targets by index; read locklessly by requests
 * @target_used: indexes registered or being registered (reserved, as
 *	token ids are: the index is copied out before the target is published)
 */
#define DBR_CTX_FAST_TOKENS	64
struct dbr_ctx {
	struct xarray		tokens;
	struct mutex		lock;	/* see above */
	struct dbr_token __rcu	*fast[DBR_CTX_FAST_TOKENS];
	struct dbr_ctx_target __rcu *targets[DMABRIDGE_MAX_TARGETS];
	DECLARE_BITMAP(target_used, DMABRIDGE_MAX_TARGETS);
};

struct dbr_ctx *dbr_ctx_new(void);
void dbr_ctx_free(struct dbr_ctx *ctx);

int dbr_ctx_token_reserve(struct dbr_ctx *ctx, u32 *id);
void dbr_ctx_token_unreserve(struct dbr_ctx *ctx, u32 id);
void dbr_ctx_token_publish(struct dbr_ctx *ctx, u32 id, struct dbr_token *tok);
int dbr_ctx_token_remove(struct dbr_ctx *ctx, u32 id);
struct dbr_token *dbr_ctx_token_get(struct dbr_ctx *ctx, u32 id);

int dbr_ctx_target_reserve(struct dbr_ctx *ctx, u32 *index);
void dbr_ctx_target_unreserve(struct dbr_ctx *ctx, u32 index);
void dbr_ctx_target_publish(struct dbr_ctx *ctx, u32 index,
			    struct dbr_ctx_target *t);
int dbr_ctx_target_remove(struct dbr_ctx *ctx, u32 index);
struct dbr_ctx_target *dbr_ctx_target_get(struct dbr_ctx *ctx, u32 index);
void __dbr_ctx_target_release(struct kref *ref);

/** dbr_ctx_target_put() - drop a reference to a registered target; any context */
static inline void dbr_ctx_target_put(struct dbr_ctx_target *t)
{
	kref_put(&t->ref, __dbr_ctx_target_release);
}

#endif /* DBR_CTX_H */
