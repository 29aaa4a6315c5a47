// A private metadata inode whose mapping clears __GFP_FS, and the one
// function that allocates page cache on it (jfs __get_metapage).
struct page *get_metapage(struct super_block *sb, unsigned long index, int new)
{
	unsigned int nofs_flags;
	struct address_space *mapping = JFS_SBI(sb)->direct_inode->i_mapping;
	struct page *page;

	if (new) {
		/* The page cache of this mapping must not recurse into the filesystem. */
		nofs_flags = memalloc_nofs_save();
		page = grab_cache_page(mapping, index);
		memalloc_nofs_restore(nofs_flags);
		if (!page)
			return NULL;
		SetPageUptodate(page);
	} else {
		/* The page cache of this mapping must not recurse into the filesystem. */
		nofs_flags = memalloc_nofs_save();
		page = read_mapping_page(mapping, index, NULL);
		memalloc_nofs_restore(nofs_flags);
		if (IS_ERR(page))
			return NULL;
	}
	return page;
}

int fill_super(struct super_block *sb, struct jfs_sb_info *sbi)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return -ENOMEM;
	mapping_set_gfp_mask(inode->i_mapping, GFP_KERNEL);
	sbi->direct_inode = inode;
	return 0;
}
