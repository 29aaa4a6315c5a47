/* A lockdep subclass given to a _nested call orders two locks one task
 * takes; it says nothing about which object the lock is. Eviction takes
 * commit_mutex plainly (jfs's diFree()); link() holds one under
 * COMMIT_MUTEX_CHILD (jfs_link()): the class reclaim takes, and nothing
 * shows it is another inode's. */
struct my_inode_info {
	struct mutex commit_mutex;
	struct mutex other_mutex;
	struct inode vfs_inode;
};

static inline struct my_inode_info *MY_I(struct inode *inode)
{
	return container_of(inode, struct my_inode_info, vfs_inode);
}

static void my_evict_inode(struct inode *inode)
{
	struct my_inode_info *imap = MY_I(MY_SB(inode->i_sb)->ipimap);

	mutex_lock(&imap->commit_mutex);
	mutex_unlock(&imap->commit_mutex);
}

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};

static int my_link(struct dentry *old_dentry, struct inode *dir, struct dentry *dentry)
{
	struct my_inode_info *ji = MY_I(d_inode(old_dentry));
	void *p;

	mutex_lock_nested(&ji->commit_mutex, COMMIT_MUTEX_CHILD);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&ji->commit_mutex);

	/* twin: a lock reclaim never takes, under a subclass */
	mutex_lock_nested(&ji->other_mutex, SINGLE_DEPTH_NESTING);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&ji->other_mutex);
	return 0;
}

static const struct inode_operations my_iops = {
	.link = my_link,
};
