/* A shrinker that waits for work: on a system workqueue or one made without
 * WQ_MEM_RECLAIM the work may get no worker under memory pressure. The
 * twins: a queue with a rescuer, a WQ_BH queue (its work runs in softirq
 * context), a cancel (it only waits for work already running), a queue
 * whose flags are a variable, and a flush outside reclaim. (The allocation only makes the file one nofsbot analyses.) */
struct wq_state {
	struct workqueue_struct *plain_wq;
	struct workqueue_struct *rescued_wq;
	struct workqueue_struct *flagged_wq;
	struct workqueue_struct *bh_wq;
	struct work_struct sys_work;
	struct work_struct plain_work;
	struct work_struct rescued_work;
	struct work_struct flagged_work;
	struct work_struct other_work;
	struct work_struct bh_work;
};

static void wq_fn(struct work_struct *work)
{
	void *p = kmalloc(8, GFP_NOFS);

	kfree(p);
}

int wq_init(struct wq_state *s, unsigned int flags)
{
	s->plain_wq = alloc_workqueue("plain", WQ_UNBOUND, 0);
	s->rescued_wq = alloc_workqueue("rescued", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	s->flagged_wq = alloc_workqueue("flagged", flags, 0);
	s->bh_wq = alloc_workqueue("bh", WQ_BH, 0);
	INIT_WORK(&s->sys_work, wq_fn);
	INIT_WORK(&s->plain_work, wq_fn);
	INIT_WORK(&s->rescued_work, wq_fn);
	INIT_WORK(&s->flagged_work, wq_fn);
	INIT_WORK(&s->other_work, wq_fn);
	INIT_WORK(&s->bh_work, wq_fn);
	schedule_work(&s->sys_work);
	queue_work(s->plain_wq, &s->plain_work);
	queue_work(s->rescued_wq, &s->rescued_work);
	queue_work(s->flagged_wq, &s->flagged_work);
	schedule_work(&s->other_work);
	queue_work(s->bh_wq, &s->bh_work);
	return 0;
}

static unsigned long wq_scan(struct shrinker *sh, struct shrink_control *sc)
{
	struct wq_state *s = sh->private_data;

	flush_work(&s->sys_work);		/* hazard: reclaim-flushes-unrescued-work */
	flush_workqueue(s->plain_wq);		/* hazard: reclaim-flushes-unrescued-work */
	flush_work(&s->rescued_work);
	cancel_work_sync(&s->other_work);
	flush_work(&s->flagged_work);
	flush_workqueue(s->bh_wq);
	return 0;
}

static struct shrinker wq_shrinker = { .scan_objects = wq_scan, };

void wq_exit(struct wq_state *s)
{
	flush_work(&s->other_work);
}
