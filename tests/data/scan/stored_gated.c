/* A stored mask is decided on its later uses with gated reclaim counted:
 * dropping NOFS from the stored mask lets the gated shrinker run, and it
 * takes the lock the insert runs under. The twin tree is filled under a
 * lock no reclaim path takes. */
static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct cache *c = s->private_data;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&c->lock);
	mutex_unlock(&c->lock);
	return 0;
}

static struct shrinker cache_shrinker = { .scan_objects = cache_scan, };

static void init_trees(struct cache *c)
{
	INIT_RADIX_TREE(&c->locked_tree, GFP_NOFS);	/* expect: needs-scope stored */
	INIT_RADIX_TREE(&c->free_tree, GFP_NOFS);	/* expect: keep stored */
}

static void fill(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);

	mutex_lock(&c->lock);
	radix_tree_insert(&c->locked_tree, 1, c);
	mutex_unlock(&c->lock);
	mutex_lock(&c->other_lock);
	radix_tree_insert(&c->free_tree, 1, c);
	mutex_unlock(&c->other_lock);
}

void cache_init(struct cache *c)
{
	INIT_WORK(&c->fill, fill);
}

/* A stored mask used through a helper that picks the tree and a parameter
 * that carries it (xfs_dquot_tree() and xfs_qm_dqget_cache_insert(.., tree,
 * ..)): the insert uses a_tree and b_tree under the lock the gated shrinker
 * takes, so both need a scope there. Nothing uses c_tree. */
static struct radix_tree_root *cache_tree(struct cache *c, int type)
{
	switch (type) {
	case 0:
		return &c->a_tree;
	case 1:
		return &c->b_tree;
	}
	return NULL;
}

static void init_picked_trees(struct cache *c)
{
	INIT_RADIX_TREE(&c->a_tree, GFP_NOFS);		/* expect: needs-scope stored */
	INIT_RADIX_TREE(&c->b_tree, GFP_NOFS);		/* expect: needs-scope stored */
	INIT_RADIX_TREE(&c->c_tree, GFP_NOFS);		/* expect: keep stored */
}

static int cache_insert(struct cache *c, struct radix_tree_root *tree, void *item)
{
	int error;

	mutex_lock(&c->lock);
	error = radix_tree_insert(tree, 1, item);
	mutex_unlock(&c->lock);
	return error;
}

static void fill_picked(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);
	struct radix_tree_root *tree = cache_tree(c, work_type(work));

	cache_insert(c, tree, c);
}

void cache_helper_init(struct cache *c)
{
	INIT_WORK(&c->fill_picked, fill_picked);
}
