/* A call through a function pointer parameter calls what its callers pass
 * for it (xfs_qm_dquot_walk() calls execute(), which quotacheck passes as
 * xfs_qm_flush_one(), under qi_tree_lock): the function passed runs in the
 * walker's context, and from a known caller only the function that caller
 * passed runs there. Twins: a function passed by a caller that holds no
 * lock; one that drops the lock it is called under before it allocates
 * (ext4's __track_dentry_update()); one also given to code outside; one
 * the walker stores as well as calls. */
static unsigned long pool_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct pool *pl = s->private_data;

	mutex_lock(&pl->lock);
	mutex_unlock(&pl->lock);
	return 0;
}

static struct shrinker pool_shrinker = {
	.scan_objects = pool_scan,
};

/* calls its parameter under the pool's lock */
static int pool_walk(struct pool *pl, int (*execute)(struct pool *pl, void *data), void *data)
{
	int error;

	mutex_lock(&pl->lock);
	error = execute(pl, data);
	mutex_unlock(&pl->lock);
	return error;
}

/* calls it in whatever context its caller has */
static int pool_visit(struct pool *pl, int (*fn)(struct pool *pl, void *data))
{
	return (*fn)(pl, NULL);
}

/* hands it on to the walker */
static int pool_walk_all(struct pool *pl, int (*fn)(struct pool *pl, void *data))
{
	return pool_walk(pl, fn, NULL);
}

/* keeps it for later as well */
static int pool_keep(struct pool *pl, int (*fn)(struct pool *pl, void *data))
{
	pl->cb = fn;
	return fn(pl, NULL);
}

static int flush_one(struct pool *pl, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	return 0;
}

static int unlocking_one(struct pool *pl, void *data)
{
	mutex_unlock(&pl->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_lock(&pl->lock);
	return 0;
}

static int handed_one(struct pool *pl, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	return 0;
}

static int locked_one(struct pool *pl, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	return 0;
}

static int counted_one(struct pool *pl, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

/* passed through a cast, as ubifs passes its lpt scan callbacks */
static int cast_one(struct pool *pl, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	return 0;
}

static int escaped_one(struct pool *pl, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return 0;
}

static int stored_one(struct pool *pl, void *data)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: keep unknown */
	return 0;
}

static void walk_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_walk(pl, flush_one, NULL);
	pool_walk(pl, unlocking_one, NULL);
	pool_walk_all(pl, handed_one);
}

static void visit_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_visit(pl, counted_one);
	pool_visit(pl, (pool_fn)cast_one);
	pool_visit(pl, escaped_one);
	pool_register(pl, escaped_one);
	pool_keep(pl, stored_one);
}

static void locked_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	mutex_lock(&pl->lock);
	pool_visit(pl, locked_one);
	mutex_unlock(&pl->lock);
}

void pool_setup(struct pool *pl)
{
	INIT_WORK(&pl->walk_work, walk_user);
	INIT_WORK(&pl->visit_work, visit_user);
	INIT_WORK(&pl->locked_work, locked_user);
}
