/* A kernel thread whose progress eviction waits for: kt_recover()
 * completes the recovery eviction waits on (o2dlm's recovery thread,
 * __ocfs2_recovery_thread()). Its allocation gets a scope over the whole
 * thread function, and the boundary says it is a kernel thread's. The
 * twin: kt_flush_work(), work that eviction flushes, is work. */
struct kt_sb {
	struct completion recovered;
	struct work_struct flush;
};

static int kt_recover(void *arg)
{
	struct kt_sb *sb = arg;

	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	complete(&sb->recovered);
	return 0;
}

static void kt_flush_work(struct work_struct *work)
{
	struct kt_sb *sb = container_of(work, struct kt_sb, flush);

	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

static void kt_evict_inode(struct inode *inode)
{
	struct kt_sb *sb = inode->i_sb->s_fs_info;

	wait_for_completion(&sb->recovered);
	flush_work(&sb->flush);
	clear_inode(inode);
}

static const struct super_operations kt_sops = {
	.evict_inode = kt_evict_inode,
};

void kt_start(struct kt_sb *sb)
{
	INIT_WORK(&sb->flush, kt_flush_work);
	kthread_run(kt_recover, sb, "kt_recover");
}
