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
	section_work();				/* not one allocation alone */
	mutex_unlock(&pl->lock);
	pool_peek(pl);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

/* Two levels down, on some paths only (a search that returns with its path
 * locked): not a lock helper to place a scope by, but what follows the call
 * is not unneeded either, unless the caller releases the lock itself. */
static int pool_search(struct pool *pl, int key)
{
	if (!key)
		return -EINVAL;
	pool_lock(pl);
	return 0;
}

static int pool_find(struct pool *pl, int key)
{
	return pool_search(pl, key);
}

static void searching_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_find(pl, 1);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	mutex_unlock(&pl->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

/* A release helper two levels down (xfs_buf_relse() calls xfs_buf_unlock())
 * ends the lock for its caller too. */
static void pool_unlock(struct pool *pl)
{
	mutex_unlock(&pl->lock);
}

static void pool_relse(struct pool *pl)
{
	pool_unlock(pl);
	pool_put(pl);
}

static void relse_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	mutex_lock(&pl->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	pool_relse(pl);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

/* What a callee may return holding passes up only where some path from the
 * call reaches a return without releasing it: pool_read() releases on every
 * path after its search, pool_read_err() only when the search failed. */
static int pool_read(struct pool *pl, int key)
{
	int err = pool_find(pl, key);

	pool_relse(pl);
	return err;
}

static int pool_read_err(struct pool *pl, int key)
{
	int err = pool_find(pl, key);

	if (err)
		pool_relse(pl);
	return err;
}

static void reading_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_read(pl, 1);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	pool_read_err(pl, 1);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
}

void pool_setup(struct pool *pl)
{
	INIT_WORK(&pl->work, locked_user);
	INIT_WORK(&pl->search_work, searching_user);
	INIT_WORK(&pl->relse_work, relse_user);
	INIT_WORK(&pl->read_work, reading_user);
}

/* A folio locked across the allocation while this filesystem's eviction
 * locks folios too: which folio is not followed, so NOFS stays. */
static void my_evict_inode(struct inode *inode)
{
	struct folio *folio = find_lock_buddy(inode);

	folio_lock(folio);
	folio_unlock(folio);
}

static const struct super_operations pool_sops = {
	.evict_inode = my_evict_inode,
};

static void folio_user(struct work_struct *work)
{
	struct folio *folio = work_to_folio(work);

	folio_lock(folio);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	folio_unlock(folio);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

void folio_setup(struct pool *pl)
{
	INIT_WORK(&pl->folio_work, folio_user);
}

/* A mask passed down and used under a lock the callee takes: the caller's
 * NOFS is what keeps that allocation out of FS reclaim. */
static int pool_fill(struct pool *pl, gfp_t gfp)
{
	mutex_lock(&pl->lock);
	pl->buf = kmalloc(64, gfp);
	mutex_unlock(&pl->lock);
	return 0;
}

static int pool_fill_unlocked(struct pool *pl, gfp_t gfp)
{
	pl->buf = kmalloc(64, gfp);
	return 0;
}

static void filling_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);

	pool_fill(pl, GFP_NOFS);			/* expect: keep never */
	pool_fill_unlocked(pl, GFP_NOFS);		/* expect: unneeded never */
}

void fill_setup(struct pool *pl)
{
	INIT_WORK(&pl->fill_work, filling_user);
}
