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

/* The twin: read_bitmap() takes a lock of known type that reclaim takes
 * too, under the same caller-held s_lock. The scope after bitmap_lock is
 * the claim, and the unknown-type s_lock is not shown beside it. */
static void my_evict_bitmap(struct inode *inode)
{
	struct my_sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->bitmap_lock);
	mutex_unlock(&sbi->bitmap_lock);
}

static const struct super_operations my_sops3 = {
	.evict_inode = my_evict_bitmap,
};

static int read_bitmap(struct super_block *sb)
{
	struct my_sb_info *sbi = sb->s_fs_info;
	void *p;

	mutex_lock(&sbi->bitmap_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&sbi->bitmap_lock);
	kfree(p);
	return 0;
}

static int my_remount2(struct super_block *sb, int *flags, char *data)
{
	mutex_lock(&UFS_SB(sb)->s_lock);
	read_bitmap(sb);
	mutex_unlock(&UFS_SB(sb)->s_lock);
	return 0;
}

static const struct super_operations my_sops4 = {
	.remount_fs = my_remount2,
};
