/* The transaction API the files of this fixture share: start_transaction()
 * hands back the handle current->journal_info holds, and
 * __btrfs_end_transaction() returns at once for such a nested handle and
 * takes dev_mutex past that return (btrfs's; config/reclaim.toml
 * [context] nests). Analysed with main.c (and twins.c), or with
 * direct.c. */
struct nt_handle {
	int use_count;
};

struct nt_fs {
	struct mutex dev_mutex;
};

struct nt_handle *start_transaction(struct nt_fs *fs)
{
	struct nt_handle *h;

	if (current->journal_info) {
		h = current->journal_info;
		h->use_count++;
		return h;
	}
	h = nt_new_handle(fs);
	current->journal_info = h;
	return h;
}

struct nt_handle *nt_attach(struct nt_fs *fs)
{
	return start_transaction(fs);
}

void __btrfs_end_transaction(struct nt_handle *h, struct nt_fs *fs)
{
	if (h->use_count > 1) {
		h->use_count--;
		return;
	}
	mutex_lock(&fs->dev_mutex);
	mutex_unlock(&fs->dev_mutex);
	current->journal_info = NULL;
}

