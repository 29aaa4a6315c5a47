/* A branch whose goto jumps to a later label of its block leaves the
 * statements before that label: with create 0, gb_get_blocks() takes no
 * lock (jfs_get_block(), ext2_get_blocks()). The twin takes its lock after
 * the label, which every path reaches. */
static int gb_get_blocks(struct gb *g, int create)
{
	if (!create)
		goto out;
	mutex_lock(&g->alloc_lock);
	mutex_unlock(&g->alloc_lock);
out:
	return 0;
}

static int gb_map(struct gb *g, int create)
{
	if (!create)
		goto skip;
	g->mapped++;
skip:
	mutex_lock(&g->map_lock);
	mutex_unlock(&g->map_lock);
	return 0;
}

static unsigned long gb_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct gb *g = s->private_data;

	gb_get_blocks(g, 0);
	gb_map(g, 0);
	return 0;
}

static struct shrinker gb_shrinker = {
	.scan_objects = gb_scan,
};

static void gb_user(struct work_struct *work)
{
	struct gb *g = work_to_gb(work);

	mutex_lock(&g->alloc_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: unneeded never */
	mutex_unlock(&g->alloc_lock);
	mutex_lock(&g->map_lock);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&g->map_lock);
}

void gb_setup(struct gb *g)
{
	INIT_WORK(&g->work, gb_user);
}
