// Mapping-wide masks. A private metadata inode whose page cache one
// function allocates moves to a scope there; the choke point already in a
// scope makes the mask redundant; a data inode's mask stays.
struct page *get_meta(struct super_block *sb, unsigned long index)
{
	return read_mapping_page(SBI(sb)->meta_inode->i_mapping, index, NULL);
}

struct page *get_log(struct super_block *sb, unsigned long index)
{
	unsigned int flags = memalloc_nofs_save();
	struct page *page = read_mapping_page(SBI(sb)->log_inode->i_mapping, index, NULL);

	memalloc_nofs_restore(flags);
	return page;
}

int fill_super(struct super_block *sb, struct sb_info *sbi, struct inode *inode)
{
	struct inode *meta = new_inode(sb), *log = new_inode(sb);

	mapping_set_gfp_mask(meta->i_mapping, GFP_NOFS);	/* expect: needs-scope unknown mapping-mask */
	sbi->meta_inode = meta;
	mapping_set_gfp_mask(log->i_mapping, GFP_NOFS);	/* expect: redundant unknown mapping-mask */
	sbi->log_inode = log;
	mapping_set_gfp_mask(inode->i_mapping, GFP_NOFS);	/* expect: keep unknown mapping-mask */
	return 0;
}

// reiserfs_get_page(): the mask is set on the mapping of whatever inode the
// caller passes, and read_mapping_page() on it is the only page-cache call
// here. That inode is not kept in a field of its own, so page cache
// allocated on it elsewhere (truncate's grab_cache_page(inode->i_mapping))
// goes by another name: no choke point.
struct page *get_page_of(struct inode *dir, unsigned long n)
{
	struct address_space *mapping = dir->i_mapping;

	mapping_set_gfp_mask(mapping, GFP_NOFS);		/* expect: keep unknown mapping-mask */
	return read_mapping_page(mapping, n, NULL);
}
