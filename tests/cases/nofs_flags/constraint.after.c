/* A mapping's mask constrained to drop __GFP_FS, inside a transaction:
 * constrained by nothing, it is the mapping's mask. */
int op(struct xfs_mount *mp, struct address_space *mapping)
{
	struct xfs_trans *tp;
	int error = xfs_trans_alloc(mp, &M_RES(mp)->tr_write, 0, 0, 0, &tp);

	if (error)
		return error;
	p = find_or_create_page(mapping, 0, mapping_gfp_mask(mapping));
	return xfs_trans_commit(tp);
}
