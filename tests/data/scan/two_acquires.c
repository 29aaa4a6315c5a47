/* A scope opened after one acquisition of a lock covers only the paths
 * through it: when both arms of an if take the lock (btrfs
 * device_list_add()), or a loop drops and retakes it, no single boundary
 * is right and the site keeps NOFS. The twin takes it once. */
static unsigned long dev_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct devs *d = s->private_data;

	if (!(sc->gfp_mask & __GFP_FS))
		return SHRINK_STOP;
	mutex_lock(&d->list_mutex);
	mutex_unlock(&d->list_mutex);
	return 0;
}

static struct shrinker dev_shrinker = {
	.scan_objects = dev_scan,
};

static void add_worker(struct work_struct *work)
{
	struct devs *d = work_to_devs(work);

	if (d->fresh) {
		d->count = 0;
		mutex_lock(&d->list_mutex);
	} else {
		mutex_lock(&d->list_mutex);
	}
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	mutex_unlock(&d->list_mutex);
}

static void trim_worker(struct work_struct *work)
{
	struct devs *d = work_to_devs(work);
	int i;

	mutex_lock(&d->list_mutex);
	for (i = 0; i < d->count; i++) {
		p = kmalloc(8, GFP_NOFS);		/* expect: keep never */
		mutex_unlock(&d->list_mutex);
		cond_resched();
		mutex_lock(&d->list_mutex);
	}
	mutex_unlock(&d->list_mutex);
}

static void one_worker(struct work_struct *work)
{
	struct devs *d = work_to_devs(work);

	mutex_lock(&d->list_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: needs-scope never */
	section_work();				/* not one allocation alone */
	mutex_unlock(&d->list_mutex);
	mutex_lock(&d->list_mutex);
	d->count++;
	mutex_unlock(&d->list_mutex);
}

void devs_setup(struct devs *d)
{
	INIT_WORK(&d->w1, add_worker);
	INIT_WORK(&d->w2, trim_worker);
	INIT_WORK(&d->w3, one_worker);
}

/* Taken only on some paths to the site (f2fs move_data_block() takes
 * io_order_lock only in LFS mode): a scope after it would miss the others. */
static void order_worker(struct work_struct *work)
{
	struct devs *d = work_to_devs(work);
	bool ordered = d->lfs;

	if (ordered)
		mutex_lock(&d->list_mutex);
	p = kmalloc(8, GFP_NOFS);			/* expect: keep never */
	if (ordered)
		mutex_unlock(&d->list_mutex);
}

void order_setup(struct devs *d)
{
	INIT_WORK(&d->w4, order_worker);
}
