/* A recovery thread that wakes the queue eviction sleeps on twice: on the
 * way, only when a quota shutdown asked for it, and at its end, on every
 * path (__ocfs2_recovery_thread(): journal.c:1470 and :1576 in 6.1). The
 * evidence cites the wake that runs whenever the thread finishes. */
struct lw_sb {
	struct wait_queue_head recovery_event;
	int state;
	int done;
};

static int lw_recover(void *arg)
{
	struct lw_sb *sb = arg;

	if (sb->state == 1) {
		sb->state = 2;
		wake_up(&sb->recovery_event);
	}
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	sb->done = 1;
	wake_up(&sb->recovery_event);
	return 0;
}

static void lw_evict_inode(struct inode *inode)
{
	struct lw_sb *sb = inode->i_sb->s_fs_info;

	wait_event(sb->recovery_event, sb->done);
	clear_inode(inode);
}

static const struct super_operations lw_sops = {
	.evict_inode = lw_evict_inode,
};

void lw_start(struct lw_sb *sb)
{
	kthread_run(lw_recover, sb, "lw_recover");
}
