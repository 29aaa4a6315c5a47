/* A lock taken on an object the function has just made and given to no
 * one (udf_symlink(): the new inode's i_data_sem): kswapd's writepage takes
 * i_data_sem only on an inode with dirty pages, which this one is not yet,
 * and nothing else can reach it, so NOFS only silences lockdep. The twins:
 * the same lock on an inode that exists (fs_link()), and on a new inode
 * already handed to d_instantiate() before the allocation (fs_mknod()). */
struct udf_inode_info {
	struct rw_semaphore i_data_sem;
	struct inode vfs_inode;
};

static inline struct udf_inode_info *UDF_I(struct inode *inode)
{
	return container_of(inode, struct udf_inode_info, vfs_inode);
}

static int fs_get_block(struct inode *inode, sector_t block, struct buffer_head *bh, int create)
{
	struct udf_inode_info *iinfo = UDF_I(inode);

	down_write(&iinfo->i_data_sem);
	map(inode, block, bh);
	up_write(&iinfo->i_data_sem);
	return 0;
}

static int fs_writepage(struct page *page, struct writeback_control *wbc)
{
	return block_write_full_page(page, fs_get_block, wbc);
}

static const struct address_space_operations fs_aops = {
	.writepage = fs_writepage,
};

static struct inode *fs_new_inode(struct inode *dir)
{
	struct inode *inode = new_inode(dir->i_sb);

	if (!inode)
		return ERR_PTR(-ENOMEM);
	insert_inode_hash(inode);
	return inode;
}

static int fs_symlink(struct user_namespace *ns, struct inode *dir, struct dentry *dentry,
		      const char *symname)
{
	struct inode *inode = fs_new_inode(dir);
	struct udf_inode_info *iinfo;

	if (IS_ERR(inode))
		return PTR_ERR(inode);
	iinfo = UDF_I(inode);
	down_write(&iinfo->i_data_sem);
	name = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	fill(inode, name);
	up_write(&iinfo->i_data_sem);
	d_instantiate(dentry, inode);
	return 0;
}

static int fs_link(struct dentry *old_dentry, struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(old_dentry);
	struct udf_inode_info *iinfo = UDF_I(inode);

	down_write(&iinfo->i_data_sem);
	name = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	fill(inode, name);
	up_write(&iinfo->i_data_sem);
	return 0;
}

static int fs_mknod(struct user_namespace *ns, struct inode *dir, struct dentry *dentry,
		    umode_t mode, dev_t rdev)
{
	struct inode *inode = fs_new_inode(dir);
	struct udf_inode_info *iinfo;

	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_instantiate(dentry, inode);
	iinfo = UDF_I(inode);
	down_write(&iinfo->i_data_sem);
	name = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	fill(inode, name);
	up_write(&iinfo->i_data_sem);
	return 0;
}

static const struct inode_operations fs_dir_iops = {
	.symlink = fs_symlink,
	.link = fs_link,
	.mknod = fs_mknod,
};
