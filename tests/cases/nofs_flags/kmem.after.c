/* XFS 6.1 kmem_* wrappers inside a transaction: KM_NOFS without KM_MAYFAIL
 * means the allocation never fails, and the NULL check after it is dead;
 * the one after the KM_MAYFAIL call stays. */
int op(struct xfs_mount *mp, size_t len)
{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	a = kzalloc(sizeof(*a), GFP_KERNEL | __GFP_NOFAIL);
	b = kmalloc(len, GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	if (!b)
		return -ENOMEM;
	c = kmem_alloc(len, 0);
	return xfs_trans_commit(tp);
}
