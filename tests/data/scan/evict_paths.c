/* Paths eviction cannot take, and the object it locks. fx_evict_inode()
 * truncates to 0 (udf_setsize(inode, 0) from udf_evict_inode()): the branch
 * for a size above i_size never runs for it, since i_size is never
 * negative; fx_get_block() returns before its lock for a reader, and
 * block_truncate_page() calls it with create = 0. What eviction does lock
 * is the inode it frees, through a local set once (iinfo = UDF_I(inode)).
 * The twins: fx_resize() is called with 1, fx_get_block_on() does not
 * return for a reader, and fx_evict_other() locks the root inode. */
static struct mutex fx_table_lock;
static struct mutex fx_map_lock;
static struct mutex fx_alloc_lock;
static struct mutex fx_alloc_on_lock;
static struct inode *fx_root;

static void fx_setsize(struct inode *inode, loff_t newsize)
{
	struct udf_inode_info *iinfo;

	if (newsize > inode->i_size) {
		mutex_lock(&fx_table_lock);
		mutex_unlock(&fx_table_lock);
		return;
	}
	iinfo = UDF_I(inode);
	down_write(&iinfo->i_data_sem);
	up_write(&iinfo->i_data_sem);
}

static void fx_resize(struct inode *inode, loff_t newsize)
{
	if (newsize > i_size_read(inode)) {
		mutex_lock(&fx_map_lock);
		mutex_unlock(&fx_map_lock);
	}
}

static int fx_get_block(struct inode *inode, sector_t block, struct buffer_head *bh, int create)
{
	if (!create) {
		map_bh(bh, inode->i_sb, block);
		return 0;
	}
	mutex_lock(&fx_alloc_lock);
	mutex_unlock(&fx_alloc_lock);
	return 0;
}

static int fx_get_block_on(struct inode *inode, sector_t block, struct buffer_head *bh, int create)
{
	if (!create)
		map_bh(bh, inode->i_sb, block);
	mutex_lock(&fx_alloc_on_lock);
	mutex_unlock(&fx_alloc_on_lock);
	return 0;
}

static void fx_evict_inode(struct inode *inode)
{
	fx_setsize(inode, 0);
	fx_resize(inode, 1);
	block_truncate_page(inode->i_mapping, 0, fx_get_block);
	block_truncate_page(inode->i_mapping, 0, fx_get_block_on);
	clear_inode(inode);
}

static const struct super_operations fx_sops = {
	.evict_inode = fx_evict_inode,
};

static void fx_evict_other(struct inode *inode)
{
	struct ext2_inode_info *ei;

	ei = EXT2_I(fx_root);
	down_write(&ei->xattr_sem);
	up_write(&ei->xattr_sem);
	clear_inode(inode);
}

static const struct super_operations fx_other_sops = {
	.evict_inode = fx_evict_other,
};

static long fx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct inode *inode = file_inode(file);
	struct udf_inode_info *iinfo = UDF_I(inode);
	struct ext2_inode_info *ei = EXT2_I(inode);

	mutex_lock(&fx_table_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&fx_table_lock);
	mutex_lock(&fx_map_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fx_map_lock);
	mutex_lock(&fx_alloc_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&fx_alloc_lock);
	mutex_lock(&fx_alloc_on_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fx_alloc_on_lock);
	down_write(&iinfo->i_data_sem);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	up_write(&iinfo->i_data_sem);
	down_write(&ei->xattr_sem);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	up_write(&ei->xattr_sem);
	return 0;
}

static const struct file_operations fx_fops = {
	.unlocked_ioctl	= fx_ioctl,
};
