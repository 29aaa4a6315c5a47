/* A function stored by assignment in a field of a struct the subsystem
 * defines itself (ocfs2_refcount_cow_hunk(): context->cow_duplicate_clusters
 * = ocfs2_duplicate_clusters_by_page) is called only where the subsystem
 * calls through that field, here inside a scope. Twin: one stored in a
 * field of a struct defined elsewhere may be called from anywhere. */
struct fx_cow_context {
	int (*dup)(struct fx_cow_context *ctx);
};

static int fx_dup_by_page(struct fx_cow_context *ctx)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

static int fx_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return 0;
}

static int fx_replace(struct fx_cow_context *ctx)
{
	unsigned int flags = memalloc_nofs_save();
	int err = ctx->dup(ctx);

	memalloc_nofs_restore(flags);
	return err;
}

static long fx_cow(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fx_cow_context ctx;
	struct notifier_block nb;

	ctx.dup = fx_dup_by_page;
	nb.notifier_call = fx_notify;
	register_fx_notifier(&nb);
	return fx_replace(&ctx);
}

static const struct file_operations fx_fops = {
	.unlocked_ioctl	= fx_cow,
};
