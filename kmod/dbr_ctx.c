// SPDX-License-Identifier: GPL-2.0
/*
 * Contexts: the tokens and registered targets of one open file description
 * of /dev/dmabridge. Closing it (or the process dying) destroys the tokens,
 * after their requests drained, and drops the targets.
 *
 * A token's id is reserved first and the token published last, so that
 * nothing touches a token once another thread may destroy it: a
 * TOKEN_DESTROY of the (predictable, lowest free) id may free it at once.
 * A reserved id reads as no token for requests and for removal.
 */
#include <linux/file.h>
#include <linux/mutex.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "dbr_ctx.h"
#include "dbr_token.h"

/** dbr_ctx_new() - a context for a new open file of /dev/dmabridge */
struct dbr_ctx *dbr_ctx_new(void)
{
	struct dbr_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return NULL;
	xa_init_flags(&ctx->tokens, XA_FLAGS_ALLOC1);
	mutex_init(&ctx->lock);
	return ctx;
}

/**
 * dbr_ctx_free() - the file's last reference went: destroy its tokens
 * @ctx: context
 *
 * No ioctl or io_uring command is running on the file (both hold a file
 * reference), but requests may still hold tokens: dbr_token_destroy()
 * waits for them.
 */
void dbr_ctx_free(struct dbr_ctx *ctx)
{
	struct dbr_ctx_target *t;
	struct dbr_token *tok;
	unsigned long id;
	unsigned int i;

	for (i = 0; i < DMABRIDGE_MAX_TARGETS; i++) {
		t = rcu_dereference_protected(ctx->targets[i], true);
		if (t)
			dbr_ctx_target_put(t);
	}
	xa_for_each(&ctx->tokens, id, tok) {
		if (id < DBR_CTX_FAST_TOKENS)
			RCU_INIT_POINTER(ctx->fast[id], NULL);
		if (xa_erase(&ctx->tokens, id) == tok)
			dbr_token_destroy(tok);
	}
	xa_destroy(&ctx->tokens);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
}

/**
 * dbr_ctx_token_reserve() - reserve the lowest free token id
 * @ctx: context
 * @id: the id
 *
 * Return: 0, -ENOSPC when the context holds DBR_CTX_MAX_TOKENS, -ENOMEM.
 */
int dbr_ctx_token_reserve(struct dbr_ctx *ctx, u32 *id)
{
	int ret = xa_alloc(&ctx->tokens, id, NULL,
			   XA_LIMIT(1, DBR_CTX_MAX_TOKENS), GFP_KERNEL);

	return ret == -EBUSY ? -ENOSPC : ret;
}

/** dbr_ctx_token_unreserve() - give a reserved, unpublished id back */
void dbr_ctx_token_unreserve(struct dbr_ctx *ctx, u32 id)
{
	xa_release(&ctx->tokens, id);
}

/**
 * dbr_ctx_token_publish() - make a reserved id name @tok
 * @ctx: context
 * @id: id from dbr_ctx_token_reserve()
 * @tok: the token; the context takes the caller's reference
 *
 * The caller must not touch @tok afterwards: it belongs to the context, and
 * another thread may destroy it at once.
 */
void dbr_ctx_token_publish(struct dbr_ctx *ctx, u32 id, struct dbr_token *tok)
{
	/*
	 * Under the removal lock: a TOKEN_DESTROY of @id between the two
	 * stores would free @tok and leave it in @fast.
	 */
	mutex_lock(&ctx->lock);
	/* the slot exists: storing into a reservation allocates nothing */
	xa_store(&ctx->tokens, id, tok, GFP_KERNEL);
	if (id < DBR_CTX_FAST_TOKENS)
		rcu_assign_pointer(ctx->fast[id], tok);
	mutex_unlock(&ctx->lock);
}

/**
 * dbr_ctx_token_remove() - destroy a published token
 * @ctx: context
 * @id: token id
 *
 * Returns once the token's requests completed and it is unmapped and
 * detached everywhere (dbr_token_destroy()).
 *
 * Return: 0, or -ENOENT if @ctx has no published token @id.
 */
int dbr_ctx_token_remove(struct dbr_ctx *ctx, u32 id)
{
	struct dbr_token *tok = NULL;

	if (!id)
		return -ENOENT;
	/*
	 * xa_erase() of a reserved id would drop a creator's reservation and
	 * let a second creator take the id: remove published tokens only.
	 */
	mutex_lock(&ctx->lock);
	if (xa_load(&ctx->tokens, id)) {
		/* new requests miss it from here on: dbr_ctx_token_get() */
		if (id < DBR_CTX_FAST_TOKENS)
			RCU_INIT_POINTER(ctx->fast[id], NULL);
		tok = xa_erase(&ctx->tokens, id);
	}
	mutex_unlock(&ctx->lock);
	if (!tok)
		return -ENOENT;
	dbr_token_destroy(tok);
	return 0;
}

/**
 * dbr_ctx_token_get() - look a token up for a request
 * @ctx: context of the file the request came through
 * @id: token id
 *
 * Return: the token with a reference for the caller (dbr_token_put()), or
 * NULL if @ctx has no token @id (any more).
 */
struct dbr_token *dbr_ctx_token_get(struct dbr_ctx *ctx, u32 id)
{
	struct dbr_token *tok;

	/*
	 * No lock: a token is freed an RCU grace period after it left the
	 * xarray and @fast (dbr_token_destroy()), and one whose count already reached
	 * zero is being torn down, as good as gone.
	 */
	rcu_read_lock();
	if (id < DBR_CTX_FAST_TOKENS)
		tok = rcu_dereference(ctx->fast[id]);
	else
		tok = xa_load(&ctx->tokens, id);
	if (tok && !kref_get_unless_zero(&tok->ref))
		tok = NULL;
	rcu_read_unlock();
	return tok;
}

/* ---- registered targets ------------------------------------------------ */

/**
 * dbr_ctx_target_reserve() - reserve the lowest free target index
 * @ctx: context
 * @index: the index
 *
 * A reserved index reads as no target until dbr_ctx_target_publish().
 *
 * Return: 0, or -ENOSPC when DMABRIDGE_MAX_TARGETS are registered.
 */
int dbr_ctx_target_reserve(struct dbr_ctx *ctx, u32 *index)
{
	unsigned long i;

	mutex_lock(&ctx->lock);
	i = find_first_zero_bit(ctx->target_used, DMABRIDGE_MAX_TARGETS);
	if (i < DMABRIDGE_MAX_TARGETS)
		__set_bit(i, ctx->target_used);
	mutex_unlock(&ctx->lock);
	if (i >= DMABRIDGE_MAX_TARGETS)
		return -ENOSPC;
	*index = i;
	return 0;
}

/** dbr_ctx_target_unreserve() - give a reserved, unpublished index back */
void dbr_ctx_target_unreserve(struct dbr_ctx *ctx, u32 index)
{
	mutex_lock(&ctx->lock);
	__clear_bit(index, ctx->target_used);
	mutex_unlock(&ctx->lock);
}

/**
 * dbr_ctx_target_publish() - make a reserved index name @t
 * @ctx: context
 * @index: from dbr_ctx_target_reserve()
 * @t: the target; the context takes the caller's reference
 */
void dbr_ctx_target_publish(struct dbr_ctx *ctx, u32 index,
			    struct dbr_ctx_target *t)
{
	mutex_lock(&ctx->lock);
	rcu_assign_pointer(ctx->targets[index], t);
	mutex_unlock(&ctx->lock);
}

/**
 * dbr_ctx_target_remove() - unregister a published target
 * @ctx: context
 * @index: its index
 *
 * The index is free at once; requests holding the target keep its file
 * until they are released.
 *
 * Return: 0, or -ENOENT if @index holds no published target.
 */
int dbr_ctx_target_remove(struct dbr_ctx *ctx, u32 index)
{
	struct dbr_ctx_target *t = NULL;

	if (index >= DMABRIDGE_MAX_TARGETS)
		return -ENOENT;
	mutex_lock(&ctx->lock);
	t = rcu_dereference_protected(ctx->targets[index],
				      lockdep_is_held(&ctx->lock));
	if (t) {
		RCU_INIT_POINTER(ctx->targets[index], NULL);
		__clear_bit(index, ctx->target_used);
	}
	mutex_unlock(&ctx->lock);
	if (!t)
		return -ENOENT;
	dbr_ctx_target_put(t);
	return 0;
}

/**
 * dbr_ctx_target_get() - look a registered target up for a request
 * @ctx: context of the file the request came through
 * @index: the request's target index
 *
 * Return: the target with a reference for the caller (dbr_ctx_target_put()),
 * or NULL if @index holds none.
 */
struct dbr_ctx_target *dbr_ctx_target_get(struct dbr_ctx *ctx, u32 index)
{
	struct dbr_ctx_target *t;

	if (index >= DMABRIDGE_MAX_TARGETS)
		return NULL;
	index = array_index_nospec(index, DMABRIDGE_MAX_TARGETS);
	/* freed a grace period after its last reference, as tokens are */
	rcu_read_lock();
	t = rcu_dereference(ctx->targets[index]);
	if (t && !kref_get_unless_zero(&t->ref))
		t = NULL;
	rcu_read_unlock();
	return t;
}

/* The last reference went: the file, then the target after a grace period. */
void __dbr_ctx_target_release(struct kref *ref)
{
	struct dbr_ctx_target *t = container_of(ref, struct dbr_ctx_target, ref);

	fput(t->file);
	kfree_rcu(t, rcu);
}
