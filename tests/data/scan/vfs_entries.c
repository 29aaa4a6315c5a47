/* The VFS calls ->lookup with the parent directory's i_rwsem held and
 * ->getattr with no lock (config/entries.toml). Reclaim takes i_rwsem in
 * this filesystem's evict_inode, on its orphan directory, which may be the
 * parent a lookup holds: an allocation under ->lookup keeps NOFS; the twin
 * under ->getattr does not need it. */
static void my_evict_inode(struct inode *inode)
{
	struct inode *orphans = MY_SB(inode->i_sb)->orphan_dir;

	inode_lock(orphans);
	remove_orphan(orphans, inode);
	inode_unlock(orphans);
}

static struct dentry *my_lookup(struct inode *dir, struct dentry *dentry, unsigned int flags)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	return NULL;
}

static int my_getattr(const struct path *path, struct kstat *stat)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static const struct inode_operations my_dir_iops = {
	.lookup = my_lookup,
	.getattr = my_getattr,
};

static const struct super_operations my_sops = {
	.evict_inode = my_evict_inode,
};

/* fill_super runs inside get_tree_bdev(), in ->get_tree's context */
static int my_fill_super(struct super_block *sb, struct fs_context *fc)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static int my_get_tree(struct fs_context *fc)
{
	return get_tree_bdev(fc, my_fill_super);
}

static const struct fs_context_operations my_context_ops = {
	.get_tree = my_get_tree,
};
