/* A helper that returns holding a lock only where it says it succeeded
 * (xfs_qm_dqget_cache_insert() locks the dquot it inserted and returns the
 * tree's error without it): where the caller's test of its result says it
 * failed, the lock is not held. Twins: a helper that also fails holding the
 * lock, and a caller that does not test the result. */
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

static int pool_search(struct pool *pl, int key)
{
	if (!key)
		return -EINVAL;
	mutex_lock(&pl->lock);
	return 0;
}

static int pool_get(struct pool *pl, int key)
{
	int error;

	error = pool_search(pl, key);
	if (error)
		return error;
	pl->hits++;
	return 0;
}

/* its failures told apart by an else-if ladder (xfs_qm_dqget_next()) */
static int pool_next(struct pool *pl, int key)
{
	int error = -ENOENT;

	for (; key < 8; key++) {
		error = pool_search(pl, key);
		if (error == -ENOENT)
			continue;
		else if (error)
			break;
		return 0;
	}
	return error;
}

/* and by tests one after the other (xfs_qm_dqiterate()) */
static int pool_each(struct pool *pl)
{
	int error;

	error = pool_next(pl, 0);
	if (error == -ENOENT)
		return 0;
	if (error)
		return error;
	mutex_unlock(&pl->lock);
	return 0;
}

static int pool_try(struct pool *pl, int key)
{
	if (key > 8)
		return -EINVAL;
	mutex_lock(&pl->lock);
	if (!key)
		return -ENOENT;
	return 0;
}

static void tested_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);
	int error;

	error = pool_get(pl, 1);
	if (error) {
		p = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
		return;
	}
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	mutex_unlock(&pl->lock);
}

static void next_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);
	int error;

	error = pool_next(pl, 0);
	if (error) {
		p = kmalloc(8, GFP_NOFS);		/* expect: unneeded never */
		return;
	}
	mutex_unlock(&pl->lock);
}

static void each_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_each(pl);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

static void failing_twin(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);
	int error;

	error = pool_try(pl, 1);
	if (error) {
		p = kmalloc(8, GFP_NOFS);		/* expect: keep never */
		return;
	}
	mutex_unlock(&pl->lock);
}

static void untested_twin(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_get(pl, 1);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	mutex_unlock(&pl->lock);
}

void pool_setup(struct pool *pl)
{
	INIT_WORK(&pl->tested_work, tested_user);
	INIT_WORK(&pl->next_work, next_user);
	INIT_WORK(&pl->each_work, each_user);
	INIT_WORK(&pl->failing_work, failing_twin);
	INIT_WORK(&pl->untested_work, untested_twin);
}
