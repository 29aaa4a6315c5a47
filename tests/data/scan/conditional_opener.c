/* ext4_journal_start_sb() opens a scope only with a journal: without one
 * the lazy-init thread zeroes the inode table under alloc_sem outside any
 * scope (ext4_init_inode_table()). The evidence names that provider and
 * why the path shown is the one where it opens none. */
static DECLARE_RWSEM(cp_sem);

static unsigned long cp_scan(struct shrinker *s, struct shrink_control *sc)
{
	down_read(&cp_sem);
	up_read(&cp_sem);
	return 0;
}

static struct shrinker cp_shrinker = {
	.scan_objects = cp_scan,
};

static int cp_init_table(void *arg)
{
	struct super_block *sb = arg;
	handle_t *handle = ext4_journal_start_sb(sb, EXT4_HT_MISC, 1);

	down_write(&cp_sem);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope sometimes */
	cp_zero(p);
	up_write(&cp_sem);
	ext4_journal_stop(handle);
	return 0;
}

void cp_start(struct super_block *sb)
{
	kthread_run(cp_init_table, sb, "cp_lazyinit");
}
