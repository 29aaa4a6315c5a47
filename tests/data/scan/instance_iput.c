/* As instance.c, but reclaim also reaches ->evict_inode through iput(): a
 * private shrinker drops the references its cache holds. The inode iput()
 * evicts has no reference left either, whoever calls it, so the lock is
 * still taken only on an inode being freed. */
struct fx_inode {
	struct inode vfs;
	struct mutex lock;
};

struct fx_entry {
	struct list_head lru;
	struct inode *inode;
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

static unsigned long fx_cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct fx_entry *e = s->private_data;

	iput(e->inode);
	return 1;
}

static struct shrinker fx_cache_shrinker = { .scan_objects = fx_cache_scan, };

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
