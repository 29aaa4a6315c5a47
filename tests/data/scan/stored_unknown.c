/* A use of a stored mask through an object nofsbot cannot name (an array
 * element) may be a use of any stored tree: d_tree's only named use is
 * scoped, but the unnamed one is not, so its mask stays. */
static void init_tree(struct cache *c)
{
	INIT_RADIX_TREE(&c->d_tree, GFP_NOFS);		/* expect: keep stored */
}

static void scoped_fill(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);
	unsigned int flags = memalloc_nofs_save();

	radix_tree_insert(&c->d_tree, 1, c);
	memalloc_nofs_restore(flags);
}

static void any_fill(struct work_struct *work)
{
	struct cache *c = work_to_cache(work);

	radix_tree_insert(c->trees[work_type(work)], 1, c);
}

void cache_init(struct cache *c)
{
	INIT_WORK(&c->w1, scoped_fill);
	INIT_WORK(&c->w2, any_fill);
}
