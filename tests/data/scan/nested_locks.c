/* Two locks reclaim takes, one inside the other: the scope can only start
 * after the inner one, which every path to the allocation takes. */
static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	mutex_lock(&c->outer);
	mutex_unlock(&c->outer);
	mutex_lock(&c->inner);
	mutex_unlock(&c->inner);
	return 0;
}

static struct shrinker cache_shrinker = {
	.scan_objects = cache_scan,
};

static void fill(struct cache *c)
{
	mutex_lock(&c->inner);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->inner);
}

static void commit_worker(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);

	mutex_lock(&c->outer);
	fill(c);
	mutex_unlock(&c->outer);
}

static void read_worker(struct work_struct *work)
{
	fill(work_to_cache(work));
}

void cache_setup(struct cache *c)
{
	INIT_WORK(&c->commit, commit_worker);
	INIT_WORK(&c->read, read_worker);
}
