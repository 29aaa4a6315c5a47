/* debugfs_remove() waits for the operations running on the file it
 * removes, and eviction removes the context's file (gfs2's withdraw
 * unmounting its lockspace, dlm_delete_debug_file()): an operation of that
 * file that enters FS reclaim may wait for itself. Its top gets a scope.
 * The seq_operations its open hands to seq_open() run within seq_read(),
 * code outside that allocates during the same read: a scope in ->start
 * would not cover the operation, so their sites keep NOFS.
 * The stats file's dentry is not kept: which file the removal removes is
 * not shown, so its operation keeps NOFS. Twin: drained_twin.c. */
static ssize_t dr_write(struct file *file, const char __user *buf,
			size_t count, loff_t *ppos)
{
	p = kmalloc(count, GFP_NOFS);			/* expect: needs-scope never */
	return dr_parse(p, count);
}

static ssize_t dr_stats_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	p = kmalloc(count, GFP_NOFS);			/* expect: keep never */
	return dr_parse(p, count);
}

static void *dr_seq_start(struct seq_file *m, loff_t *pos)
{
	return kmalloc(8, GFP_NOFS);			/* expect: keep never */
}

static const struct seq_operations dr_seq_ops = {
	.start = dr_seq_start,
};

static int dr_open(struct inode *inode, struct file *file)
{
	return seq_open(file, &dr_seq_ops);
}

static const struct file_operations dr_fops = {
	.open = dr_open,
	.read = seq_read,
	.write = dr_write,
};

static const struct file_operations dr_stats_fops = {
	.write = dr_stats_write,
};

void dr_create(struct dr_ctx *ctx)
{
	ctx->dentry = debugfs_create_file("ctl", 0200, dr_root, ctx, &dr_fops);
	debugfs_create_file("stats", 0200, ctx->dentry, ctx, &dr_stats_fops);
}

static void dr_evict_inode(struct inode *inode)
{
	struct dr_ctx *ctx = inode->i_private;

	debugfs_remove(ctx->dentry);
	clear_inode(inode);
}

static const struct super_operations dr_sops = {
	.evict_inode = dr_evict_inode,
};
