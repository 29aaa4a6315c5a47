// A private metadata inode whose mapping clears __GFP_FS, and the one
// function that allocates page cache on it (jfs __get_metapage).
struct page *get_metapage(struct super_block *sb, unsigned long index, int new)
{
	struct address_space *mapping = JFS_SBI(sb)->direct_inode->i_mapping;
	struct page *page;

	if (new) {
		page = grab_cache_page(mapping, index);
		if (!page)
			return NULL;
		SetPageUptodate(page);
	} else {
		page = read_mapping_page(mapping, index, NULL);
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
	mapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);
	sbi->direct_inode = inode;
	return 0;
}
