/* Reclaim runs with PF_MEMALLOC set (config/reclaim.toml [context]): an
 * eviction that returns early under it (ext4_write_inode(), gfs2's
 * deferred delete) takes no lock after that test from reclaim. The lock it
 * takes before the test is reclaim's all the same. */
static void fx_evict_inode(struct inode *inode)
{
	struct fx_sb *sbi = FX_SB(inode->i_sb);

	mutex_lock(&sbi->evict_lock);
	mutex_unlock(&sbi->evict_lock);
	if (WARN_ON_ONCE(current->flags & PF_MEMALLOC) || sb_rdonly(inode->i_sb))
		return;
	mutex_lock(&sbi->delete_lock);
	mutex_unlock(&sbi->delete_lock);
}

static const struct super_operations fx_sops = {
	.evict_inode	= fx_evict_inode,
};

static long fx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fx_sb *sbi = FX_SB(file_inode(file)->i_sb);

	mutex_lock(&sbi->delete_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&sbi->delete_lock);
	mutex_lock(&sbi->evict_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&sbi->evict_lock);
	return 0;
}

static const struct file_operations fx_fops = {
	.unlocked_ioctl	= fx_ioctl,
};
