/* Path walk calls ->d_revalidate with no scope (the slow path under the
 * parent's i_rwsem); the dentry shrinker, gated on __GFP_FS, calls
 * ->d_release. A lock ->d_release takes makes NOFS needed under it. */
struct fx_sb {
	struct mutex lease_mutex;
};

static int fx_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 1;
}

static void fx_d_release(struct dentry *dentry)
{
	struct fx_sb *sb = dentry->d_sb->s_fs_info;

	mutex_lock(&sb->lease_mutex);
	fx_drop_lease(dentry);
	mutex_unlock(&sb->lease_mutex);
}

static const struct dentry_operations fx_dops = {
	.d_revalidate = fx_d_revalidate,
	.d_release = fx_d_release,
};

static long fx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fx_sb *sb = file_sb(file);

	mutex_lock(&sb->lease_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&sb->lease_mutex);
	return 0;
}

static const struct file_operations fx_fops = {
	.unlocked_ioctl = fx_ioctl,
};
