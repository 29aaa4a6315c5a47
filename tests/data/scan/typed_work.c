/* Work items are told apart by the struct they live in: the shrinker
 * flushes the log's work, never the cache's, although both fields are
 * named `work`. A work_struct parameter (flush_work(work) in a helper)
 * names no work item in particular. */
static void log_work_fn(struct work_struct *work)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

static void cache_work_fn(struct work_struct *work)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

void tw_setup(struct log *log, struct cache *cache)
{
	INIT_WORK(&log->work, log_work_fn);
	INIT_WORK(&cache->work, cache_work_fn);
}

static void flush_one(struct work_struct *work)
{
	flush_work(work);
}

void tw_stop(struct cache *cache)
{
	flush_one(&cache->other);
}

static unsigned long log_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct log *log = s->private_data;

	flush_work(&log->work);
	return 0;
}

static struct shrinker log_shrinker = { .scan_objects = log_scan, };
