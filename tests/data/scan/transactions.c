/* Implicit providers: XFS transactions and jbd2 handles give a scope;
 * btrfs and gfs2 transactions do not; ext4 handles only with a journal. */
static void *xfs_helper(void)
{
	return kmem_zalloc(8, KM_NOFS);			/* expect: redundant always */
}

int xfs_op(struct xfs_mount *mp)
{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	xfs_helper();
	error = xfs_trans_roll(&tp);			/* hands the scope over */
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return xfs_trans_commit(tp);
}

int jbd2_op(journal_t *j)
{
	handle_t *h = jbd2_journal_start(j, 1);

	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return jbd2_journal_stop(h);
}

int btrfs_op(struct btrfs_root *root)
{
	struct btrfs_trans_handle *trans = btrfs_start_transaction(root, 1);

	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return btrfs_end_transaction(trans);
}

int gfs2_op(struct gfs2_sbd *sdp)
{
	int error = gfs2_trans_begin(sdp, 1, 0);

	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	gfs2_trans_end(sdp);
	return error;
}

int ext4_op(struct inode *inode)
{
	handle_t *handle = ext4_journal_start(inode, EXT4_HT_MISC, 1);

	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return ext4_journal_stop(handle);
}
