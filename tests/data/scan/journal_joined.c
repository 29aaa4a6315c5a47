/* jj_lock() sets current->journal_info, then takes segctor_sem for write
 * (nilfs_transaction_lock()). Eviction's jj_begin() reads journal_info
 * first and joins a running transaction without taking the semaphore
 * (nilfs_transaction_begin()): the take reclaim reaches is another
 * task's, kswapd's, which this task may wait for. The class stays; the
 * take's step says whose it is. jj_trim() holds the semaphore without a
 * transaction: its own reclaim takes it. */
struct jj_info {
	int count;
};

static int jj_prepare(struct jj_info *ti)
{
	struct jj_info *cur = current->journal_info;

	if (cur)
		return ++cur->count;
	ti->count = 0;
	current->journal_info = ti;
	return 0;
}

static int jj_begin(struct super_block *sb, struct jj_info *ti)
{
	struct jj_fs *fs = sb->s_fs_info;
	int ret = jj_prepare(ti);

	if (ret > 0)
		return 0;
	down_read(&fs->segctor_sem);
	return 0;
}

static void jj_end(struct super_block *sb)
{
	struct jj_fs *fs = sb->s_fs_info;

	up_read(&fs->segctor_sem);
	current->journal_info = NULL;
}

static void jj_evict_inode(struct inode *inode)
{
	struct jj_info ti;

	jj_begin(inode->i_sb, &ti);
	jj_end(inode->i_sb);
}

static const struct super_operations jj_sops = {
	.evict_inode = jj_evict_inode,
};

static void jj_lock(struct jj_fs *fs, struct jj_info *ti)
{
	ti->count = 0;
	current->journal_info = ti;
	down_write(&fs->segctor_sem);
}

static void jj_unlock(struct jj_fs *fs)
{
	up_write(&fs->segctor_sem);
	current->journal_info = NULL;
}

static void jj_copy(void)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

static int jj_clean(struct jj_fs *fs)
{
	struct jj_info ti;

	jj_lock(fs, &ti);
	jj_copy();
	section_work();
	jj_unlock(fs);
	return 0;
}

static void jj_discard(void)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

static int jj_trim(struct jj_fs *fs)
{
	down_read(&fs->segctor_sem);
	jj_discard();
	section_work();
	up_read(&fs->segctor_sem);
	return 0;
}

static long jj_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct jj_fs *fs = file->f_inode->i_sb->s_fs_info;

	if (cmd == 1)
		return jj_clean(fs);
	return jj_trim(fs);
}

static const struct file_operations jj_fops = {
	.unlocked_ioctl = jj_ioctl,
};
