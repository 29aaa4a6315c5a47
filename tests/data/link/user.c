/* fs/userfs: its inode eviction (a reclaim entry) calls into fs/lockmgr. */
static void userfs_evict_inode(struct inode *inode)
{
	lm_release(inode_lm(inode));
	lm_wait_recovery(inode_lm(inode));
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
}

static const struct super_operations userfs_sops = {
	.evict_inode = userfs_evict_inode,
};
