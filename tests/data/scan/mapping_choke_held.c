/* A private metadata mapping whose page cache one function allocates:
 * the mask moves to a scope there. get_meta() runs with the log mutex held,
 * which this filesystem's eviction takes: the decision shows that chain,
 * the reason for NOFS at the choke point, rather than how the mask is set.
 * The twin mapping's only allocation runs with nothing held. */
static void my_evict_inode(struct inode *inode)
{
	struct sb_info *sbi = inode->i_sb->s_fs_info;

	mutex_lock(&sbi->log_mutex);
	drop_log(inode);
	mutex_unlock(&sbi->log_mutex);
}

static struct page *get_meta(struct sb_info *sbi, unsigned long index)
{
	return read_mapping_page(sbi->meta_inode->i_mapping, index, NULL);
}

static struct page *get_other(struct sb_info *sbi, unsigned long index)
{
	return read_mapping_page(sbi->other_inode->i_mapping, index, NULL);
}

int log_append(struct sb_info *sbi, unsigned long index)
{
	struct page *page;

	mutex_lock(&sbi->log_mutex);
	page = get_meta(sbi, index);
	mutex_unlock(&sbi->log_mutex);
	return page ? 0 : -ENOMEM;
}

int other_read(struct sb_info *sbi, unsigned long index)
{
	return get_other(sbi, index) ? 0 : -ENOMEM;
}

int fill_super(struct super_block *sb, struct sb_info *sbi)
{
	struct inode *meta = new_inode(sb), *other = new_inode(sb);

	mapping_set_gfp_mask(meta->i_mapping, GFP_NOFS);	/* expect: needs-scope unknown mapping-mask */
	sbi->meta_inode = meta;
	mapping_set_gfp_mask(other->i_mapping, GFP_NOFS);	/* expect: needs-scope unknown mapping-mask */
	sbi->other_inode = other;
	return 0;
}

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};
