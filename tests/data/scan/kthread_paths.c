/* A lock that kswapd's ->writepage takes (the short path) and eviction
 * takes too. A function called from a work item and from a system call
 * holds it: the path shown from a work item, which kswapd never throttles,
 * is eviction's; the twin, called from a system call only, shows kswapd's. */
struct kp_info {
	struct mutex tree_lock;
};

static int kp_writepage(struct page *page, struct writeback_control *wbc)
{
	struct kp_info *c = page_info(page);

	mutex_lock(&c->tree_lock);
	mutex_unlock(&c->tree_lock);
	return 0;
}

static void kp_remove(struct kp_info *c)
{
	mutex_lock(&c->tree_lock);
	mutex_unlock(&c->tree_lock);
}

static void kp_drop(struct kp_info *c)
{
	kp_remove(c);
}

static void kp_evict_inode(struct inode *inode)
{
	kp_drop(inode_info(inode));
}

static const struct address_space_operations kp_aops = {
	.writepage = kp_writepage,
};

static const struct super_operations kp_sops = {
	.evict_inode = kp_evict_inode,
};

static void kp_commit(struct kp_info *c)
{
	mutex_lock(&c->tree_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->tree_lock);
}

static void kp_commit_work(struct work_struct *work)
{
	kp_commit(work_to_info(work));
}

static void kp_setup(struct kp_info *c)
{
	INIT_WORK(&c->commit_work, kp_commit_work);
}

/* also from a system call, where it waits for kswapd if it enters FS
 * reclaim: the full set of reclaim paths applies */
static long kp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	kp_commit(file_info(file));
	return 0;
}

static const struct file_operations kp_fops = {
	.unlocked_ioctl = kp_ioctl,
};

static int kp_sync(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	struct kp_info *c = inode_info(d_inode(dentry));

	mutex_lock(&c->tree_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->tree_lock);
	return 0;
}

static const struct inode_operations kp_iops = {
	.setattr = kp_sync,
};
