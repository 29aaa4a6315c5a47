/* A site under a test of a parameter, as in hfsplus_file_extend(inode,
 * zeroout): `if (zeroout) sb_issue_zeroout(.., GFP_NOFS)`. A caller that
 * passes a constant the test rules out cannot reach the site: it brings
 * neither its context nor the locks it holds there. extend() is entered
 * from get_block() (holding the lock the shrinker takes, outside any scope,
 * zeroout = false) and from reserve() (inside a scope, zeroout unknown), so
 * its zeroout allocation runs only inside the scope, while the allocation
 * every call reaches runs under the lock too.
 * The twin, grow(), is also called with the lock held and zeroout = true.
 * map_block() tests create before a call and assigns create only after
 * that block (hfsplus_get_block()'s `else create = 0;`): the test still
 * rules the call out for create = 0. Its twin assigns create before the
 * test, which then no longer says what the caller passed. resize() grows
 * under `if (diff > 0) { ..; return 0; }` and shrinks after it: a caller
 * passing 1 reaches only the growing allocation (xfs_iroot_realloc()). */
struct obj {
	struct work_struct work;
	struct mutex lock;
};

static struct mutex big;

static unsigned long obj_scan(struct shrinker *s, struct shrink_control *sc)
{
	mutex_lock(&big);
	mutex_unlock(&big);
	return 0;
}

static struct shrinker obj_shrinker = {
	.scan_objects = obj_scan,
};

static int extend(struct obj *o, bool zeroout)
{
	if (zeroout)
		p = kmalloc(8, GFP_NOFS);		/* expect: redundant always */
	q = kmalloc(8, GFP_NOFS);			/* expect: needs-scope sometimes */
	return 0;
}

static int grow(struct obj *o, bool zeroout)
{
	if (zeroout)
		p = kmalloc(8, GFP_NOFS);		/* expect: needs-scope sometimes */
	return 0;
}

static int fill(struct obj *o)
{
	r = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

static int fill_forced(struct obj *o)
{
	r = kmalloc(8, GFP_NOFS);			/* expect: needs-scope sometimes */
	return 0;
}

static int map_block(struct obj *o, long iblock, int create)
{
	if (iblock >= o->size) {
		if (!create)
			return 0;
		fill(o);
	} else
		create = 0;
	return create;
}

static int map_block_forced(struct obj *o, long iblock, int create)
{
	if (iblock >= o->size) {
		if (o->force)
			create = 1;
		if (!create)
			return 0;
		fill_forced(o);
	}
	return create;
}

static int resize(struct obj *o, int diff)
{
	if (diff > 0) {
		q = kmalloc(8, GFP_NOFS);		/* expect: needs-scope sometimes */
		return 0;
	}
	r = kmalloc(8, GFP_NOFS);			/* expect: redundant always */
	return 0;
}

static int get_block(struct obj *o)
{
	mutex_lock(&big);
	extend(o, false);
	grow(o, true);
	map_block(o, 1, 0);
	map_block_forced(o, 1, 0);
	resize(o, 1);
	mutex_unlock(&big);
	return 0;
}

static int reserve(struct obj *o, bool z)
{
	unsigned int flags = memalloc_nofs_save();

	extend(o, z);
	grow(o, z);
	map_block(o, 1, 1);
	map_block_forced(o, 1, 1);
	resize(o, z);
	memalloc_nofs_restore(flags);
	return 0;
}

static void worker(struct work_struct *work)
{
	struct obj *o = container_of(work, struct obj, work);

	get_block(o);
	reserve(o, o->flag);
}

void obj_setup(struct obj *o)
{
	INIT_WORK(&o->work, worker);
}
