/* A flag bit that rules a call out: xfs_buf_incore() passes `XBF_INCORE |
 * flags` to xfs_buf_get_map(), which on a cache miss leaves at `if (flags &
 * XBF_INCORE) goto out_put_perag;` before it allocates a buffer, a jump to a
 * label of the enclosing block. Twin: the same lookup given another bit
 * allocates under the caller's lock. (The calls are ruled out, not the
 * statements: the allocations are in helpers, as _xfs_buf_alloc() is.) */
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

static struct buf *buf_new(struct pool *pl)
{
	return kmalloc(sizeof(struct buf), GFP_NOFS);	/* expect: unneeded never */
}

static struct buf *buf_make(struct pool *pl)
{
	return kmalloc(sizeof(struct buf), GFP_NOFS);	/* expect: needs-scope never */
}

static int buf_get(struct pool *pl, unsigned int flags, struct buf **bpp)
{
	struct buf *bp = pool_lookup(pl);

	if (!bp) {
		if (flags & BUF_INCORE)
			goto out;
		bp = buf_new(pl);
		pool_insert(pl, bp);
	}
	*bpp = bp;
out:
	return 0;
}

static int buf_find(struct pool *pl, unsigned int flags, struct buf **bpp)
{
	struct buf *bp = pool_lookup(pl);

	if (!bp) {
		if (flags & BUF_INCORE)
			goto out;
		bp = buf_make(pl);
		pool_insert(pl, bp);
	}
	*bpp = bp;
out:
	return 0;
}

static int buf_incore(struct pool *pl, unsigned int flags, struct buf **bpp)
{
	return buf_get(pl, BUF_INCORE | flags, bpp);
}

static void incore_user(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);
	struct buf *bp;

	mutex_lock(&pl->lock);
	buf_incore(pl, 0, &bp);
	mutex_unlock(&pl->lock);
	buf_get(pl, 0, &bp);
}

static void trylock_twin(struct work_struct *work)
{
	struct pool *pl = work_to_pool(work);
	struct buf *bp;

	mutex_lock(&pl->lock);
	buf_find(pl, BUF_TRYLOCK | pl->flags, &bp);
	mutex_unlock(&pl->lock);
}

void pool_setup(struct pool *pl)
{
	INIT_WORK(&pl->incore_work, incore_user);
	INIT_WORK(&pl->trylock_work, trylock_twin);
}
