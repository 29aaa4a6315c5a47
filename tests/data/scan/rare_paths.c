/* Reclaim takes fs->tree_mutex on three paths: in eviction only where the
 * inode is unlinked (i_nlink 0: the shrinker evicts linked inodes), in a
 * check that runs only with a debugging knob set (ubifs's
 * dbg_check_inode_size()), and, one call further, on the write-back of
 * every linked inode. The evidence shows the common path. A local that is
 * the && of a test (`kill = ui->xattr_cnt && last`) keeps its call to
 * the unlinked case too. */
struct fs_info {
	struct mutex tree_mutex;
	struct work_struct commit_work;
};

static int tree_add(struct fs_info *c)
{
	mutex_lock(&c->tree_mutex);
	mutex_unlock(&c->tree_mutex);
	return 0;
}

static int tree_next(struct fs_info *c)
{
	mutex_lock(&c->tree_mutex);
	mutex_unlock(&c->tree_mutex);
	return 0;
}

static int check_size(struct fs_info *c, struct inode *inode)
{
	if (!dbg_is_chk_gen(c))
		return 0;
	mutex_lock(&c->tree_mutex);
	mutex_unlock(&c->tree_mutex);
	return 0;
}

static int jnl_write(struct fs_info *c, struct inode *inode)
{
	int last = !inode->i_nlink;
	int kill = ui->xattr_cnt && last;

	if (kill)
		tree_next(c);
	return tree_add(c);
}

static int fs_write_inode(struct inode *inode, struct writeback_control *wbc)
{
	struct fs_info *c = inode->i_sb->s_fs_info;

	if (inode->i_nlink) {
		check_size(c, inode);
		jnl_write(c, inode);
	}
	return 0;
}

static void fs_evict_inode(struct inode *inode)
{
	struct fs_info *c = inode->i_sb->s_fs_info;

	if (!inode->i_nlink)
		tree_next(c);
	else
		fs_write_inode(inode, NULL);
	clear_inode(inode);
}

static const struct super_operations fs_sops = {
	.evict_inode = fs_evict_inode,
	.write_inode = fs_write_inode,
};

static void commit(struct work_struct *work)
{
	struct fs_info *c = container_of(work, struct fs_info, commit_work);

	mutex_lock(&c->tree_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->tree_mutex);
}

void fs_setup(struct fs_info *c)
{
	INIT_WORK(&c->commit_work, commit);
}
