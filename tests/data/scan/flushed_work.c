/* Work a reclaim path waits for, through flush_workqueue() on the
 * workqueue it is queued on: FS reclaim entered from the work could wait
 * for the work itself, so it needs a scope from its top. The twins: work
 * on a workqueue only unmount flushes (NOFS kept: what waits for the
 * unmount is not followed), and work nothing waits for. */
static void push_alloc(struct log *log)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

static void push_work(struct work_struct *work)
{
	push_alloc(work_to_log(work));
}

static void gc_work(struct work_struct *work)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
}

static void stats_work(struct work_struct *work)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

void log_init(struct log *log)
{
	INIT_WORK(&log->push, push_work);
	INIT_WORK(&log->gc, gc_work);
	INIT_WORK(&log->stats, stats_work);
}

void log_push(struct log *log)
{
	queue_work(log->push_wq, &log->push);
	queue_work(log->gc_wq, &log->gc);
	queue_work(log->stats_wq, &log->stats);
}

static void log_force(struct log *log)
{
	flush_workqueue(log->push_wq);
}

static void log_evict_inode(struct inode *inode)
{
	log_force(inode_log(inode));
	clear_inode(inode);
}

static const struct super_operations log_sops = {
	.evict_inode = log_evict_inode,
};

void log_unmount(struct log *log)
{
	flush_workqueue(log->gc_wq);
}
