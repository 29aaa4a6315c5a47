/* A helper that returns a running transaction, or an error pointer when it
 * could not start one (xfs_ioctl_setattr_get_trans()): its caller is inside
 * the scope where the result says success, and outside it where it says
 * failure. The twin helper also returns a transaction pointer on a path
 * without one, so its callers are in no known scope. */
static struct xfs_trans *get_trans(struct xfs_inode *ip)
{
	struct xfs_trans *tp;
	int error;

	error = xfs_trans_alloc(ip->i_mount, &M_RES(ip->i_mount)->tr_ichange, 0, 0, 0, &tp);
	if (error)
		goto out_error;
	return tp;
out_error:
	return ERR_PTR(error);
}

static struct xfs_trans *maybe_trans(struct xfs_inode *ip, bool want)
{
	struct xfs_trans *tp = ip->i_cached;
	int error;

	if (!want)
		return tp;
	error = xfs_trans_alloc(ip->i_mount, &M_RES(ip->i_mount)->tr_ichange, 0, 0, 0, &tp);
	if (error)
		return ERR_PTR(error);
	return tp;
}

static void set_worker(struct work_struct *work)
{
	struct xfs_inode *ip = container_of(work, struct xfs_inode, i_work);
	struct xfs_trans *tp;

	tp = get_trans(ip);
	if (IS_ERR(tp)) {
		p = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
		return;
	}
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	xfs_trans_commit(tp);
}

static void twin_worker(struct work_struct *work)
{
	struct xfs_inode *ip = container_of(work, struct xfs_inode, i_work);
	struct xfs_trans *tp;

	tp = maybe_trans(ip, work->flags);
	if (IS_ERR(tp))
		return;
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	xfs_trans_commit(tp);
}

void start_workers(struct xfs_inode *ip)
{
	INIT_WORK(&ip->w1, set_worker);
	INIT_WORK(&ip->w2, twin_worker);
}
