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

/* A helper that returns holding the transaction it started: after the call
 * its caller is inside the scope. The twin starts and commits its own. */
static int start_tx(struct xfs_mount *mp, struct xfs_trans **tpp)
{
	return xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, tpp);
}

static int whole_tx(struct xfs_mount *mp)
{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	return xfs_trans_commit(tp);
}

static void tx_worker(struct work_struct *work)
{
	struct xfs_mount *mp = work_to_mp(work);
	struct xfs_trans *tp;

	if (start_tx(mp, &tp))
		return;
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	xfs_trans_commit(tp);
	whole_tx(mp);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

void tx_setup(struct xfs_mount *mp)
{
	INIT_WORK(&mp->tx_work, tx_worker);
}
