/* A lock handed to a transaction: xfs_trans_ijoin(tp, ip, XFS_ILOCK_EXCL)
 * gives the ILOCK to tp, and committing tp unlocks it, so fx_grow() does
 * not return holding it. fx_grow_keep() joins with 0: the caller keeps the
 * lock after the commit and unlocks it itself. A shrinker takes the ILOCK
 * of inodes on its own list. */
static unsigned long fx_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct xfs_inode *ip;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	ip = list_first_entry(&fx_lru, struct xfs_inode, i_lru);
	xfs_ilock(ip, XFS_ILOCK_EXCL);
	xfs_iunlock(ip, XFS_ILOCK_EXCL);
	return 1;
}

static struct shrinker fx_shrinker = {
	.scan_objects	= fx_scan,
};

static int fx_grow(struct xfs_inode *ip)
{
	struct xfs_trans *tp;

	xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);
	xfs_ilock(ip, XFS_ILOCK_EXCL);
	xfs_trans_ijoin(tp, ip, XFS_ILOCK_EXCL);
	return xfs_trans_commit(tp);
}

static int fx_grow_keep(struct xfs_inode *ip)
{
	struct xfs_trans *tp;

	xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);
	xfs_ilock(ip, XFS_ILOCK_EXCL);
	xfs_trans_ijoin(tp, ip, 0);
	return xfs_trans_commit(tp);
}

static long fx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct xfs_inode *ip = XFS_I(file_inode(file));

	fx_grow(ip);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	fx_grow_keep(ip);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	xfs_iunlock(ip, XFS_ILOCK_EXCL);
	return 0;
}

static const struct file_operations fx_fops = {
	.unlocked_ioctl	= fx_ioctl,
};
