/* With api.c and main.c (its eviction). Holders of dev_mutex inside a
 * transaction that main.c's note must not be given for: nt_flush() ended
 * its transaction first (its end clears current->journal_info),
 * nt_blind() never tests its start's failure, and nt_skip() reaches the
 * take through a label a goto enters past the start. nt_recover(), a
 * kernel thread, gets the note without kswapd: throttle_direct_reclaim()
 * never stops a kernel thread. */
static long nt_blind(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;
	struct nt_handle *h = nt_attach(fs);

	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
	__btrfs_end_transaction(h, fs);
	return 0;
}

static long nt_skip(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;
	struct nt_handle *h;

	if (cmd)
		goto locked;
	h = nt_attach(fs);
	if (IS_ERR(h))
		return PTR_ERR(h);
locked:
	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
	return 0;
}

static int nt_flush(struct file *file, fl_owner_t id)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return PTR_ERR(h);
	__btrfs_end_transaction(h, fs);
	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
	return 0;
}

static const struct file_operations nt_fops = {
	.unlocked_ioctl = nt_blind,
	.compat_ioctl = nt_skip,
	.flush = nt_flush,
};

static int nt_recover(void *arg)
{
	struct nt_fs *fs = arg;
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

void nt_start(struct nt_fs *fs)
{
	kthread_run(nt_recover, fs, "nt_recover");
}
