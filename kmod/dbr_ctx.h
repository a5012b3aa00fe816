/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dbr_ctx.h - contexts: one per open file description of /dev/dmabridge,
 * owning the tokens created through it (dbr_ctx.c). dbr_uapi.c turns the
 * ioctls into calls here; requests (dbr_io.c) look their token up here.
 */
#ifndef DBR_CTX_H
#define DBR_CTX_H

#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct dbr_token;

/**
 * struct dbr_ctx - one open file description of /dev/dmabridge
 * @tokens: id -> struct dbr_token; the xarray holds the context's reference.
 *	An id being created is reserved (reads as no token) until its
 *	creator published it.
 * @lock: serialises the removal of tokens (TOKEN_DESTROY), so that a
 *	removal never takes another creator's reservation, nor a removal a
 *	publication's token (see @fast)
 * @fast: the published tokens of ids below DBR_CTX_FAST_TOKENS again, for
 *	the request path: one load instead of an xarray walk per request.
 *	Set after @tokens on publication, cleared before it on removal.
 */
#define DBR_CTX_FAST_TOKENS	64
struct dbr_ctx {
	struct xarray		tokens;
	struct mutex		lock;	/* see above */
	struct dbr_token __rcu	*fast[DBR_CTX_FAST_TOKENS];
};

struct dbr_ctx *dbr_ctx_new(void);
void dbr_ctx_free(struct dbr_ctx *ctx);

int dbr_ctx_token_reserve(struct dbr_ctx *ctx, u32 *id);
void dbr_ctx_token_unreserve(struct dbr_ctx *ctx, u32 id);
void dbr_ctx_token_publish(struct dbr_ctx *ctx, u32 id, struct dbr_token *tok);
int dbr_ctx_token_remove(struct dbr_ctx *ctx, u32 id);
struct dbr_token *dbr_ctx_token_get(struct dbr_ctx *ctx, u32 id);

#endif /* DBR_CTX_H */
