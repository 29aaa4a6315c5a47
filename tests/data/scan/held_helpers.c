/* A helper that returns holding a lock: its caller holds the lock after the
 * call (xfs_ilock_data_map_shared). The twin releases it before returning. */
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

static void pool_lock(struct pool *pl)
{
	mutex_lock(&pl->lock);
}

static void pool_peek(struct pool *pl)
{
	mutex_lock(&pl->lock);
	mutex_unlock(&pl->lock);
}

static void locked_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_lock(pl);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	mutex_unlock(&pl->lock);
	pool_peek(pl);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

void pool_setup(struct pool *pl)
{
	INIT_WORK(&pl->work, locked_user);
}
