/* Each hazard, marked with its kind, next to a twin that must stay quiet. */
static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	mutex_lock(&c->lock);				/* no __GFP_FS test: ungated */
	mutex_unlock(&c->lock);
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

static struct shrinker cache_shrinker = { .scan_objects = cache_scan, };
static struct shrinker gated_shrinker = { .scan_objects = gated_scan, };

static void worker(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);
	struct gcache *g = c->g;

	mutex_lock(&c->lock);
	p = kmalloc(8, GFP_KERNEL);			/* hazard: fs-reclaim-under-lock */
	mutex_unlock(&c->lock);
	p = kmalloc(8, GFP_KERNEL);			/* lock released: quiet */
	mutex_lock(&g->lock);
	p = kmalloc(8, GFP_KERNEL);			/* review: fs-alloc-under-shared-lock */
	mutex_unlock(&g->lock);
}

static void trees(struct cache *c)
{
	INIT_RADIX_TREE(&c->tree, GFP_KERNEL);
	mutex_lock(&c->lock);
	radix_tree_insert(&c->tree, 1, c);		/* hazard: stored-gfp-under-lock */
	mutex_unlock(&c->lock);
	radix_tree_insert(&c->tree, 2, c);		/* lock released: quiet */
}

static void filler(struct work_struct *work)
{
	p = kmalloc(8, GFP_KERNEL);
}

void setup(struct cache *c, struct folio *folio)
{
	unsigned int nofs;

	INIT_WORK(&c->work, worker);
	INIT_WORK(&c->fill, filler);
	INIT_WORK(&c->other, worker);
	trees(c);
	nofs = memalloc_nofs_save();
	flush_work(&c->fill);				/* hazard: work-waited-in-scope */
	memalloc_nofs_restore(nofs);
	flush_work(&c->fill);				/* outside the scope: quiet */
	nofs = memalloc_nofs_save();
	queue_work(system_wq, &c->fill);		/* queued, not waited on: quiet */
	memalloc_nofs_restore(nofs);
	folio_lock(folio);
	p = kmalloc(8, GFP_NOFS);			/* hazard: alloc-under-folio-lock */
	/* a lookup without FGP_CREAT allocates nothing: quiet */
	other = __filemap_get_folio(c->mapping, 1, FGP_LOCK | FGP_ACCESSED, GFP_NOFS);
	/* one that may create a folio allocates */
	other = __filemap_get_folio(c->mapping, 2, FGP_LOCK | FGP_CREAT, GFP_NOFS); /* hazard: alloc-under-folio-lock */
	folio_unlock(folio);
	p = kmalloc(8, GFP_NOFS);			/* folio unlocked: quiet */
}

int leaky(int err)
{
	unsigned int nofs = memalloc_nofs_save();

	if (err)
		return err;				/* hazard: unbalanced-scope */
	memalloc_nofs_restore(nofs);
	return 0;
}

int balanced(int err)
{
	unsigned int nofs = memalloc_nofs_save();

	if (err) {
		memalloc_nofs_restore(nofs);
		return err;
	}
	memalloc_nofs_restore(nofs);
	return 0;
}

int restore_unopened(int want)
{
	unsigned int nofs;

	if (want)
		nofs = memalloc_nofs_save();
	p = kmalloc(8, GFP_KERNEL);
	memalloc_nofs_restore(nofs);			/* hazard: unbalanced-scope */
	return 0;
}

int restore_correlated(int want)
{
	unsigned int nofs;

	if (want)
		nofs = memalloc_nofs_save();
	p = kmalloc(8, GFP_KERNEL);
	if (want)
		memalloc_nofs_restore(nofs);		/* same condition: quiet */
	return 0;
}
