/* Reclaim takes an inode's lock only on the inode it is evicting, the one
 * ->evict_inode gets with its last reference gone: a task holding the lock
 * of an inode it has a reference to can never hold that one. NOFS under it
 * only keeps lockdep from conflating the two (GFP_KERNEL | __GFP_NOLOCKDEP).
 * Twin: instance_list.c, where a shrinker also takes the lock on an inode
 * from its own list. */
struct fx_inode {
	struct inode vfs;
	struct mutex lock;
	struct list_head lru;
};

static void fx_truncate(struct fx_inode *fi)
{
	mutex_lock(&fi->lock);
	fi->size = 0;
	mutex_unlock(&fi->lock);
}

static void fx_evict_inode(struct inode *inode)
{
	struct fx_inode *fi = container_of(inode, struct fx_inode, vfs);

	fx_truncate(fi);
	clear_inode(inode);
}

static int fx_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	struct fx_inode *fi = container_of(d_inode(dentry), struct fx_inode, vfs);

	mutex_lock(&fi->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&fi->lock);
	return 0;
}

static const struct super_operations fx_sops = {
	.evict_inode	= fx_evict_inode,
};

static const struct inode_operations fx_iops = {
	.setattr	= fx_setattr,
};
