/* A helper that drops the lock its caller holds and then takes and drops
 * one of its own (udf_expand_file_adinicb(): "requires i_data_sem for
 * writing and releases it"): its caller, returning on the helper's
 * failure, holds nothing. Twins: a function that only takes and drops a
 * lock of the same class (a child's, while its caller holds the parent's)
 * still holds the caller's; a helper that returns holding a lock of a type
 * nofsbot cannot name (`fx_node(inode)->lock`) still leaves its caller
 * holding it. */
static unsigned long fx_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct fx_node *n = s->private_data;

	mutex_lock(&n->lock);
	mutex_unlock(&n->lock);
	return 0;
}

static struct shrinker fx_shrinker = {
	.scan_objects = fx_scan,
};

static int fx_expand(struct fx_node *n)
{
	mutex_unlock(&n->lock);
	if (!n->pages)
		return -ENOMEM;
	mutex_lock(&n->lock);
	n->pages = 0;
	mutex_unlock(&n->lock);
	return 0;
}

static int fx_grow(struct fx_node *n)
{
	int err;

	mutex_lock(&n->lock);
	if (n->inline_data) {
		err = fx_expand(n);
		if (err)
			return err;
		mutex_lock(&n->lock);
	}
	n->size++;
	mutex_unlock(&n->lock);
	return 0;
}

/* called with the parent's lock held: takes and drops a lock of the same
 * class on another node before it allocates */
static void fx_touch_child(struct fx_node *child)
{
	mutex_lock(&child->lock);
	child->hits++;
	mutex_unlock(&child->lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

/* returns holding a lock nofsbot cannot type: fx_node() is no accessor
 * it knows */
static void fx_lock_untyped(struct inode *inode)
{
	mutex_lock(&fx_node(inode)->lock);
}

static void fx_grow_work(struct work_struct *work)
{
	struct fx_node *n = container_of(work, struct fx_node, work);

	fx_grow(n);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

static void fx_child_work(struct work_struct *work)
{
	struct fx_node *n = container_of(work, struct fx_node, work);

	mutex_lock(&n->lock);
	fx_touch_child(n->child);
	mutex_unlock(&n->lock);
}

static void fx_untyped_work(struct work_struct *work)
{
	struct fx_node *n = container_of(work, struct fx_node, work);

	fx_lock_untyped(n->inode);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	mutex_unlock(&n->lock);
}

void fx_setup(struct fx_node *n)
{
	INIT_WORK(&n->grow_work, fx_grow_work);
	INIT_WORK(&n->child_work, fx_child_work);
	INIT_WORK(&n->untyped_work, fx_untyped_work);
}
