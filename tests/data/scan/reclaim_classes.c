/* A private shrinker that does not test __GFP_FS takes cache->lock (and only
 * trylocks cache->side); a gated one (6.12 style registration) takes g->lock. */
static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	mutex_lock(&c->lock);
	drop_some(c);
	mutex_unlock(&c->lock);
	if (mutex_trylock(&c->side))
		mutex_unlock(&c->side);
	return 0;
}

static unsigned long gated_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct gcache *g = s->private_data;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&g->lock);
	mutex_unlock(&g->lock);
	return 0;
}

static struct shrinker cache_shrinker = {
	.scan_objects = cache_scan,
};

static void fill_worker(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);
	struct gcache *g = c->g;

	mutex_lock(&c->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&c->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_lock(&c->side);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&c->side);
	mutex_lock(&g->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&g->lock);
}

void setup(struct cache *c, struct shrinker *sh)
{
	INIT_WORK(&c->work, fill_worker);
	sh->scan_objects = gated_scan;
}
