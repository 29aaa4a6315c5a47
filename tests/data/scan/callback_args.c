/* The buffer-head readers call get_block(inode, block, bh, 0) and the
 * writers get_block(.., 1) (config/entries.toml): a get_block that returns
 * early `if (!create)` allocates only from the writers, here inside a
 * scope. fx_get_block2() tests nothing, so the read path reaches its
 * allocation too, with no scope. */
static int fx_alloc_block(struct inode *inode)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

static int fx_alloc_block2(struct inode *inode)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: mixed sometimes */
	return 0;
}

static int fx_get_block(struct inode *inode, sector_t iblock, struct buffer_head *bh, int create)
{
	if (!create)
		return 0;
	return fx_alloc_block(inode);
}

static int fx_get_block2(struct inode *inode, sector_t iblock, struct buffer_head *bh, int create)
{
	return fx_alloc_block2(inode);
}

static int fx_read_folio(struct file *file, struct folio *folio)
{
	block_read_full_folio(folio, fx_get_block2);
	return mpage_read_folio(folio, fx_get_block);
}

static int fx_write_begin(struct file *file, struct address_space *mapping, loff_t pos,
			  unsigned len, struct page **pagep, void **fsdata)
{
	unsigned int flags = memalloc_nofs_save();
	int ret = block_write_begin(mapping, pos, len, pagep, fx_get_block);

	ret = block_write_begin(mapping, pos, len, pagep, fx_get_block2);
	memalloc_nofs_restore(flags);
	return ret;
}

static const struct address_space_operations fx_aops = {
	.read_folio	= fx_read_folio,
	.write_begin	= fx_write_begin,
};
