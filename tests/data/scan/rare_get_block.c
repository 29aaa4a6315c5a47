/* Reclaim takes alloc_lock on two paths: kswapd's ->writepage, through
 * the get_block() block_write_full_page() calls only for a dirty buffer
 * with no block mapped (fat_writepage() in 6.1), and eviction's truncation
 * of the blocks past the end of a file (fat_free_eofblocks()), one call
 * longer. The evidence shows eviction's. */
struct my_sb_info {
	struct mutex alloc_lock;
};

static int my_alloc_block(struct inode *inode)
{
	struct my_sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->alloc_lock);
	mutex_unlock(&sbi->alloc_lock);
	return 0;
}

static int my_get_block(struct inode *inode, sector_t iblock, struct buffer_head *bh, int create)
{
	return my_alloc_block(inode);
}

static int my_writepage(struct page *page, struct writeback_control *wbc)
{
	return block_write_full_page(page, my_get_block, wbc);
}

static void my_free_blocks(struct inode *inode)
{
	struct my_sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->alloc_lock);
	mutex_unlock(&sbi->alloc_lock);
}

static void my_truncate_blocks(struct inode *inode)
{
	my_free_blocks(inode);
}

static void my_free_eofblocks(struct inode *inode)
{
	my_truncate_blocks(inode);
}

static void my_evict_inode(struct inode *inode)
{
	my_free_eofblocks(inode);
	clear_inode(inode);
}

static const struct address_space_operations my_aops = {
	.writepage = my_writepage,
};

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};

static long my_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct my_sb_info *sbi = file_inode(file)->i_sb->s_fs_info;

	mutex_lock(&sbi->alloc_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&sbi->alloc_lock);
	return 0;
}

static const struct file_operations my_fops = {
	.unlocked_ioctl = my_ioctl,
};
