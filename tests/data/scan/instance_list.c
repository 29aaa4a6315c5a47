/* The twin of instance.c: a shrinker also takes the inode lock, on an
 * inode it finds on its own list. nofsbot cannot show that inode has no
 * references, so the lock may be the one the task holds: a scope after it. */
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

static unsigned long fx_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct fx_inode *fi;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	fi = list_first_entry(&fx_lru, struct fx_inode, lru);
	fx_truncate(fi);
	return 1;
}

static struct shrinker fx_shrinker = {
	.scan_objects	= fx_scan,
};

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
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fi->lock);
	return 0;
}

static const struct super_operations fx_sops = {
	.evict_inode	= fx_evict_inode,
};

static const struct inode_operations fx_iops = {
	.setattr	= fx_setattr,
};
