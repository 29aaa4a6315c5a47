/* A site in work a reclaim path waits for gets a scope from the work's
 * top; a call that reaches it from outside the work (the mount's, like
 * xlog_cil_init() calling xlog_cil_ctx_alloc()) keeps no scope, and the
 * evidence names it. */
static void *wo_ctx_alloc(void)
{
	return kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

static void wo_push_work(struct work_struct *work)
{
	void *ctx = wo_ctx_alloc();

	kfree(ctx);
}

int wo_mount(struct wo_log *log)
{
	log->ctx = wo_ctx_alloc();
	INIT_WORK(&log->push_work, wo_push_work);
	return 0;
}

static unsigned long wo_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct wo_log *log = s->private_data;

	flush_work(&log->push_work);
	return 0;
}

static struct shrinker wo_shrinker = { .scan_objects = wo_scan, };
