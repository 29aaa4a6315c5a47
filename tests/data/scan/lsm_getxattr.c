/* d_splice_alias() calls security_d_instantiate(), whose SELinux and
 * Smack hooks read the inode's security xattr through __vfs_getxattr():
 * the filesystem's xattr handler ->get runs in the context of whoever
 * made the dentry positive, here inside a scope (ceph's handle_reply()
 * around ceph_fill_trace()). getxattr(2) calls it with no scope and no
 * lock: mixed. Twin: lsm_getxattr_twin.c. */
static int lg_xattr_get(const struct xattr_handler *handler,
			struct dentry *dentry, struct inode *inode,
			const char *name, void *value, size_t size)
{
	p = kmalloc(size, GFP_NOFS);			/* expect: mixed sometimes */
	return lg_fill(p, value, size);
}

static const struct xattr_handler lg_xattr_handler = {
	.prefix = "",
	.get = lg_xattr_get,
};

static void lg_fill_trace(struct dentry *dn, struct inode *in)
{
	unsigned int flags = memalloc_nofs_save();

	d_splice_alias(in, dn);
	memalloc_nofs_restore(flags);
}

static long lg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	lg_fill_trace(file->f_path.dentry, file_inode(file));
	return 0;
}

static const struct file_operations lg_fops = {
	.unlocked_ioctl = lg_ioctl,
};
