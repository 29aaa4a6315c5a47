/* Twin of lsm_getxattr.c: the dentry is made positive outside any scope,
 * so both ways into ->get (getxattr(2), security_d_instantiate()) run
 * with no scope and no lock reclaim takes: unneeded. */
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
	d_splice_alias(in, dn);
}

static long lg_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	lg_fill_trace(file->f_path.dentry, file_inode(file));
	return 0;
}

static const struct file_operations lg_fops = {
	.unlocked_ioctl = lg_ioctl,
};
