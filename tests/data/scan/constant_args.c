/* A constant argument that rules out a path: lookup(.., 0) computes
 * cow = mod != 0 and search() only allocates `if (cow)`; with mod 0 that
 * call cannot run, so the lock held around lookup(.., 0) does not reach the
 * allocation. lookup(.., 1) (the twin) does. */
static unsigned long tree_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct tree *t = s->private_data;

	mutex_lock(&t->lock);
	mutex_unlock(&t->lock);
	return 0;
}

static struct shrinker tree_shrinker = {
	.scan_objects = tree_scan,
};

static void cow_block(struct tree *t)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
}

static void grow_block(struct tree *t)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
}

static int search(struct tree *t, int cow)
{
	if (cow)
		cow_block(t);
	return 0;
}

static int grow(struct tree *t, int cow)
{
	if (cow)
		grow_block(t);
	return 0;
}

static int lookup(struct tree *t, int mod)
{
	int cow = mod != 0;

	return search(t, cow);
}

static int lookup_grow(struct tree *t, int mod)
{
	int cow = mod != 0;

	return grow(t, cow);
}

static void reader(struct work_struct *work)
{
	struct tree *t = work_to_tree(work);

	mutex_lock(&t->lock);
	lookup_grow(t, 0);
	mutex_unlock(&t->lock);
	lookup_grow(t, 1);
	mutex_lock(&t->lock);
	lookup(t, 1);
	mutex_unlock(&t->lock);
}

void tree_setup(struct tree *t)
{
	INIT_WORK(&t->work, reader);
}
