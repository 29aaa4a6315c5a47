/* A transaction allocation retried only where the first one failed
 * (xfs_rename()'s xfs_trans_alloc() after -ENOSPC): the scope on the
 * common path is the first one's, and that is the one cited. */
static void rp_helper(void)
{
	p = kmem_alloc(8, KM_NOFS);			/* expect: redundant always */
}

static int rp_rename(struct xfs_mount *mp)
{
	struct xfs_trans *tp;
	int error;

	error = xfs_trans_alloc(mp, &M_RES(mp)->tr_rename, 8, 0, 0, &tp);
	if (error == -ENOSPC)
		error = xfs_trans_alloc(mp, &M_RES(mp)->tr_rename, 0, 0, 0, &tp);
	if (error)
		return error;
	rp_helper();
	return xfs_trans_commit(tp);
}

static const struct inode_operations rp_iops = {
	.rename = rp_rename,
};
