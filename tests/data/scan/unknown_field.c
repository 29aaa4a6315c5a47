/* A lock reached through an accessor whose return type is not in the
 * analysed code (UFS_SB(sb)->s_lock): only its field is known, on both
 * sides, so the site keeps and the evidence shows both takers. */
static void my_evict_inode(struct inode *inode)
{
	mutex_lock(&UFS_SB(inode->i_sb)->s_lock);
	mutex_unlock(&UFS_SB(inode->i_sb)->s_lock);
}

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};

static int read_tables(struct super_block *sb)
{
	void *p = kmalloc(8, GFP_NOFS);			/* expect: keep never */

	kfree(p);
	return 0;
}

static int my_remount(struct super_block *sb, int *flags, char *data)
{
	mutex_lock(&UFS_SB(sb)->s_lock);
	read_tables(sb);
	mutex_unlock(&UFS_SB(sb)->s_lock);
	return 0;
}

static const struct super_operations my_sops2 = {
	.remount_fs = my_remount,
};
