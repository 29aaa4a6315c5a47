/* A private shrinker takes c->lock without testing __GFP_FS; fill() allocates
 * under that lock and leaves the critical section by three ways. */
static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	mutex_lock(&c->lock);
	mutex_unlock(&c->lock);
	return 0;
}

static struct shrinker cache_shrinker = {
	.scan_objects = cache_scan,
};

static void fill(struct work_struct *work)
{
	unsigned int nofs_flags;
	struct cache *c = work_to_cache(work);
	void *p;

	mutex_lock(&c->lock);
	/* Memory reclaim takes this lock too: keep it out of the filesystem. */
	nofs_flags = memalloc_nofs_save();
	p = kmalloc(8, GFP_NOFS);
	if (!p) {
		memalloc_nofs_restore(nofs_flags);
		mutex_unlock(&c->lock);
		return;
	}
	if (more(c))
		goto out;
	c->q = kmalloc(8, GFP_NOFS);
out:
	memalloc_nofs_restore(nofs_flags);
	mutex_unlock(&c->lock);
}

void setup(struct cache *c)
{
	INIT_WORK(&c->work, fill);
}
