/* Lockdep subclasses are classes of their own: the realtime bitmap inode's
 * ILOCK (XFS_ILOCK_RTBITMAP) is not the ILOCK eviction takes (here on
 * another inode than the one it frees, so any inode's). */
static void my_destroy_inode(struct inode *inode)
{
	struct xfs_inode *rip = XFS_I(inode)->i_mount->m_rootip;

	xfs_ilock(rip, XFS_ILOCK_EXCL);
	xfs_iunlock(rip, XFS_ILOCK_EXCL);
}

static const struct super_operations my_sops = {
	.destroy_inode = my_destroy_inode,
};

static void rt_worker(struct work_struct *work)
{
	struct xfs_inode *rbmip = work_to_ip(work);

	xfs_ilock(rbmip, XFS_ILOCK_EXCL | XFS_ILOCK_RTBITMAP);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	xfs_iunlock(rbmip, XFS_ILOCK_EXCL | XFS_ILOCK_RTBITMAP);
	xfs_ilock(rbmip, XFS_ILOCK_EXCL);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	xfs_iunlock(rbmip, XFS_ILOCK_EXCL);
}

void rt_setup(struct xfs_mount *mp)
{
	INIT_WORK(&mp->rt_work, rt_worker);
}
