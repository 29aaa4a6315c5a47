/* A helper that commits the transaction its caller opened closes the scope:
 * after the call the caller is back to its own entry context (unknown). */
static int finish(struct xfs_trans *tp)
{
	return xfs_trans_commit(tp);
}

int caller(struct xfs_mount *mp)
{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	error = finish(tp);
	q = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return error;
}
