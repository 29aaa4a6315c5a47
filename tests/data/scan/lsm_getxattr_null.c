/* Twin of lsm_getxattr.c: inside the scope the dentry is made negative,
 * `d_add(dn, NULL)` (ceph_fill_trace() at inode.c:1466), or spliced with
 * no inode (`d_splice_alias(NULL, dn)`, whose inode is argument 0): no hook
 * runs without an inode, so ->get is only called from getxattr(2), with no
 * scope and no lock: unneeded. */
static int lg_xattr_get(const struct xattr_handler *handler,
			struct dentry *dentry, struct inode *inode,
			const char *name, void *value, size_t size)
{
	p = kmalloc(size, GFP_NOFS);			/* expect: unneeded never */
	return lg_fill(p, value, size);
}

static const struct xattr_handler lg_xattr_handler = {
	.prefix = "",
	.get = lg_xattr_get,
};

static void lg_fill_trace(struct dentry *dn, struct inode *in)
{
	unsigned int flags = memalloc_nofs_save();

	d_add(dn, NULL);
	d_splice_alias(NULL, dn);
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
