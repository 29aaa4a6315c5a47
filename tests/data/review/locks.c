/* A gated shrinker takes c->lock, an ungated one c->big. */
static unsigned long lk_gated_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&c->lock);
	mutex_unlock(&c->lock);
	return 0;
}

static unsigned long lk_ungated_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	mutex_lock(&c->big);
	mutex_unlock(&c->big);
	return 0;
}

static struct shrinker lk_gated = { .scan_objects = lk_gated_scan, };
static struct shrinker lk_ungated = { .scan_objects = lk_ungated_scan, };

static void lk_fill(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);

	mutex_lock(&c->lock);
	c->a = kmalloc(8, GFP_NOFS);
	c->b = kmalloc(8, GFP_NOFS);
	mutex_unlock(&c->lock);
	c->x = kmalloc(8, GFP_KERNEL);
}

void lk_setup(struct cache *c)
{
	INIT_RADIX_TREE(&c->tree, GFP_KERNEL);
	INIT_WORK(&c->work, lk_fill);
}
