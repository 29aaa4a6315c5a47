/* A caller holds a lock reclaim takes, and the function it calls drops
 * that lock before it allocates (udf_expand_file_adinicb() and its
 * callers' i_data_sem): the site holds nothing reclaim takes, and its
 * evidence says the call site holds the lock the function releases. */
struct node {
	struct work_struct work;
};

static DEFINE_MUTEX(big);

static unsigned long node_scan(struct shrinker *s, struct shrink_control *sc)
{
	mutex_lock(&big);
	mutex_unlock(&big);
	return 0;
}

static struct shrinker node_shrinker = {
	.scan_objects = node_scan,
};

static int expand(struct node *n)
{
	mutex_unlock(&big);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_lock(&big);
	return 0;
}

static void node_work(struct work_struct *work)
{
	struct node *n = container_of(work, struct node, work);

	mutex_lock(&big);
	expand(n);
	mutex_unlock(&big);
}

void node_setup(struct node *n)
{
	INIT_WORK(&n->work, node_work);
}
