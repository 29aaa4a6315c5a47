/* Eviction's truncate_inode_pages_final() calls ->invalidate_folio on the
 * folios left in the mapping. From reclaim that happens only for an
 * unlinked inode: the inode shrinker evicts an inode only once its mapping
 * is empty. Still a path, and the only one to ep_lock here, so the site
 * needs a scope; the evidence says when the step runs. */
struct ep_info {
	struct mutex ep_lock;
};

static void ep_invalidate_folio(struct folio *folio, size_t offset, size_t len)
{
	struct ep_info *c = folio->mapping->host->i_sb->s_fs_info;

	mutex_lock(&c->ep_lock);
	mutex_unlock(&c->ep_lock);
}

static void ep_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

static int ep_setattr(struct user_namespace *ns, struct dentry *dentry, struct iattr *attr)
{
	struct ep_info *c = dentry->d_sb->s_fs_info;
	void *p;

	mutex_lock(&c->ep_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->ep_lock);
	return 0;
}

static const struct address_space_operations ep_aops = {
	.invalidate_folio	= ep_invalidate_folio,
};

static const struct super_operations ep_sops = {
	.evict_inode	= ep_evict_inode,
};

static const struct inode_operations ep_iops = {
	.setattr	= ep_setattr,
};
