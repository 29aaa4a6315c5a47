/* A needs-scope site's evidence is one path that runs: the entry point,
 * outside any scope, to the function that takes the lock, then down to
 * the site. fill_table() is also called inside a scope (scoped_fill()),
 * which decides nothing about the lock and is not shown. */
static unsigned long tab_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct tab *t = s->private_data;

	mutex_lock(&t->tab_mutex);
	mutex_unlock(&t->tab_mutex);
	return 0;
}

static struct shrinker tab_shrinker = {
	.scan_objects = tab_scan,
};

static void fill_table(struct tab *t)
{
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope sometimes */
	section_work();				/* not one allocation alone */
}

static void locked_fill(struct work_struct *work)
{
	struct tab *t = work_to_tab(work);

	mutex_lock(&t->tab_mutex);
	fill_table(t);
	mutex_unlock(&t->tab_mutex);
}

static void scoped_fill(struct work_struct *work)
{
	struct tab *t = work_to_tab(work);
	unsigned int flags = memalloc_nofs_save();

	fill_table(t);
	memalloc_nofs_restore(flags);
}

void tab_setup(struct tab *t)
{
	INIT_WORK(&t->fill, locked_fill);
	INIT_WORK(&t->scoped, scoped_fill);
}
