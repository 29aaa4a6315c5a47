/* Only kswapd calls ->writepage from reclaim, but an allocation that may
 * enter FS reclaim can wait for kswapd (throttle_direct_reclaim()) while
 * kswapd waits in ->writepage for the lock the allocating task holds; a
 * NOFS one waits a second at most. The lock is taken there on any inode
 * with dirty pages, not only on one being freed. A kernel thread (work, a
 * kthread) is never throttled to wait for kswapd, and direct reclaim never
 * writes a page back: the same lock held there is no reclaim lock. */
struct kw_inode {
	struct inode vfs;
	struct mutex map_lock;
};

static int kw_writepage(struct page *page, struct writeback_control *wbc)
{
	struct kw_inode *ki = container_of(page->mapping->host, struct kw_inode, vfs);

	mutex_lock(&ki->map_lock);
	mutex_unlock(&ki->map_lock);
	flush_work(&ki->sync_work);
	return 0;
}

static int kw_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	struct kw_inode *ki = container_of(d_inode(dentry), struct kw_inode, vfs);

	mutex_lock(&ki->map_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&ki->map_lock);
	return 0;
}

static void kw_flush_work(struct work_struct *work)
{
	struct kw_inode *ki = container_of(work, struct kw_inode, flush_work);

	mutex_lock(&ki->map_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&ki->map_lock);
}

/* kswapd waits for it, but its allocation never waits for kswapd: no
 * scope for that; what else waits for ->writepage is not followed */
static void kw_sync_work(struct work_struct *work)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
}

void kw_init(struct kw_inode *ki)
{
	INIT_WORK(&ki->flush_work, kw_flush_work);
	INIT_WORK(&ki->sync_work, kw_sync_work);
}

static const struct address_space_operations kw_aops = {
	.writepage	= kw_writepage,
};

static const struct inode_operations kw_iops = {
	.setattr	= kw_setattr,
};
