/* A field the caller tests around a call given the same object holds in
 * the callee (config/reclaim.toml [context] carried): ubifs_write_inode()
 * writes an inode to the journal only if it has links, so the journal's
 * last-reference branch, which takes lp_mutex, cannot run from there. The
 * twin: a call made without the test, whose branch takes orphan_lock. */
struct cf_info {
	struct mutex lp_mutex;
	struct mutex orphan_lock;
};

static void cf_add_dirt(struct cf_info *c)
{
	mutex_lock(&c->lp_mutex);
	mutex_unlock(&c->lp_mutex);
}

static void cf_add_orphan(struct cf_info *c)
{
	mutex_lock(&c->orphan_lock);
	mutex_unlock(&c->orphan_lock);
}

static int cf_jnl_write_inode(struct cf_info *c, struct inode *inode)
{
	int last_reference = !inode->i_nlink;

	if (last_reference)
		cf_add_dirt(c);
	return 0;
}

static int cf_jnl_delete(struct cf_info *c, struct inode *inode)
{
	int last_reference = !inode->i_nlink;

	if (last_reference)
		cf_add_orphan(c);
	return 0;
}

static int cf_write_inode(struct inode *inode)
{
	struct cf_info *c = inode->i_sb->s_fs_info;

	if (inode->i_nlink)
		cf_jnl_write_inode(c, inode);
	cf_jnl_delete(c, inode);
	return 0;
}

static int cf_writepage(struct page *page, struct writeback_control *wbc)
{
	return cf_write_inode(page->mapping->host);
}

static int cf_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	struct cf_info *c = dentry->d_sb->s_fs_info;

	mutex_lock(&c->lp_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&c->lp_mutex);
	mutex_lock(&c->orphan_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->orphan_lock);
	return 0;
}

static const struct address_space_operations cf_aops = {
	.writepage	= cf_writepage,
};

static const struct inode_operations cf_iops = {
	.setattr	= cf_setattr,
};
