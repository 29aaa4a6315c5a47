/* Twin of drained.c: the file is removed only when the module goes away,
 * never on a reclaim path, so its operation's allocation may enter FS
 * reclaim. */
static ssize_t dr_write(struct file *file, const char __user *buf,
			size_t count, loff_t *ppos)
{
	p = kmalloc(count, GFP_NOFS);			/* expect: unneeded never */
	return dr_parse(p, count);
}

static const struct file_operations dr_fops = {
	.write = dr_write,
};

void dr_create(struct dr_ctx *ctx)
{
	ctx->dentry = debugfs_create_file("ctl", 0200, dr_root, ctx, &dr_fops);
}

static void dr_exit(void)
{
	debugfs_remove(dr_ctx_global->dentry);
}
module_exit(dr_exit);

static void dr_evict_inode(struct inode *inode)
{
	clear_inode(inode);
}

static const struct super_operations dr_sops = {
	.evict_inode = dr_evict_inode,
};
