/* Work that some code waits for, through flush_workqueue() on the workqueue
 * it is queued on: whether a reclaim path waits for it is not analysed, so
 * its allocations keep NOFS. The twin's workqueue is never flushed. */
static void push_alloc(struct log *log)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
}

static void push_work(struct work_struct *work)
{
	push_alloc(work_to_log(work));
}

static void stats_work(struct work_struct *work)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

void log_init(struct log *log)
{
	INIT_WORK(&log->push, push_work);
	INIT_WORK(&log->stats, stats_work);
}

void log_push(struct log *log)
{
	queue_work(log->push_wq, &log->push);
	queue_work(log->stats_wq, &log->stats);
}

void log_force(struct log *log)
{
	flush_workqueue(log->push_wq);
}
