/* security_inode_init_security() calls the initxattrs it is given in its
 * caller's context: inside the creating transaction's scope here. The
 * twin is handed to a function nofsbot knows nothing of. */
static int fx_initxattrs(struct inode *inode, const struct xattr *xattrs, void *fs_info)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

static int fx_other_xattrs(struct inode *inode, const struct xattr *xattrs, void *fs_info)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return 0;
}

static int fx_create(struct user_namespace *ns, struct inode *dir, struct dentry *dentry,
		     umode_t mode, bool excl)
{
	unsigned int flags = memalloc_nofs_save();
	struct inode *inode = fx_new_inode(dir, mode);

	security_inode_init_security(inode, dir, &dentry->d_name, fx_initxattrs, NULL);
	fx_register_xattrs(inode, fx_other_xattrs);
	memalloc_nofs_restore(flags);
	return 0;
}

static const struct inode_operations fx_dir_iops = {
	.create = fx_create,
};
