/* Every path that can reach the site is inside a scope: the one caller
 * outside a scope passes a constant under which the way down never gets
 * there (xfs_reflink_convert_cow_locked() passes XFS_COW_FORK to
 * xfs_bmap_add_extent_unwritten_real(), whose xfs_rmap_convert_extent()
 * then never calls __xfs_rmap_add()). The evidence names that caller.
 * Twin: a caller passing a value that does not rule the way out. */
static void rmap_add(struct fx *fx)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
}

static void rmap_convert(struct fx *fx, int whichfork)
{
	if (whichfork == FX_COW_FORK)
		return;
	rmap_add(fx);
}

static void convert_real(struct fx *fx, int whichfork)
{
	rmap_convert(fx, whichfork);
}

static void twin_add(struct fx *fx)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: mixed sometimes */
}

static void twin_convert(struct fx *fx, int whichfork)
{
	if (whichfork == FX_COW_FORK)
		return;
	twin_add(fx);
}

static void twin_real(struct fx *fx, int whichfork)
{
	twin_convert(fx, whichfork);
}

static long fx_in_scope(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fx *fx = file->private_data;
	unsigned int flags = memalloc_nofs_save();

	convert_real(fx, FX_DATA_FORK);
	twin_real(fx, FX_DATA_FORK);
	memalloc_nofs_restore(flags);
	return 0;
}

static long fx_cow(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fx *fx = file->private_data;

	convert_real(fx, FX_COW_FORK);
	twin_real(fx, FX_ATTR_FORK);
	return 0;
}

static const struct file_operations fx_fops = {
	.unlocked_ioctl	= fx_in_scope,
	.compat_ioctl	= fx_cow,
};
