/* Redundant sites inside an XFS transaction keep their other bits; a no-op
 * mask is simplified; a computed mask loses its ~__GFP_FS. */
static void *helper(gfp_t gfp)
{
	return kmalloc(8, gfp);
}

int op(struct xfs_mount *mp)
{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	p = kmalloc(8, GFP_KERNEL | __GFP_NOFAIL);
	q = kzalloc(8, GFP_KERNEL);
	r = helper(GFP_KERNEL);
	return xfs_trans_commit(tp);
}
