/* Where a series may set a mapping-wide mask. */
static void mp_setup_inode(struct inode *inode)
{
	inode->i_mapping->a_ops = &mp_aops;
}

void mp_iget(struct super_block *sb)
{
	struct inode *inode = new_inode(sb);

	mp_setup_inode(inode);
}
