/* With api.c. Eviction joins a transaction and ends it, taking dev_mutex
 * behind the nested end's return. nt_ioctl() holds dev_mutex inside a
 * transaction it attached to: its own reclaim joins it and returns before
 * the take, which is other tasks'. nt_trim() holds dev_mutex with no
 * transaction. The twins that must not get the note: twins.c. */
static void nt_evict_inode(struct inode *inode)
{
	struct nt_fs *fs = inode->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return;
	__btrfs_end_transaction(h, fs);
	clear_inode(inode);
}

static const struct super_operations nt_sops = {
	.evict_inode = nt_evict_inode,
};

static void nt_write_supers(struct nt_fs *fs)
{
	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
}

static long nt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return PTR_ERR(h);
	nt_write_supers(fs);
	__btrfs_end_transaction(h, fs);
	return 0;
}

static long nt_trim(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;

	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
	return 0;
}

static const struct file_operations nt_fops = {
	.unlocked_ioctl = nt_ioctl,
	.compat_ioctl = nt_trim,
};
