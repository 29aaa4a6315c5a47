/* A mask stored for later (INIT_RADIX_TREE) is decided by its later uses. */
static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	mutex_lock(&c->lock);
	mutex_unlock(&c->lock);
	return 0;
}

static struct shrinker cache_shrinker = { .scan_objects = cache_scan, };

static void init_trees(struct cache *c)
{
	INIT_RADIX_TREE(&c->locked_tree, GFP_NOFS);	/* expect: needs-scope stored */
	INIT_RADIX_TREE(&c->scoped_tree, GFP_NOFS);	/* expect: redundant stored */
}

static void fill(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);
	unsigned int nofs;

	mutex_lock(&c->lock);
	radix_tree_insert(&c->locked_tree, 1, c);
	mutex_unlock(&c->lock);
	nofs = memalloc_nofs_save();
	radix_tree_insert(&c->scoped_tree, 1, c);
	memalloc_nofs_restore(nofs);
}

void setup(struct cache *c)
{
	init_trees(c);
	INIT_WORK(&c->work, fill);
}
