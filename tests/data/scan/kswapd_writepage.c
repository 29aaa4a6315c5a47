/* Only kswapd calls ->writepage from reclaim, but an allocation that may
 * enter FS reclaim can wait for kswapd (throttle_direct_reclaim()) while
 * kswapd waits in ->writepage for the lock the allocating task holds; a
 * NOFS one waits a second at most. The lock is taken there on any inode
 * with dirty pages, not only on one being freed. */
struct kw_inode {
	struct inode vfs;
	struct mutex map_lock;
};

static int kw_writepage(struct page *page, struct writeback_control *wbc)
{
	struct kw_inode *ki = container_of(page->mapping->host, struct kw_inode, vfs);

	mutex_lock(&ki->map_lock);
	mutex_unlock(&ki->map_lock);
	return 0;
}

static int kw_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	struct kw_inode *ki = container_of(d_inode(dentry), struct kw_inode, vfs);

	mutex_lock(&ki->map_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	mutex_unlock(&ki->map_lock);
	return 0;
}

static const struct address_space_operations kw_aops = {
	.writepage	= kw_writepage,
};

static const struct inode_operations kw_iops = {
	.setattr	= kw_setattr,
};
