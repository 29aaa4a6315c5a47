/* expand() allocates; grow() calls it only for a size above 0. Eviction
 * calls grow() with 0 under alloc_mutex, which it takes: that call never
 * reaches the allocation. setattr calls grow() with a size, holding
 * nothing. The allocation needs no NOFS, and its evidence shows grow()'s
 * call too, saying alloc_mutex comes only with arguments that rule the
 * site out. */
static int expand(struct inode *inode)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return p ? 0 : -ENOMEM;
}

int grow(struct inode *inode, long newsize)
{
	if (newsize > 0)
		return expand(inode);
	return 0;
}

static void my_evict_inode(struct inode *inode)
{
	struct sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->alloc_mutex);
	grow(inode, 0);
	mutex_unlock(&sbi->alloc_mutex);
}

static int my_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	return grow(d_inode(dentry), attr->ia_size);
}

static const struct inode_operations my_iops = {
	.setattr = my_setattr,
};

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};
