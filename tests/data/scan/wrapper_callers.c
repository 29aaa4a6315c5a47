/* An unneeded site's function is called only by a wrapper (v9fs_get_acl()
 * calls __v9fs_get_acl() twice): the evidence lists the wrapper's call
 * sites as well, each a path a reader checks. */
static struct posix_acl *__get_acl(struct inode *inode, const char *name)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return p;
}

static int get_acl_pair(struct inode *inode)
{
	__get_acl(inode, "access");
	__get_acl(inode, "default");
	return 0;
}

static int fs_open(struct inode *inode, struct file *file)
{
	return get_acl_pair(inode);
}

static int fs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	return get_acl_pair(file_inode(file));
}

static const struct file_operations fs_file_ops = {
	.open = fs_open,
	.fsync = fs_fsync,
};
