/* Two system inodes from one call, told apart by its constant argument
 * (ocfs2_get_system_file_inode(osb, ORPHAN_DIR_SYSTEM_INODE, ..) and
 * (.., GLOBAL_BITMAP_SYSTEM_INODE, ..), which lockdep keys apart): the
 * reclaim path shown for the bitmap inode's i_rwsem takes the bitmap
 * inode's, not the orphan directory's that eviction takes first. */
static void wipe(struct inode *inode)
{
	struct inode *orphan_dir = NULL;

	orphan_dir = get_sys_inode(inode->i_sb, ORPHAN_DIR);
	inode_lock(orphan_dir);
	inode_unlock(orphan_dir);
	flush_log(inode);
}

static void flush_log(struct inode *inode)
{
	struct inode *bitmap = NULL;

	bitmap = get_sys_inode(inode->i_sb, GLOBAL_BITMAP);
	inode_lock(bitmap);
	inode_unlock(bitmap);
}

static void my_evict_inode(struct inode *inode)
{
	wipe(inode);
}

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};

static long trim_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct inode *bm = NULL;
	void *p;

	bm = get_sys_inode(file_inode(file)->i_sb, GLOBAL_BITMAP);
	inode_lock(bm);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	inode_unlock(bm);
	kfree(p);
	return 0;
}

static const struct file_operations my_fops = {
	.unlocked_ioctl = trim_ioctl,
};
