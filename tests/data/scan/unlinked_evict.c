/* Eviction deletes an inode only where its i_nlink is 0. The shrinker
 * keeps only hashed dentries and linked inodes, but a filesystem stacked
 * on this one (ecryptfs) holds a lower dentry in its own, which an unlink
 * beneath it leaves unhashed: its dentry shrinker drops the last
 * reference. The evidence says so where it cites such a path. */
struct ue_info {
	struct rw_semaphore segctor_sem;
};

static void ue_transaction_begin(struct ue_info *c)
{
	down_read(&c->segctor_sem);
	up_read(&c->segctor_sem);
}

static void ue_evict_inode(struct inode *inode)
{
	struct ue_info *c = inode->i_sb->s_fs_info;

	if (inode->i_nlink) {
		clear_inode(inode);
		return;
	}
	ue_transaction_begin(c);
	clear_inode(inode);
}

static int ue_clean_segments(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct ue_info *c = file_inode(filp)->i_sb->s_fs_info;
	void *p;

	down_write(&c->segctor_sem);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	up_write(&c->segctor_sem);
	return 0;
}

static const struct super_operations ue_sops = {
	.evict_inode	= ue_evict_inode,
};

static const struct file_operations ue_fops = {
	.unlocked_ioctl	= ue_clean_segments,
};
