/* start_transaction() hands back the handle current->journal_info holds
 * (btrfs's, config/reclaim.toml [context] nests). nt_ioctl() attaches to
 * a transaction and commits it, and its commit writes the supers under
 * dev_mutex (btrfs_commit_transaction() -> write_all_supers()); eviction
 * takes dev_mutex when it ends the transaction it joined
 * (__btrfs_end_transaction() -> btrfs_create_pending_block_groups()).
 * Reclaim in nt_ioctl()'s task joins its transaction: the take's step
 * says the take is other tasks'. nt_trim() holds dev_mutex with no
 * transaction, and nt_flush() only after it ended the one it attached to
 * (nt_end() clears current->journal_info): their steps stay as they
 * are. */
struct nt_handle {
	int use_count;
};

struct nt_fs {
	struct mutex dev_mutex;
};

static struct nt_handle *start_transaction(struct nt_fs *fs)
{
	struct nt_handle *h;

	if (current->journal_info) {
		h = current->journal_info;
		h->use_count++;
		return h;
	}
	h = nt_new_handle(fs);
	if (!current->journal_info)
		current->journal_info = h;
	return h;
}

static struct nt_handle *nt_attach(struct nt_fs *fs)
{
	return start_transaction(fs);
}

static void nt_create_pending(struct nt_fs *fs)
{
	mutex_lock(&fs->dev_mutex);
	mutex_unlock(&fs->dev_mutex);
}

static void nt_end(struct nt_handle *h, struct nt_fs *fs)
{
	if (h->use_count > 1) {
		h->use_count--;
		return;
	}
	nt_create_pending(fs);
	if (current->journal_info == h)
		current->journal_info = NULL;
}

static void nt_evict_inode(struct inode *inode)
{
	struct nt_fs *fs = inode->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return;
	nt_end(h, fs);
	clear_inode(inode);
}

static const struct super_operations nt_sops = {
	.evict_inode = nt_evict_inode,
};

static void nt_write_supers(struct nt_fs *fs)
{
	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
}

static void nt_commit(struct nt_handle *h, struct nt_fs *fs)
{
	nt_write_supers(fs);
	if (current->journal_info == h)
		current->journal_info = NULL;
}

static long nt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return PTR_ERR(h);
	nt_commit(h, fs);
	return 0;
}

static long nt_trim(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;

	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
	return 0;
}

static void nt_locked_alloc(struct nt_fs *fs)
{
	mutex_lock(&fs->dev_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&fs->dev_mutex);
}

static int nt_flush(struct file *file, fl_owner_t id)
{
	struct nt_fs *fs = file_inode(file)->i_sb->s_fs_info;
	struct nt_handle *h;

	h = nt_attach(fs);
	if (IS_ERR(h))
		return PTR_ERR(h);
	nt_end(h, fs);
	nt_locked_alloc(fs);
	return 0;
}

static const struct file_operations nt_fops = {
	.unlocked_ioctl = nt_ioctl,
	.compat_ioctl = nt_trim,
	.flush = nt_flush,
};
