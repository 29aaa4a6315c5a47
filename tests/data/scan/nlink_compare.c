/* A link count compared with 0 is its truth: btrfs_evict_inode() leaves
 * for an inode with links through `if (inode->i_nlink > 0) goto
 * no_delete;`, so its truncation runs only where i_nlink is 0, and the
 * evidence says so. nc_evict_other() tests `== 0` the same way round. */
struct nc_info {
	struct mutex delete_lock;
	struct mutex other_lock;
};

static void nc_truncate(struct nc_info *c)
{
	mutex_lock(&c->delete_lock);
	mutex_unlock(&c->delete_lock);
}

static void nc_orphan(struct nc_info *c)
{
	mutex_lock(&c->other_lock);
	mutex_unlock(&c->other_lock);
}

static void nc_evict_inode(struct inode *inode)
{
	struct nc_info *c = inode->i_sb->s_fs_info;

	if (inode->i_nlink > 0)
		goto no_delete;
	nc_truncate(c);
no_delete:
	clear_inode(inode);
}

static void nc_evict_other(struct inode *inode)
{
	struct nc_info *c = inode->i_sb->s_fs_info;

	if (inode->i_nlink == 0)
		nc_orphan(c);
	clear_inode(inode);
}

static int nc_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	struct nc_info *c = dentry->d_sb->s_fs_info;
	void *p;

	mutex_lock(&c->delete_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->delete_lock);
	mutex_lock(&c->other_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->other_lock);
	return 0;
}

static const struct super_operations nc_sops = {
	.evict_inode	= nc_evict_inode,
};

static const struct super_operations nc_other_sops = {
	.evict_inode	= nc_evict_other,
};

static const struct inode_operations nc_iops = {
	.setattr	= nc_setattr,
};
