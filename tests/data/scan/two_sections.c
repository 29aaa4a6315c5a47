/* One lock taken twice in one function, each time around its own
 * critical section (hpfs_trim_fs() takes hpfs_mutex for the dnode band,
 * then again per bitmap in a loop). A scope after the first lock does
 * not cover a site reached from the second, and a release that ends only
 * the second section gets no restore. */
struct my_sb_info {
	struct mutex lock;
};

static void my_evict_inode(struct inode *inode)
{
	struct my_sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->lock);
	mutex_unlock(&sbi->lock);
}

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};

static int trim_range(struct my_sb_info *sbi, int n)
{
	void *p = kmalloc(n, GFP_NOFS);			/* expect: keep never */

	kfree(p);
	return 0;
}

static int trim_band(struct my_sb_info *sbi, int n)
{
	void *p = kmalloc(n, GFP_NOFS);			/* expect: needs-scope never */

	kfree(p);
	return 0;
}

static long my_trim(struct my_sb_info *sbi, int n)
{
	int i;

	mutex_lock(&sbi->lock);
	trim_range(sbi, n);
	trim_band(sbi, n);
	mutex_unlock(&sbi->lock);
	for (i = 0; i < n; i++) {
		mutex_lock(&sbi->lock);
		trim_range(sbi, i);
		mutex_unlock(&sbi->lock);
	}
	return 0;
}

static long my_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return my_trim(file->f_inode->i_sb->s_fs_info, arg);
}

static const struct file_operations my_fops = {
	.unlocked_ioctl = my_ioctl,
};
