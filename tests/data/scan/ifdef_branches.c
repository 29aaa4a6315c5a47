/* Both arms of an #ifdef/#else can be compiled: code under #else after
 * a return in the #ifdef arm is not dead (ufs_remount() under
 * CONFIG_UFS_FS_WRITE calls ufs_read_cylinder_structures() with s_lock
 * held). */
struct my_sb_info {
	struct mutex s_lock;
};

static void my_evict_inode(struct inode *inode)
{
	struct my_sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->s_lock);
	mutex_unlock(&sbi->s_lock);
}

static int my_remount(struct super_block *sb, int *flags, char *data);

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
	.remount_fs = my_remount,
};

static int my_read_tables(struct my_sb_info *sbi)
{
	void *p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */

	kfree(p);
	return 0;
}

static int my_read_other(struct my_sb_info *sbi)
{
	void *p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */

	kfree(p);
	return 0;
}

static int my_remount(struct super_block *sb, int *flags, char *data)
{
	struct my_sb_info *sbi = sb->s_fs_info;

	mutex_lock(&sbi->s_lock);
	if (!(*flags & SB_RDONLY)) {
#ifndef CONFIG_MY_WRITE
		mutex_unlock(&sbi->s_lock);
		return -EINVAL;
#else
		my_read_tables(sbi);
#endif
	}
	mutex_unlock(&sbi->s_lock);
	/* twin: nothing held, whichever arm is compiled */
#ifdef CONFIG_MY_WRITE
	my_read_other(sbi);
#else
	return 0;
#endif
	return 0;
}
