/* With api.c. Eviction that takes dev_mutex inside the transaction it
 * got, not behind __btrfs_end_transaction()'s return for a nested
 * handle: in nt_ioctl()'s task, reclaim joins its transaction and then
 * takes dev_mutex itself. The take's step stays as it is. */
static void nt_take(struct nt_fs *fs)
{
	mutex_lock(&fs->dev_mutex);
	mutex_unlock(&fs->dev_mutex);
}

static void nt_evict_inode(struct inode *inode)
{
	struct nt_fs *fs = inode->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return;
	nt_take(fs);
	__btrfs_end_transaction(h, fs);
	clear_inode(inode);
}

static const struct super_operations nt_sops = {
	.evict_inode = nt_evict_inode,
};

static long nt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return PTR_ERR(h);
	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
	__btrfs_end_transaction(h, fs);
	return 0;
}

static const struct file_operations nt_fops = {
	.unlocked_ioctl = nt_ioctl,
};
